//! Time tracking through the web pages: the dashboard timer, manual entries and their audit
//! rows, the entries list with totals over the whole filtered set, and its CSV export.

mod common;

use common::*;
use rocket::http::Status;
use timetracker::db;
use timetracker::tracking::projects::{create_client, create_project};
use timetracker::tracking::Actor;

async fn signed_in(vars: &[(&str, &str)], admin: bool) -> (TestApp, i64) {
    let app = TestApp::new(vars).await;
    let uid = app.add_user("alice", Some(PASSWORD), admin);
    let status = app.login("alice", Some(PASSWORD)).await.status();
    assert_eq!(status, Status::SeeOther);
    (app, uid)
}

fn project(app: &TestApp, name: &str, client: Option<&str>) -> i64 {
    let conn = app.db.conn().unwrap();
    let client_id = client.map(|c| {
        create_client(&conn, &Actor::operator(), c, db::now())
            .unwrap()
            .id
    });
    create_project(&conn, &Actor::operator(), name, client_id, true, db::now())
        .unwrap()
        .id
}

fn book(
    app: &TestApp,
    user_id: i64,
    project_id: i64,
    start: i64,
    secs: i64,
    notes: &str,
    billable: bool,
) {
    app.db
        .conn()
        .unwrap()
        .execute(
            "INSERT INTO time_entries (user_id, project_id, start_at, end_at, notes, billable, source, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'manual', 0, 0)",
            rusqlite::params![user_id, project_id, start, start + secs, notes, billable],
        )
        .unwrap();
}

#[rocket::async_test]
async fn dashboard_starts_pauses_switches_and_stops_the_timer() {
    let (app, _) = signed_in(&[], false).await;
    let web = project(&app, "Website", None);
    let support = project(&app, "Support", None);
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("action=\"&#x2f;timer&#x2f;start\"")
            || html.contains("action=\"/timer/start\""),
        "{html}"
    );

    let res = post_form(
        &app.client,
        "/",
        "/timer/start",
        &[("project_id", &web.to_string()), ("notes", "landing page")],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    let (_, html) = app.get_html("/").await;
    assert!(html.contains("data-started-at="), "live tick hook");
    assert!(html.contains("Running: Website"));
    assert!(
        unescape(&html).contains("/timer/switch"),
        "the dashboard offers switch while running"
    );
    assert!(html.contains("/assets/timer.js"));

    // Starting again from a stale page is a conflict, not a second timer.
    let res = post_form(
        &app.client,
        "/",
        "/timer/start",
        &[("project_id", &web.to_string())],
    )
    .await;
    assert_eq!(res.status(), Status::Conflict);

    assert_eq!(
        post_form(&app.client, "/", "/timer/pause", &[])
            .await
            .status(),
        Status::SeeOther
    );
    let (_, html) = app.get_html("/").await;
    assert!(html.contains("Paused: Website") && html.contains("data-paused-at="));
    assert_eq!(
        post_form(&app.client, "/", "/timer/resume", &[])
            .await
            .status(),
        Status::SeeOther
    );

    let res = post_form(
        &app.client,
        "/",
        "/timer/switch",
        &[("project_id", &support.to_string())],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    let (_, html) = app.get_html("/").await;
    assert!(html.contains("Running: Support"));

    assert_eq!(
        post_form(&app.client, "/", "/timer/stop", &[])
            .await
            .status(),
        Status::SeeOther
    );
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM time_entries WHERE end_at IS NULL"),
        0
    );
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM time_entries WHERE source = 'web'"),
        2
    );

    // Repeat last starts the Support timer again.
    assert_eq!(
        post_form(&app.client, "/", "/timer/repeat", &[])
            .await
            .status(),
        Status::SeeOther
    );
    assert_eq!(
        app.sql::<i64>(&format!(
            "SELECT count(*) FROM time_entries WHERE end_at IS NULL AND project_id = {support}"
        )),
        1
    );
}

#[rocket::async_test]
async fn adjusting_the_start_moves_it_back_and_is_audited() {
    let (app, _) = signed_in(&[("TZ", "UTC")], false).await;
    let web = project(&app, "Website", None);
    post_form(
        &app.client,
        "/",
        "/timer/start",
        &[("project_id", &web.to_string())],
    )
    .await;
    let earlier = chrono::Utc::now() - chrono::Duration::hours(2);
    let value = earlier.format("%Y-%m-%dT%H:%M").to_string();
    let res = post_form(&app.client, "/", "/timer/adjust", &[("start", &value)]).await;
    assert_eq!(res.status(), Status::SeeOther);
    let elapsed: i64 = app.sql("SELECT strftime('%s','now') - start_at FROM time_entries");
    assert!((7000..7400).contains(&elapsed), "{elapsed}");
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM audit_log WHERE action = 'timer.adjust_start'"),
        1
    );
    let future = (chrono::Utc::now() + chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = post_form(&app.client, "/", "/timer/adjust", &[("start", &future)]).await;
    assert_eq!(res.status(), Status::BadRequest);
}

#[rocket::async_test]
async fn forgotten_timers_are_auto_stopped_and_flagged_for_review() {
    let (app, uid) = signed_in(&[], false).await;
    let web = project(&app, "Website", None);
    post_form(
        &app.client,
        "/",
        "/timer/start",
        &[("project_id", &web.to_string())],
    )
    .await;
    app.exec("UPDATE time_entries SET start_at = start_at - 13 * 3600");
    let (_, html) = app.get_html("/").await;
    assert!(!html.contains("Running:"), "the read path stopped it");
    let (end, review): (i64, bool) = app
        .db
        .conn()
        .unwrap()
        .query_row(
            "SELECT end_at - start_at, needs_review FROM time_entries WHERE user_id = ?1",
            [uid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        end,
        12 * 3600,
        "stopped where the 12 h default limit was reached"
    );
    assert!(review);
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM audit_log WHERE action = 'timer.auto_stop'"),
        1
    );
    // A start after a forgotten timer works at once.
    let res = post_form(
        &app.client,
        "/",
        "/timer/start",
        &[("project_id", &web.to_string())],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn manual_entries_are_created_edited_and_deleted_with_audit_rows() {
    let (app, uid) = signed_in(&[("TZ", "Europe/Berlin")], false).await;
    let web = project(&app, "Website", None);
    let res = post_form(
        &app.client,
        "/entries/new",
        "/entries",
        &[
            ("project_id", &web.to_string()),
            ("mode", "range"),
            ("start", "2026-06-01T09:00"),
            ("end", "2026-06-01T11:30"),
            ("break_minutes", "30"),
            ("notes", "kick-off"),
            ("tags", "Meeting, meeting ,client"),
            ("billable", "true"),
        ],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/entries?notice=saved");
    let (start, secs, tags): (i64, i64, String) = app
        .db
        .conn()
        .unwrap()
        .query_row(
            "SELECT start_at, end_at - start_at - break_seconds, tags FROM time_entries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        start, 1780297200,
        "09:00 in Berlin summer time is 07:00 UTC"
    );
    assert_eq!(secs, 2 * 3600);
    assert_eq!(tags, "meeting,client");

    // Date + duration, overlapping the first one: saved, with a warning.
    let res = post_form(
        &app.client,
        "/entries/new",
        "/entries",
        &[
            ("project_id", &web.to_string()),
            ("mode", "duration"),
            ("date", "2026-06-01"),
            ("duration", "1:15"),
            ("billable", "true"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/entries?notice=overlap");
    let (_, html) = app.get_html("/entries?notice=overlap&preset=all").await;
    assert!(html.contains("overlaps"));

    let id: i64 = app.sql("SELECT min(id) FROM time_entries");
    let (status, html) = app.get_html(&format!("/entries/{id}/edit")).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("kick-off"));
    let res = post_form(
        &app.client,
        &format!("/entries/{id}/edit"),
        &format!("/entries/{id}"),
        &[
            ("project_id", &web.to_string()),
            ("mode", "range"),
            ("start", "2026-06-01T13:00"),
            ("end", "2026-06-01T14:00"),
            ("notes", "moved"),
        ],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    let detail: String = app.sql("SELECT detail FROM audit_log WHERE action = 'entry.update'");
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["before"]["notes"], "kick-off");
    assert_eq!(detail["after"]["notes"], "moved");
    assert_eq!(
        detail["after"]["billable"], false,
        "an unticked box means not billable"
    );

    let res = post_form(
        &app.client,
        "/entries",
        &format!("/entries/{id}/delete"),
        &[],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    let detail: String = app.sql("SELECT detail FROM audit_log WHERE action = 'entry.delete'");
    assert!(detail.contains("moved"));
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM audit_log WHERE action = 'entry.create'"),
        2
    );

    // Someone else's entry is invisible to a normal user.
    let bob = app.add_user("bob", None, false);
    book(&app, bob, web, 1_000_000, 60, "bob's", true);
    let bobs: i64 = app.sql("SELECT id FROM time_entries WHERE user_id != (SELECT id FROM users WHERE username = 'alice')");
    assert_eq!(
        app.get_html(&format!("/entries/{bobs}/edit")).await.0,
        Status::NotFound
    );
    let res = post_form(
        &app.client,
        "/entries",
        &format!("/entries/{bobs}/delete"),
        &[],
    )
    .await;
    assert_eq!(res.status(), Status::NotFound);
    let _ = uid;
}

#[rocket::async_test]
async fn bad_manual_entries_get_a_clear_4xx() {
    let (app, _) = signed_in(&[], false).await;
    let web = project(&app, "Website", None);
    for fields in [
        vec![
            ("project_id", web.to_string()),
            ("mode", "range".into()),
            ("start", "2026-06-01T10:00".into()),
            ("end", "2026-06-01T09:00".into()),
        ],
        vec![
            ("project_id", web.to_string()),
            ("mode", "range".into()),
            ("start", "garbage".into()),
            ("end", "2026-06-01T09:00".into()),
        ],
        vec![
            ("project_id", web.to_string()),
            ("mode", "duration".into()),
            ("date", "2026-06-01".into()),
            ("duration", "1:99".into()),
        ],
        vec![
            ("mode", "duration".into()),
            ("date", "2026-06-01".into()),
            ("duration", "1:00".into()),
        ],
        vec![
            ("project_id", web.to_string()),
            ("mode", "duration".into()),
            ("date", "2026-06-01".into()),
            ("duration", "99999999999999999:00".into()),
        ],
        vec![
            ("project_id", web.to_string()),
            ("mode", "duration".into()),
            ("date", "262143-12-31".into()),
            ("duration", "1:00".into()),
        ],
        vec![
            ("project_id", web.to_string()),
            ("mode", "range".into()),
            ("start", "2026-06-01T09:00".into()),
            ("end", "2026-06-01T10:00".into()),
            ("break_minutes", "9223372036854775807".into()),
        ],
    ] {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = post_form(&app.client, "/entries/new", "/entries", &pairs).await;
        assert_eq!(res.status(), Status::BadRequest, "{fields:?}");
    }
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM time_entries"), 0);
    assert_eq!(
        app.get_html("/entries?preset=nonsense").await.0,
        Status::BadRequest
    );
    assert_eq!(
        app.get_html("/entries?preset=custom&from=2026-13-01")
            .await
            .0,
        Status::BadRequest
    );
    assert_eq!(
        app.get_html("/entries?project=abc").await.0,
        Status::BadRequest
    );
    // Numbers at the edge of i64 and dates at the edge of the calendar: a 4xx, never a panic.
    for (path, status) in [
        ("/entries?preset=custom&to=262143-12-31", Status::BadRequest),
        ("/entries?page=9223372036854775807", Status::Ok),
        ("/reports?preset=custom&from=0001-01-01", Status::BadRequest),
    ] {
        assert_eq!(app.get_html(path).await.0, status, "{path}");
    }
}

#[rocket::async_test]
async fn entries_list_totals_cover_the_whole_filtered_set_across_pages() {
    let (app, uid) = signed_in(&[], true).await;
    let web = project(&app, "Website", Some("Acme"));
    let other = project(&app, "Internal", None);
    let base = 1_780_000_000; // 2026-05-28
    for i in 0..120 {
        book(
            &app,
            uid,
            web,
            base + i * 3600,
            1800,
            &format!("item {i}"),
            i % 2 == 0,
        );
    }
    book(&app, uid, other, base, 7200, "elsewhere", true);
    let range = "preset=custom&from=2026-05-01&to=2026-06-30";
    let (status, html) = app
        .get_html(&format!("/entries?{range}&project={web}"))
        .await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("<strong id=\"total\">60:00</strong>"),
        "120 × 30 min"
    );
    assert!(html.contains("<span id=\"count\">120</span>"));
    assert!(html.contains("Page 1 of 3"));
    let (_, html) = app
        .get_html(&format!("/entries?{range}&project={web}&billable=no"))
        .await;
    assert!(html.contains("<strong id=\"total\">30:00</strong>"));
    let (_, html) = app.get_html(&format!("/entries?{range}&q=elsewhere")).await;
    assert!(html.contains("<strong id=\"total\">2:00</strong>"));
    let client: i64 = app.sql("SELECT id FROM clients");
    let (_, html) = app
        .get_html(&format!("/entries?{range}&client={client}"))
        .await;
    assert!(html.contains("<span id=\"count\">120</span>"));

    // The CSV holds exactly the filtered set: all pages, nothing else.
    let res = app
        .client
        .get(format!("/entries.csv?{range}&project={web}&billable=no"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert!(res
        .headers()
        .get_one("Content-Type")
        .unwrap()
        .starts_with("text/csv"));
    let body = res.into_string().await.unwrap();
    assert_eq!(body.lines().count(), 1 + 60);
    assert!(
        body.lines().skip(1).all(|l| l.contains(",no,")),
        "only non-billable rows"
    );
}

#[rocket::async_test]
async fn csv_export_escapes_and_neutralises_formula_cells() {
    let (app, uid) = signed_in(&[], false).await;
    let web = project(&app, "=HYPERLINK(\"http://evil\")", None);
    book(
        &app,
        uid,
        web,
        1_780_000_000,
        3600,
        "a, b \"quoted\"\nsecond line",
        true,
    );
    book(&app, uid, web, 1_780_010_000, 3600, "+1 and -2", true);
    book(&app, uid, web, 1_780_020_000, 3600, "@SUM(A1)", true);
    let body = app
        .client
        .get("/entries.csv?preset=all")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        body.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "{body}"
    );
    assert!(
        body.contains("\"a, b \"\"quoted\"\"\nsecond line\""),
        "{body}"
    );
    assert!(body.contains(",'+1 and -2,"), "{body}");
    assert!(body.contains(",'@SUM(A1),"), "{body}");
    assert!(body.ends_with("\r\n"));
    // Every row says where the entry came from (web timer, api, kiosk, cli, manual).
    let mut lines = body.split("\r\n");
    let header = lines.next().unwrap_or_default();
    assert!(header.ends_with(",needs_review,source"), "{header}");
    let last = body.trim_end().rsplit("\r\n").next().unwrap_or_default();
    assert!(last.ends_with(",no,manual"), "{last}");
}

#[rocket::async_test]
async fn a_normal_user_only_ever_sees_their_own_entries() {
    let (app, uid) = signed_in(&[], false).await;
    let web = project(&app, "Website", None);
    let bob = app.add_user("bob", None, false);
    book(&app, uid, web, 1_780_000_000, 3600, "mine", true);
    book(&app, bob, web, 1_780_000_000, 3600, "bobs secret", true);
    let (_, html) = app
        .get_html(&format!("/entries?preset=all&user={bob}"))
        .await;
    assert!(html.contains("mine") && !html.contains("bobs secret"));
    let csv = app
        .client
        .get(format!("/entries.csv?preset=all&user={bob}"))
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(!csv.contains("bobs secret"));
}

#[rocket::async_test]
async fn day_boundaries_follow_the_organisation_timezone_across_dst() {
    // 2026-03-29 is the spring DST change in Berlin: the local day is 23 hours long.
    let (app, uid) = signed_in(&[("TZ", "Europe/Berlin")], false).await;
    let web = project(&app, "Website", None);
    let day_start = 1_774_738_800; // 2026-03-29T00:00+01:00
    book(&app, uid, web, day_start - 60, 30, "late on the 28th", true);
    book(
        &app,
        uid,
        web,
        day_start,
        60,
        "first minute of the 29th",
        true,
    );
    book(
        &app,
        uid,
        web,
        day_start + 23 * 3600 - 120,
        60,
        "last minutes of the 29th",
        true,
    );
    book(
        &app,
        uid,
        web,
        day_start + 23 * 3600,
        60,
        "first minute of the 30th",
        true,
    );
    let (_, html) = app
        .get_html("/entries?preset=custom&from=2026-03-29&to=2026-03-29")
        .await;
    assert!(html.contains("<span id=\"count\">2</span>"), "{html}");
    assert!(html.contains("first minute of the 29th") && html.contains("last minutes of the 29th"));
    assert!(!html.contains("late on the 28th") && !html.contains("of the 30th"));
}
