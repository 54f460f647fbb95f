//! The signed-in home page.

use rocket::get;
use rocket_dyn_templates::{context, Template};

use super::layout::Layout;
use crate::auth::guards::CurrentUser;

#[get("/")]
pub fn dashboard(_user: CurrentUser, layout: Layout) -> Template {
    Template::render("dashboard.html", context! { layout })
}
