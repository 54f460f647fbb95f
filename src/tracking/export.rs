//! CSV and JSON exports of exactly a filtered set of entries. CSV follows RFC 4180, and
//! cells that a spreadsheet would run as a formula are neutralised.

use serde_json::json;

use super::hours;
use super::rounding::Rounding;
use super::timezone::{self, Zone};
use crate::db::entries::EntryRow;

/// One CSV cell: a leading `=`, `+`, `-`, `@`, tab or CR gets a `'` so spreadsheets show it
/// as text instead of evaluating it; then RFC 4180 quoting when needed.
pub fn cell(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

/// One CSV line (CRLF-terminated, as RFC 4180 says).
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = cells
        .iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

pub const HEADER: &[&str] = &[
    "id",
    "date",
    "start",
    "end",
    "user",
    "client",
    "project",
    "task",
    "notes",
    "tags",
    "billable",
    "break_seconds",
    "duration_seconds",
    "hours",
    "rounded_hours",
    "needs_review",
    "source",
];

fn local(tz: &Zone, at: i64) -> String {
    timezone::to_local(tz, at).to_rfc3339()
}

/// The entries as CSV, with local times in `tz` and rounded hours beside the raw ones.
pub fn csv(rows: &[EntryRow], tz: &Zone, rounding: Rounding) -> String {
    let mut out = line(HEADER);
    for e in rows {
        out.push_str(&line(&[
            e.id.to_string(),
            timezone::local_date(tz, e.start_at).to_string(),
            local(tz, e.start_at),
            e.end_at.map(|t| local(tz, t)).unwrap_or_default(),
            e.username.clone(),
            e.client.clone().unwrap_or_default(),
            e.project.clone(),
            e.task.clone().unwrap_or_default(),
            e.notes.clone(),
            e.tags.clone(),
            if e.billable { "yes" } else { "no" }.to_string(),
            e.break_seconds.to_string(),
            e.duration_seconds.to_string(),
            hours(e.duration_seconds),
            hours(rounding.apply(e.duration_seconds)),
            if e.needs_review { "yes" } else { "no" }.to_string(),
            e.source.clone(),
        ]));
    }
    out
}

/// One entry as API/export JSON (instants in RFC 3339 UTC).
pub fn entry_json(e: &EntryRow) -> serde_json::Value {
    let utc = |t: i64| {
        chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    json!({
        "id": e.id,
        "user_id": e.user_id,
        "username": e.username,
        "project_id": e.project_id,
        "project": e.project,
        "client_id": e.client_id,
        "client": e.client,
        "task_id": e.task_id,
        "task": e.task,
        "start": utc(e.start_at),
        "end": e.end_at.and_then(utc),
        "running": e.running(),
        "paused": e.paused_at.is_some(),
        "break_seconds": e.break_seconds,
        "duration_seconds": e.duration_seconds,
        "notes": e.notes,
        "billable": e.billable,
        "tags": e.tags.split(',').filter(|t| !t.is_empty()).collect::<Vec<_>>(),
        "source": e.source,
        "needs_review": e.needs_review,
    })
}

/// The entries as a JSON document with the total, for `export entries --format json`.
pub fn json(rows: &[EntryRow], rounding: Rounding) -> serde_json::Value {
    let total: i64 = rows.iter().map(|e| e.duration_seconds).sum();
    let rounded: i64 = rows
        .iter()
        .map(|e| rounding.apply(e.duration_seconds))
        .sum();
    json!({
        "entries": rows.iter().map(entry_json).collect::<Vec<_>>(),
        "total_seconds": total,
        "rounded_seconds": rounded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("+49 30"), "'+49 30");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            cell("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
    }
}
