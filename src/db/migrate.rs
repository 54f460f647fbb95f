//! Forward-only migrations, embedded in the binary and tracked by `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;

use super::DbError;

/// (version, name, SQL). Version 1 is the baseline `schema.sql`.
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "baseline", include_str!("../../schema.sql")),
    (
        2,
        "time_tracking",
        include_str!("../../migrations/0002_time_tracking.sql"),
    ),
    (3, "oidc", include_str!("../../migrations/0003_oidc.sql")),
    (4, "kiosk", include_str!("../../migrations/0004_kiosk.sql")),
];

/// The schema version this binary expects.
pub const LATEST: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub fn current_version(conn: &Connection) -> Result<u32, DbError> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// Applies every pending migration, each in its own transaction. An existing database is
/// backed up into `backup_dir` first. Returns the versions applied.
pub fn migrate(conn: &mut Connection, backup_dir: &Path) -> Result<Vec<u32>, DbError> {
    let current = current_version(conn)?;
    if current > LATEST {
        return Err(DbError::Schema(format!(
            "the database has schema version {current}, newer than this binary knows ({LATEST}); install the newer timetracker release"
        )));
    }
    if current == LATEST {
        return Ok(Vec::new());
    }
    if current > 0 {
        let dest = backup_dir.join(format!(
            "pre-migrate-v{current}-{}.db",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ));
        super::backup::backup_to(conn, &dest)?;
        tracing::info!(path = %dest.display(), "backed up the database before migrating");
    }
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| DbError::Schema(format!("migration {version} ({name}) failed: {e}")))?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, name, "applied migration");
        applied.push(*version);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_applies_nothing_the_second_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        assert_eq!(migrate(&mut conn, dir.path()).unwrap(), vec![1, 2, 3, 4]);
        assert!(migrate(&mut conn, dir.path()).unwrap().is_empty());
        assert_eq!(current_version(&conn).unwrap(), LATEST);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1)
            .unwrap();
        let err = migrate(&mut conn, dir.path()).unwrap_err().to_string();
        assert!(err.contains("newer"), "{err}");
    }
}
