//! The SQLite store: pool, pragmas, migrations, backup, and one repository file per table.

pub mod api_tokens;
pub mod audit;
pub mod backup;
pub mod clients;
pub mod entries;
pub mod migrate;
pub mod oidc;
pub mod one_time_tokens;
pub mod projects;
pub mod sessions;
pub mod settings;
pub mod tasks;
pub mod throttle;
pub mod users;

use std::path::{Path, PathBuf};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, TransactionBehavior};

use crate::config::DbSynchronous;

pub type Pool = r2d2::Pool<SqliteConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<SqliteConnectionManager>;

/// Errors of the storage layer. The web layer maps them to a 500 with a generic sentence.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database connection pool error: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("background task failed: {0}")]
    Task(String),
    #[error("{0}")]
    Schema(String),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
}

/// A cloneable handle on the connection pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    path: PathBuf,
}

/// Seconds since the Unix epoch: every instant in the database is stored this way, in UTC.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Db {
    /// Opens (creating if needed) the database file with the pragmas every connection needs.
    pub fn open(path: &Path, sync: DbSynchronous) -> Result<Db, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let synchronous = match sync {
            DbSynchronous::Normal => "NORMAL",
            DbSynchronous::Full => "FULL",
        };
        let manager = SqliteConnectionManager::file(path).with_init(move |c| {
            // Every transaction takes the write lock when it begins. A deferred one reads
            // first and upgrades at its first write; if another connection committed in
            // between, SQLite answers SQLITE_BUSY at once (waiting can't help a stale
            // snapshot), and the request would fail with a 500 under ordinary concurrency.
            c.set_transaction_behavior(TransactionBehavior::Immediate);
            // The busy timeout first, so that the pragmas below wait for a lock too.
            // WAL + NORMAL: a commit is in the WAL before we answer, so it survives a
            // process crash; FULL also fsyncs each commit to survive a power cut.
            c.execute_batch(&format!(
                "PRAGMA busy_timeout = 5000;
                 PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = {synchronous};
                 PRAGMA foreign_keys = ON;"
            ))
        });
        let pool = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .build(manager)?;
        Ok(Db {
            pool,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A connection for synchronous callers (the CLI); the server uses [`Db::run`].
    pub fn conn(&self) -> Result<PooledConn, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking database work on the blocking pool, off the async workers.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        rocket::tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }
}

/// Deletes rows nobody can use any more: stale sessions, abandoned SSO sign-ins, throttle
/// counters long past their lock, and spent or expired one-time links. Returns rows removed.
pub fn tidy(conn: &Connection, now: i64, session_idle_secs: i64) -> Result<usize, DbError> {
    let mut removed = sessions::delete_stale(conn, now, session_idle_secs)?;
    removed += conn.execute("DELETE FROM oidc_flows WHERE expires_at <= ?1", [now])?;
    removed += conn.execute(
        "DELETE FROM login_throttle WHERE locked_until < ?1 AND last_failure_at < ?1 - 86400",
        [now],
    )?;
    removed += conn.execute(
        "DELETE FROM one_time_tokens WHERE expires_at < ?1 - 7 * 86400 OR used_at < ?1 - 7 * 86400",
        [now],
    )?;
    Ok(removed)
}

/// True when a write failed on a UNIQUE or CHECK constraint (a race or a duplicate).
pub fn is_constraint_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(err, _)
            if err.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_that_reads_first_still_commits_when_another_writer_came_along() {
        let dir = std::env::temp_dir().join(format!("tt-db-immediate-{}", std::process::id()));
        let db = Db::open(&dir.join("t.db"), DbSynchronous::Normal).expect("open");
        let mut first = db.conn().expect("conn");
        let second = db.conn().expect("conn");
        first
            .execute_batch("CREATE TABLE t (n INTEGER)")
            .expect("create");

        let tx = first.transaction().expect("begin");
        let _: i64 = tx
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("read");
        // Another connection tries to write meanwhile; it must not slip in between our
        // read and our write (with a deferred transaction it would, and ours would fail).
        second
            .busy_timeout(std::time::Duration::ZERO)
            .expect("timeout");
        assert!(second.execute("INSERT INTO t VALUES (2)", []).is_err());
        tx.execute("INSERT INTO t VALUES (1)", [])
            .expect("our write");
        tx.commit().expect("commit");
        std::fs::remove_dir_all(&dir).ok();
    }
}
