//! CSS, JS and icons compiled into the binary, served with long cache lifetimes; page links
//! carry a content hash (`?v=`) so a new release is fetched at once.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::OnceLock;

use rocket::get;
use rocket::http::{ContentType, Header};
use rocket::response::Responder;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// A short hash over all embedded assets.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = Sha256::new();
        for name in Assets::iter() {
            if let Some(f) = Assets::get(&name) {
                h.update(name.as_bytes());
                h.update(f.metadata.sha256_hash());
            }
        }
        h.finalize()[..5]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

#[derive(Responder)]
pub struct Asset {
    body: Cow<'static, [u8]>,
    content_type: ContentType,
    cache: Header<'static>,
}

#[get("/assets/<path..>")]
pub fn asset(path: PathBuf) -> Option<Asset> {
    let name = path.to_str()?;
    let file = Assets::get(name)?;
    let content_type = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(ContentType::from_extension)
        .unwrap_or(ContentType::Binary);
    Some(Asset {
        body: file.data,
        content_type,
        cache: Header::new("Cache-Control", "public, max-age=31536000, immutable"),
    })
}
