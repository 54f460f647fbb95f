//! `/metrics` in the Prometheus text format, for administrators: requests and their
//! latency by route, sign-in outcomes, and gauges read from the database and `/proc`.
//!
//! Administrators only (a signed-in admin, or an API token of an admin user; read scope is
//! enough, so a scraper's token cannot change anything). Not "anyone on loopback": behind a
//! reverse proxy on the same box every request comes from loopback.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Method};
use rocket::{get, Data, Request, Response, State};

use crate::auth::api_token::ApiRead;
use crate::auth::counters;
use crate::db::{self, migrate, DbError};
use crate::error::{AppError, AppResult};
use crate::AppState;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Series {
    by_status: Vec<(u16, u64)>,
    /// Non-cumulative counts per bucket; the last slot is above the largest bound.
    buckets: [u64; BUCKETS.len() + 1],
    sum_secs: f64,
}

/// Requests seen since start, keyed by the matched route's path pattern (`/entries/<id>`, so
/// the label set stays bounded whatever paths clients ask for) and method.
#[derive(Default)]
pub struct HttpMetrics {
    series: Mutex<HashMap<String, Vec<(Method, Series)>>>,
}

impl HttpMetrics {
    fn observe(&self, route: &str, method: Method, status: u16, secs: f64) {
        // A poisoned lock only means another request panicked mid-update; counts stay usable.
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        // Looked up by &str first: a String is allocated only for a route's first request.
        let by_method = match map.get_mut(route) {
            Some(v) => v,
            None => map.entry(route.to_string()).or_default(),
        };
        let i = match by_method.iter().position(|(m, _)| *m == method) {
            Some(i) => i,
            None => {
                by_method.push((method, Series::default()));
                by_method.len() - 1
            }
        };
        let s = &mut by_method[i].1;
        match s.by_status.iter_mut().find(|(code, _)| *code == status) {
            Some((_, n)) => *n += 1,
            None => s.by_status.push((status, 1)),
        }
        let slot = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        s.buckets[slot] += 1;
        s.sum_secs += secs;
    }

    fn write(&self, out: &mut String) {
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<(&str, &str, &Series)> = map
            .iter()
            .flat_map(|(route, v)| v.iter().map(move |(m, s)| (route.as_str(), m.as_str(), s)))
            .collect();
        all.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        out.push_str(
            "# HELP timetracker_http_requests_total HTTP requests answered, by route, method and status.\n\
             # TYPE timetracker_http_requests_total counter\n",
        );
        for (route, method, s) in &all {
            let mut statuses = s.by_status.clone();
            statuses.sort_unstable();
            for (status, n) in statuses {
                let _ = writeln!(
                    out,
                    "timetracker_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str(
            "# HELP timetracker_http_request_duration_seconds Time from request to response headers, by route and method.\n\
             # TYPE timetracker_http_request_duration_seconds histogram\n",
        );
        for (route, method, s) in &all {
            let labels = format!("route=\"{}\",method=\"{method}\"", escape(route));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(&s.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "timetracker_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            cumulative += s.buckets[BUCKETS.len()];
            let _ = writeln!(
                out,
                "timetracker_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {cumulative}\n\
                 timetracker_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 timetracker_http_request_duration_seconds_count{{{labels}}} {cumulative}",
                s.sum_secs
            );
        }
    }
}

/// A label value as the text format wants it.
fn escape(v: &str) -> Cow<'_, str> {
    if v.contains(['\\', '"', '\n']) {
        Cow::Owned(
            v.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n"),
        )
    } else {
        Cow::Borrowed(v)
    }
}

/// The fairing that feeds [`HttpMetrics`].
pub struct RequestMetrics(pub Arc<HttpMetrics>);

struct Started(Instant);

#[rocket::async_trait]
impl Fairing for RequestMetrics {
    fn info(&self) -> Info {
        Info {
            name: "request metrics",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Started(Instant::now()));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let started = req.local_cache(|| Started(Instant::now())).0;
        let route = req.route().map_or("unmatched", |r| r.uri.path());
        self.0.observe(
            route,
            req.method(),
            res.status().code,
            started.elapsed().as_secs_f64(),
        );
    }
}

/// What the database says, read in one go per scrape.
struct DbGauges {
    running_timers: i64,
    needs_review: i64,
    users_active: i64,
    users_inactive: i64,
    sessions: Vec<(String, i64)>,
    db_bytes: i64,
    schema_version: u32,
}

fn db_gauges(c: &rusqlite::Connection, now: i64) -> Result<DbGauges, DbError> {
    let count = |sql: &str| -> Result<i64, DbError> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
    let mut stmt =
        c.prepare("SELECT kind, COUNT(*) FROM sessions WHERE expires_at > ?1 GROUP BY kind")?;
    let sessions = stmt
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(DbGauges {
        // Both counts read partial indexes, so a scrape costs the same at any history size.
        running_timers: count("SELECT COUNT(*) FROM time_entries WHERE end_at IS NULL")?,
        needs_review: count("SELECT COUNT(*) FROM time_entries WHERE needs_review = 1")?,
        users_active: count("SELECT COUNT(*) FROM users WHERE is_active = 1")?,
        users_inactive: count("SELECT COUNT(*) FROM users WHERE is_active = 0")?,
        sessions,
        db_bytes: count(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        )?,
        schema_version: migrate::current_version(c)?,
    })
}

fn gauge(out: &mut String, name: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

/// Resident memory and open descriptors of this process, where `/proc` has them.
fn process_gauges(out: &mut String) {
    if let Ok(statm) = std::fs::read_to_string("/proc/self/statm") {
        if let Some(pages) = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u64>().ok())
        {
            // SAFETY: sysconf only reads a constant of the running system.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
            gauge(
                out,
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                pages * page,
            );
        }
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        gauge(
            out,
            "process_open_fds",
            "Number of open file descriptors.",
            fds.count(),
        );
    }
}

/// When the process started, for `process_start_time_seconds` and the uptime.
pub struct StartedAt(pub SystemTime);

#[get("/metrics")]
pub async fn metrics(
    state: &State<AppState>,
    http: &State<Arc<HttpMetrics>>,
    started: &State<StartedAt>,
    api: ApiRead,
) -> AppResult<(ContentType, String)> {
    if !api.0.user.is_admin {
        return Err(AppError::Forbidden(
            "Metrics are for administrators.".into(),
        ));
    }
    let now = db::now();
    let g = state.db.run(move |c| db_gauges(c, now)).await?;
    let mut out = String::with_capacity(8 * 1024);
    let _ = writeln!(
        out,
        "# HELP timetracker_build_info The running version.\n# TYPE timetracker_build_info gauge\n\
         timetracker_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    let start = started.0.duration_since(UNIX_EPOCH).unwrap_or_default();
    gauge(
        &mut out,
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch, in seconds.",
        start.as_secs(),
    );
    process_gauges(&mut out);
    http.write(&mut out);
    out.push_str(
        "# HELP timetracker_sign_ins_total Sign-in attempts since start, by method and result.\n\
         # TYPE timetracker_sign_ins_total counter\n",
    );
    for ((method, result), n) in counters::snapshot() {
        let _ = writeln!(
            out,
            "timetracker_sign_ins_total{{method=\"{method}\",result=\"{result}\"}} {n}"
        );
    }
    gauge(
        &mut out,
        "timetracker_timers_running",
        "Timers running now.",
        g.running_timers,
    );
    gauge(
        &mut out,
        "timetracker_entries_needing_review",
        "Entries flagged needs_review (auto-stopped timers) not yet reviewed.",
        g.needs_review,
    );
    out.push_str("# HELP timetracker_users Accounts, by state.\n# TYPE timetracker_users gauge\n");
    let _ = writeln!(
        out,
        "timetracker_users{{state=\"active\"}} {}\ntimetracker_users{{state=\"inactive\"}} {}",
        g.users_active, g.users_inactive
    );
    out.push_str(
        "# HELP timetracker_sessions Unexpired sessions, by kind.\n# TYPE timetracker_sessions gauge\n",
    );
    for kind in ["user", "kiosk"] {
        let n = g
            .sessions
            .iter()
            .find(|(k, _)| k == kind)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "timetracker_sessions{{kind=\"{kind}\"}} {n}");
    }
    gauge(
        &mut out,
        "timetracker_database_size_bytes",
        "Size of the SQLite database file (without its WAL).",
        g.db_bytes,
    );
    gauge(
        &mut out,
        "timetracker_schema_version",
        "Schema version of the database.",
        g.schema_version,
    );
    Ok((
        ContentType::new("text", "plain").with_params([("version", "0.0.4"), ("charset", "utf-8")]),
        out,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("/plain/<id>"), "/plain/<id>");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_counts_split_by_status() {
        let m = HttpMetrics::default();
        m.observe("/entries", Method::Get, 200, 0.0005);
        m.observe("/entries", Method::Get, 200, 0.003);
        m.observe("/entries", Method::Get, 404, 9.0);
        let mut out = String::new();
        m.write(&mut out);
        assert!(out.contains(
            "timetracker_http_requests_total{route=\"/entries\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(out.contains(
            "timetracker_http_requests_total{route=\"/entries\",method=\"GET\",status=\"404\"} 1"
        ));
        let bucket = |le: &str| {
            let prefix = format!(
                "timetracker_http_request_duration_seconds_bucket{{route=\"/entries\",method=\"GET\",le=\"{le}\"}} "
            );
            out.lines()
                .find_map(|l| l.strip_prefix(prefix.as_str()))
                .unwrap_or_else(|| panic!("no bucket le={le} in\n{out}"))
                .to_string()
        };
        assert_eq!(bucket("0.001"), "1");
        assert_eq!(bucket("0.005"), "2");
        assert_eq!(bucket("2.5"), "2");
        assert_eq!(bucket("+Inf"), "3");
        assert!(out.contains(
            "timetracker_http_request_duration_seconds_count{route=\"/entries\",method=\"GET\"} 3"
        ));
    }
}
