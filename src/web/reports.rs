//! Reports: totals grouped by day, week, project, client or user, raw and rounded, with a
//! server-rendered SVG bar chart, a CSV and a printable view.

use super::templates::Template;
use crate::context;
use rocket::{get, State};

use super::entries::Csv;
use super::layout::Layout;
use super::view::{options, presets, ListParams};
use crate::auth::guards::CurrentUser;
use crate::db::{self, entries};
use crate::error::{AppError, AppResult};
use crate::tracking::export::line;
use crate::tracking::hours;
use crate::tracking::reports::{group, svg_chart, GroupBy, Range, Report};
use crate::tracking::settings::OrgSettings;
use crate::AppState;

fn group_by(p: &ListParams) -> AppResult<(GroupBy, String)> {
    let name = p
        .group
        .clone()
        .filter(|g| !g.is_empty())
        .unwrap_or_else(|| "project".into());
    let by = GroupBy::parse(&name).ok_or_else(|| {
        AppError::BadRequest("Group by day, week, project, client or user.".into())
    })?;
    Ok((by, name))
}

/// A computed report and what the page needs around it.
struct Built {
    report: Report,
    range: Range,
    settings: OrgSettings,
    params: ListParams,
    group_name: String,
}

async fn build(state: &AppState, user: &CurrentUser, p: ListParams) -> AppResult<Built> {
    let user = user.clone();
    let default_tz = state.config.timezone.clone();
    state
        .db
        .run(move |c| {
            let now = db::now();
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let (filter, range) = p.filter(&s, &user, now)?;
            let (by, name) = group_by(&p)?;
            let rows = entries::all(c, &filter, now)?;
            Ok(Built {
                report: group(&rows, by, &s, s.rounding),
                range,
                settings: s,
                params: p,
                group_name: name,
            })
        })
        .await
}

async fn render(
    state: &AppState,
    user: CurrentUser,
    layout: Layout,
    p: ListParams,
    printable: bool,
) -> AppResult<Template> {
    let Built {
        report,
        range,
        settings: s,
        params: p,
        group_name,
    } = build(state, &user, p).await?;
    let is_admin = user.user.is_admin;
    let opts = state.db.run(move |c| options(c, is_admin, false)).await?;
    let query = p.query(&range);
    Ok(Template::render(
        "reports.html",
        context! {
            layout,
            printable,
            chart: svg_chart(&report),
            report,
            range: &range,
            params: &p,
            group: group_name,
            groups: GroupBy::ALL,
            presets: presets(),
            options: opts,
            is_admin,
            query,
            rounding: s.rounding.describe(),
            organisation: s.organisation_name,
            timezone: s.tz.name(),
        },
    ))
}

#[get("/reports?<p..>")]
pub async fn page(
    state: &State<AppState>,
    user: CurrentUser,
    layout: Layout,
    p: ListParams,
) -> AppResult<Template> {
    render(state, user, layout, p, false).await
}

#[get("/reports/print?<p..>")]
pub async fn print(
    state: &State<AppState>,
    user: CurrentUser,
    layout: Layout,
    p: ListParams,
) -> AppResult<Template> {
    render(state, user, layout, p, true).await
}

#[get("/reports.csv?<p..>")]
pub async fn csv(state: &State<AppState>, user: CurrentUser, p: ListParams) -> AppResult<Csv> {
    let Built {
        report, group_name, ..
    } = build(state, &user, p).await?;
    let mut out = line(&[
        group_name.as_str(),
        "entries",
        "hours",
        "rounded_hours",
        "billable_hours",
    ]);
    for g in &report.groups {
        out.push_str(&line(&[
            g.label.clone(),
            g.entries.to_string(),
            g.hours.clone(),
            g.rounded_hours.clone(),
            hours(g.billable_seconds),
        ]));
    }
    out.push_str(&line(&[
        "total".to_string(),
        report.entries.to_string(),
        report.total_hours.clone(),
        report.total_rounded_hours.clone(),
        hours(report.groups.iter().map(|g| g.billable_seconds).sum()),
    ]));
    Ok(Csv::new(out, "report.csv"))
}
