//! What the time-tracking pages show: entries and options formatted in the organisation's
//! timezone, and the shared filter parameters of the entries list, reports and CSV.

use rocket::form::FromForm;
use rusqlite::Connection;
use serde::Serialize;

use crate::auth::guards::{Client, CurrentUser};
use crate::db::entries::{EntryRow, Filter};
use crate::db::{clients, projects, tasks, users};
use crate::error::{AppError, AppResult};
use crate::tracking::reports::{resolve_range, Range, PRESETS};
use crate::tracking::settings::OrgSettings;
use crate::tracking::timezone::{self, Zone};
use crate::tracking::{hm, Actor};

/// The acting person of a web request, for the tracking services and the audit log.
pub fn actor(u: &CurrentUser, client: &Client) -> Actor {
    Actor {
        user_id: Some(u.user.id),
        is_admin: u.user.is_admin,
        client_ip: Some(client.ip.to_string()),
    }
}

#[derive(Serialize)]
pub struct EntryView {
    pub id: i64,
    pub username: String,
    pub project_id: i64,
    pub task_id: Option<i64>,
    pub project: String,
    pub client: Option<String>,
    pub task: Option<String>,
    pub date: String,
    pub start: String,
    pub end: Option<String>,
    pub start_at: i64,
    pub paused_at: Option<i64>,
    pub break_seconds: i64,
    pub duration: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub billable: bool,
    pub running: bool,
    pub needs_review: bool,
}

pub fn entry_view(e: &EntryRow, tz: &Zone) -> EntryView {
    let start = timezone::to_local(tz, e.start_at);
    EntryView {
        id: e.id,
        username: e.username.clone(),
        project_id: e.project_id,
        task_id: e.task_id,
        project: e.project.clone(),
        client: e.client.clone(),
        task: e.task.clone(),
        date: timezone::day_label(start.date_naive()),
        start: timezone::clock(&start),
        end: e
            .end_at
            .map(|t| timezone::clock(&timezone::to_local(tz, t))),
        start_at: e.start_at,
        paused_at: e.paused_at,
        break_seconds: e.break_seconds,
        duration: hm(e.duration_seconds),
        notes: e.notes.clone(),
        tags: e
            .tags
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        billable: e.billable,
        running: e.running(),
        needs_review: e.needs_review,
    }
}

pub fn entry_views(rows: &[EntryRow], tz: &Zone) -> Vec<EntryView> {
    rows.iter().map(|e| entry_view(e, tz)).collect()
}

#[derive(Serialize)]
pub struct Choice {
    pub id: i64,
    pub name: String,
    pub group: Option<String>,
    pub archived: bool,
}

/// Users, clients, projects and tasks for select boxes.
#[derive(Serialize)]
pub struct Options {
    pub users: Vec<Choice>,
    pub clients: Vec<Choice>,
    pub projects: Vec<Choice>,
    pub tasks: Vec<Choice>,
}

pub fn options(c: &Connection, with_users: bool, active_only: bool) -> AppResult<Options> {
    let projects = projects::list(c, active_only)?;
    let project_name = |id: i64| projects.iter().find(|p| p.id == id).map(|p| p.name.clone());
    let tasks = tasks::list(c, active_only)?
        .into_iter()
        .filter_map(|t| {
            Some(Choice {
                id: t.id,
                group: Some(project_name(t.project_id)?),
                name: t.name,
                archived: t.archived,
            })
        })
        .collect();
    Ok(Options {
        users: if with_users {
            users::list(c)?
                .into_iter()
                .map(|u| Choice {
                    id: u.id,
                    name: u.username,
                    group: None,
                    archived: !u.is_active,
                })
                .collect()
        } else {
            Vec::new()
        },
        clients: clients::list(c)?
            .into_iter()
            .filter(|cl| !active_only || !cl.archived)
            .map(|cl| Choice {
                id: cl.id,
                name: cl.name,
                group: None,
                archived: cl.archived,
            })
            .collect(),
        projects: projects
            .iter()
            .map(|p| Choice {
                id: p.id,
                name: p.name.clone(),
                group: p.client.clone(),
                archived: p.archived,
            })
            .collect(),
        tasks,
    })
}

/// The filter bar's parameters, as typed (all optional, validated in [`ListParams::filter`]).
#[derive(FromForm, Default, Debug, Clone, Serialize)]
pub struct ListParams {
    pub preset: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub user: Option<String>,
    pub client: Option<String>,
    pub project: Option<String>,
    pub task: Option<String>,
    pub billable: Option<String>,
    pub q: Option<String>,
    pub group: Option<String>,
    pub page: Option<String>,
    /// A fixed-text notice code after a redirect (never echoed).
    pub notice: Option<String>,
}

fn id(v: &Option<String>, what: &str) -> AppResult<Option<i64>> {
    match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("The {what} filter must be a number."))),
    }
}

impl ListParams {
    /// The database filter and resolved range. People who aren't admins see only their own
    /// time, whatever the URL says.
    pub fn filter(
        &self,
        s: &OrgSettings,
        viewer: &CurrentUser,
        now: i64,
    ) -> AppResult<(Filter, Range)> {
        let range = resolve_range(
            s,
            self.preset.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
            "this_week",
            now,
        )
        .map_err(AppError::BadRequest)?;
        let user_id = if viewer.user.is_admin {
            id(&self.user, "user")?
        } else {
            Some(viewer.user.id)
        };
        let billable = match self.billable.as_deref().unwrap_or("") {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => return Err(AppError::BadRequest("Billable is yes, no or empty.".into())),
        };
        let text = self
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| q.chars().take(200).collect());
        Ok((
            Filter {
                from: range.from,
                to: range.to,
                user_id,
                client_id: id(&self.client, "client")?,
                project_id: id(&self.project, "project")?,
                task_id: id(&self.task, "task")?,
                billable,
                text,
            },
            range,
        ))
    }

    /// The page number, kept small enough that its offset can't overflow.
    pub fn page(&self) -> AppResult<i64> {
        Ok(id(&self.page, "page")?.unwrap_or(1).clamp(1, 1_000_000))
    }

    /// The query string of this filter (without the page), for links and exports.
    pub fn query(&self, range: &Range) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("preset", &range.preset);
        if range.preset == "custom" {
            if let Some(d) = range.from_date {
                q.append_pair("from", &d.to_string());
            }
            if let Some(d) = range.to_date {
                q.append_pair("to", &d.to_string());
            }
        }
        for (k, v) in [
            ("user", &self.user),
            ("client", &self.client),
            ("project", &self.project),
            ("task", &self.task),
            ("billable", &self.billable),
            ("q", &self.q),
            ("group", &self.group),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }
}

/// The presets for the filter bar's select box.
pub fn presets() -> Vec<(&'static str, &'static str)> {
    PRESETS.to_vec()
}

/// A duration typed as `1:30`, `1.5` or `90m`, in seconds (at most a week).
pub fn parse_duration(raw: &str) -> Option<i64> {
    const MAX: i64 = 7 * 24 * 3600;
    let v = raw.trim().to_lowercase();
    let secs = if let Some((h, m)) = v.split_once(':') {
        let (h, m): (i64, i64) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
        if !(0..60).contains(&m) || !(0..=MAX / 3600).contains(&h) {
            return None;
        }
        h * 3600 + m * 60
    } else if let Some(m) = v.strip_suffix('m') {
        m.trim()
            .parse::<i64>()
            .ok()
            .filter(|m| (0..=MAX / 60).contains(m))?
            * 60
    } else {
        let h: f64 = v.strip_suffix('h').unwrap_or(&v).trim().parse().ok()?;
        if !h.is_finite() || !(0.0..=(MAX / 3600) as f64).contains(&h) {
            return None;
        }
        (h * 3600.0).round() as i64
    };
    (secs > 0).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations_are_read_in_the_usual_spellings() {
        assert_eq!(parse_duration("1:30"), Some(5400));
        assert_eq!(parse_duration("1.5"), Some(5400));
        assert_eq!(parse_duration("90m"), Some(5400));
        assert_eq!(parse_duration("2h"), Some(7200));
        for bad in [
            "",
            "0",
            "1:75",
            "abc",
            "-1",
            "NaN",
            "99999999999999999:00",
            "9223372036854775807m",
            "1e300",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
