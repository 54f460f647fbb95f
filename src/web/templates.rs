//! Page templates, compiled into the binary. A file of the same name in
//! `<data-dir>/templates/` replaces the embedded one (operator branding), read at start.
//!
//! We drive minijinja ourselves rather than through a template fairing: the context goes
//! straight into minijinja values in one pass. A generic fairing first serialises it into an
//! intermediate sorted map and converts that again while rendering, which was more than half
//! the CPU of a 50-row entries page.

use std::borrow::Cow;
use std::path::Path;

use minijinja::{default_auto_escape_callback, Environment, Error, ErrorKind};
use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder};
use rocket::Request;
use rust_embed::RustEmbed;

pub use minijinja::Value;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct Embedded;

/// The loaded templates, managed by Rocket.
pub struct Templates(Environment<'static>);

impl Templates {
    /// The embedded templates, each replaced by `<override_dir>/<name>.j2` when that exists.
    pub fn load(override_dir: &Path) -> Result<Templates, Error> {
        let mut env = Environment::new();
        // Must precede add_template: templates added before it would not be escaped.
        env.set_auto_escape_callback(default_auto_escape_callback);
        for file in Embedded::iter() {
            let Some(name) = file.strip_suffix(".j2") else {
                continue;
            };
            let path = override_dir.join(&*file);
            let source = match std::fs::read_to_string(&path) {
                Ok(custom) => {
                    tracing::info!(template = %file, "using the operator's template override");
                    custom
                }
                // An override that exists but cannot be read (permissions, not UTF-8) stops
                // the start: silently serving the stock page would hide the operator's mistake.
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(unreadable(&path, e))
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
        // Extra files (a footer partial, say) that overrides can `include` by name.
        for (name, source) in extra_templates(override_dir)? {
            env.add_template_owned(name, source)?;
        }
        Ok(Templates(env))
    }

    fn render(&self, name: &str, context: &Value) -> Result<String, Error> {
        self.0.get_template(name)?.render(context)
    }
}

fn unreadable(path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("cannot read {}: {e}", path.display()),
    )
}

/// The `*.j2` files in `dir` that have no embedded namesake, as (name without `.j2`, source).
fn extra_templates(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(unreadable(dir, e)),
    };
    let mut extra = Vec::new();
    for item in listing {
        let path = item.map_err(|e| unreadable(dir, e))?.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        let Some(name) = file.strip_suffix(".j2") else {
            continue;
        };
        if Embedded::get(file).is_some() || !path.is_file() {
            continue;
        }
        let source = std::fs::read_to_string(&path).map_err(|e| unreadable(&path, e))?;
        extra.push((name.to_string(), source));
    }
    Ok(extra)
}

/// A page: a template name and its context, rendered when Rocket sends the response.
pub struct Template {
    name: Cow<'static, str>,
    context: Value,
}

impl Template {
    /// `context` is usually built with [`context!`](crate::context).
    pub fn render(name: impl Into<Cow<'static, str>>, context: Value) -> Template {
        Template {
            name: name.into(),
            context,
        }
    }
}

impl<'r> Responder<'r, 'static> for Template {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let Some(templates) = req.rocket().state::<Templates>() else {
            tracing::error!("templates are not loaded");
            return Err(Status::InternalServerError);
        };
        match templates.render(&self.name, &self.context) {
            Ok(html) => (ContentType::HTML, html).respond_to(req),
            Err(e) => {
                tracing::error!(template = %self.name, error = %e, "template failed to render");
                Err(Status::InternalServerError)
            }
        }
    }
}

/// A template context: `context! { key: value, shorthand }`, every value `Serialize`.
#[macro_export]
macro_rules! context {
    (@value $key:ident) => { $key };
    (@value $key:ident: $value:expr) => { $value };
    ($($key:ident $(: $value:expr)?),* $(,)?) => {{
        let pairs: ::std::vec::Vec<(&'static str, $crate::web::templates::Value)> = ::std::vec![
            $((
                stringify!($key),
                $crate::web::templates::Value::from_serialize(&$crate::context!(@value $key $(: $value)?)),
            )),*
        ];
        pairs.into_iter().collect::<$crate::web::templates::Value>()
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &'static str, context: Value) -> String {
        let mut env = Environment::new();
        env.set_auto_escape_callback(default_auto_escape_callback);
        env.add_template("t.html", source).expect("template parses");
        Templates(env).render("t.html", &context).expect("renders")
    }

    #[test]
    fn context_takes_shorthand_and_named_values_and_html_is_escaped() {
        let name = "<b>Ada</b>";
        let rows = vec![(1, "a"), (2, "b")];
        let html = render(
            "{{ name }} {{ count }} {% for r in rows %}{{ r[1] }}{% endfor %} {{ none_value or 'x' }}",
            crate::context! { name, count: rows.len(), rows, none_value: Option::<i64>::None },
        );
        assert_eq!(html, "&lt;b&gt;Ada&lt;&#x2f;b&gt; 2 ab x");
    }

    #[test]
    fn an_unreadable_override_stops_the_load_instead_of_being_ignored() {
        let dir = std::env::temp_dir().join(format!("tt-bad-override-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("login.html.j2"), [0xff, 0xfe, 0x00]).expect("write");
        let err = Templates::load(&dir)
            .err()
            .expect("a non-UTF-8 override is refused");
        assert!(err.to_string().contains("login.html.j2"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn every_embedded_template_parses() {
        let dir = std::env::temp_dir().join("tt-no-overrides-here");
        let t = Templates::load(&dir).expect("embedded templates load");
        assert!(t.0.get_template("entries.html").is_ok());
    }
}
