//! Clients, projects and tasks: everyone sees them, administrators create and archive them.

use super::templates::Template;
use crate::context;
use rocket::form::FromForm;
use rocket::response::Redirect;
use rocket::{get, post, State};
use serde::Serialize;

use super::layout::Layout;
use super::view::actor;
use crate::auth::csrf::CsrfForm;
use crate::auth::guards::{AdminUser, Client, CurrentUser};
use crate::db::clients::ClientRow;
use crate::db::projects::ProjectRow;
use crate::db::tasks::TaskRow;
use crate::db::{self, clients, projects, tasks};
use crate::error::{AppError, AppResult};
use crate::tracking::projects::{self as service, Kind};
use crate::{has_csrf, AppState};

#[derive(Serialize)]
struct ProjectView {
    project: ProjectRow,
    tasks: Vec<TaskRow>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "Created.",
        "archived" => "Archived. Its history stays; it takes no new time.",
        "restored" => "Restored.",
        _ => return None,
    })
}

#[get("/projects?<notice>")]
pub async fn page(
    state: &State<AppState>,
    user: CurrentUser,
    layout: Layout,
    notice: Option<&str>,
) -> AppResult<Template> {
    let notice = self::notice(notice);
    let is_admin = user.user.is_admin;
    let (clients, projects): (Vec<ClientRow>, Vec<ProjectView>) = state
        .db
        .run(|c| -> Result<_, db::DbError> {
            let all_tasks = tasks::list(c, false)?;
            let projects = projects::list(c, false)?
                .into_iter()
                .map(|p| ProjectView {
                    tasks: all_tasks
                        .iter()
                        .filter(|t| t.project_id == p.id)
                        .cloned()
                        .collect(),
                    project: p,
                })
                .collect();
            Ok((clients::list(c)?, projects))
        })
        .await?;
    Ok(Template::render(
        "projects.html",
        context! { layout, notice, clients, projects, is_admin },
    ))
}

#[derive(FromForm)]
pub struct NameForm {
    csrf_token: String,
    name: String,
    client_id: Option<i64>,
    billable: bool,
}
has_csrf!(NameForm);

#[derive(FromForm)]
pub struct ArchiveForm {
    csrf_token: String,
    archived: bool,
}
has_csrf!(ArchiveForm);

fn done(notice: &str) -> Redirect {
    Redirect::to(format!("/projects?notice={notice}"))
}

#[post("/clients", data = "<form>")]
pub async fn create_client(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    form: CsrfForm<NameForm>,
) -> AppResult<Redirect> {
    let actor = actor(&admin.0, &client);
    let name = form.0.name;
    state
        .db
        .run(move |c| service::create_client(c, &actor, &name, db::now()))
        .await?;
    Ok(done("created"))
}

#[post("/projects", data = "<form>")]
pub async fn create_project(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    form: CsrfForm<NameForm>,
) -> AppResult<Redirect> {
    let actor = actor(&admin.0, &client);
    let f = form.0;
    state
        .db
        .run(move |c| {
            service::create_project(c, &actor, &f.name, f.client_id, f.billable, db::now())
        })
        .await?;
    Ok(done("created"))
}

#[post("/projects/<id>/tasks", data = "<form>")]
pub async fn create_task(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    id: i64,
    form: CsrfForm<NameForm>,
) -> AppResult<Redirect> {
    let actor = actor(&admin.0, &client);
    let name = form.0.name;
    state
        .db
        .run(move |c| service::create_task(c, &actor, id, &name, db::now()))
        .await?;
    Ok(done("created"))
}

#[post("/<kind>/<id>/archive", data = "<form>", rank = 2)]
pub async fn archive(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    kind: &str,
    id: i64,
    form: CsrfForm<ArchiveForm>,
) -> AppResult<Redirect> {
    let kind = match kind {
        "clients" => Kind::Client,
        "projects" => Kind::Project,
        "tasks" => Kind::Task,
        _ => return Err(AppError::NotFound),
    };
    let actor = actor(&admin.0, &client);
    let archived = form.0.archived;
    state
        .db
        .run(move |c| service::set_archived(c, &actor, kind, id, archived, db::now()))
        .await?;
    Ok(done(if archived { "archived" } else { "restored" }))
}
