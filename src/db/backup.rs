//! Online backups through SQLite's backup API: consistent while the server keeps writing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use super::DbError;

/// Copies the live database to `dest` (written beside it first, then renamed into place).
pub fn backup_to(conn: &Connection, dest: &Path) -> Result<(), DbError> {
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let partial = dest.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    {
        let mut target = Connection::open(&partial)?;
        let backup = rusqlite::backup::Backup::new(conn, &mut target)?;
        backup.run_to_completion(256, Duration::from_millis(2), None)?;
    }
    std::fs::rename(&partial, dest)?;
    Ok(())
}

/// The default file name for a backup taken now: `<data-dir>/backups/timetracker-<UTC>.db`.
pub fn default_path(data_dir: &Path) -> PathBuf {
    data_dir.join("backups").join(format!(
        "timetracker-{}.db",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    ))
}

/// Runs `PRAGMA integrity_check`; returns the problems found (empty when healthy).
pub fn integrity_problems(conn: &Connection) -> Result<Vec<String>, DbError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows.into_iter().filter(|r| r != "ok").collect())
}
