//! Page templates, compiled into the binary. A file of the same name in
//! `<data-dir>/templates/` replaces the embedded one (operator branding), read at start.

use std::path::PathBuf;

use rocket::fairing::Fairing;
use rocket_dyn_templates::minijinja::{default_auto_escape_callback, Error, ErrorKind};
use rocket_dyn_templates::Template;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct Embedded;

pub fn fairing(override_dir: PathBuf) -> impl Fairing {
    Template::try_custom(move |engines| {
        let env = &mut engines.minijinja;
        // Must precede add_template: embedded templates would otherwise not be escaped.
        env.set_auto_escape_callback(default_auto_escape_callback);
        for file in Embedded::iter() {
            let Some(name) = file.strip_suffix(".j2") else {
                continue;
            };
            let source = match std::fs::read_to_string(override_dir.join(&*file)) {
                Ok(custom) => {
                    tracing::info!(template = %file, "using the operator's template override");
                    custom
                }
                Err(_) => {
                    let embedded = Embedded::get(&file)
                        .ok_or_else(|| Error::new(ErrorKind::TemplateNotFound, file.to_string()))?;
                    String::from_utf8(embedded.data.into_owned())
                        .map_err(|_| Error::new(ErrorKind::InvalidOperation, file.to_string()))?
                }
            };
            env.add_template_owned(name.to_string(), source)?;
        }
        Ok(())
    })
}
