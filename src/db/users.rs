//! The `users` table.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::DbError;

#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub full_name: Option<String>,
    pub email: Option<String>,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub auth_provider: String,
    pub oidc_issuer: Option<String>,
    pub oidc_sub: Option<String>,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

impl User {
    pub fn has_password(&self) -> bool {
        self.password_hash.is_some()
    }
}

pub(crate) const COLUMNS: &str = "u.id, u.username, u.full_name, u.email, u.password_hash, \
    u.auth_provider, u.oidc_issuer, u.oidc_sub, u.is_admin, u.is_active, u.created_at, u.last_login_at";

/// Reads a user from `row`, whose columns start at `at` in [`COLUMNS`] order.
pub(crate) fn from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(at)?,
        username: row.get(at + 1)?,
        full_name: row.get(at + 2)?,
        email: row.get(at + 3)?,
        password_hash: row.get(at + 4)?,
        auth_provider: row.get(at + 5)?,
        oidc_issuer: row.get(at + 6)?,
        oidc_sub: row.get(at + 7)?,
        is_admin: row.get(at + 8)?,
        is_active: row.get(at + 9)?,
        created_at: row.get(at + 10)?,
        last_login_at: row.get(at + 11)?,
    })
}

fn one(
    conn: &Connection,
    filter: &str,
    param: &dyn rusqlite::ToSql,
) -> Result<Option<User>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users u WHERE {filter}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([param], |r| from_row(r, 0))
        .optional()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<User>, DbError> {
    one(conn, "u.id = ?1", &id)
}

pub fn by_username(conn: &Connection, username: &str) -> Result<Option<User>, DbError> {
    one(conn, "u.username = ?1", &username)
}

pub fn list(conn: &Connection) -> Result<Vec<User>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users u ORDER BY u.username");
    let mut stmt = conn.prepare(&sql)?;
    let users = stmt
        .query_map([], |r| from_row(r, 0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}

/// Whether an active administrator exists (decides whether first-run setup is open).
pub fn active_admin_exists(conn: &Connection) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM users WHERE is_admin = 1 AND is_active = 1)")?
        .query_row([], |r| r.get(0))?)
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub full_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub auth_provider: &'a str,
    pub is_admin: bool,
}

/// Inserts a user; a taken username surfaces as a constraint violation.
pub fn insert(conn: &Connection, u: &NewUser<'_>, now: i64) -> Result<i64, rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO users (username, full_name, email, password_hash, auth_provider, is_admin, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        u.username,
        u.full_name,
        u.email,
        u.password_hash,
        u.auth_provider,
        u.is_admin,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn set_password_hash(conn: &Connection, id: i64, hash: &str) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![id, hash],
    )?;
    Ok(())
}

pub fn set_admin(conn: &Connection, id: i64, is_admin: bool) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET is_admin = ?2 WHERE id = ?1",
        params![id, is_admin],
    )?;
    Ok(())
}

pub fn set_active(conn: &Connection, id: i64, active: bool) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET is_active = ?2 WHERE id = ?1",
        params![id, active],
    )?;
    Ok(())
}

pub fn touch_login(conn: &Connection, id: i64, now: i64) -> Result<(), DbError> {
    conn.prepare_cached("UPDATE users SET last_login_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}

/// The account linked to an SSO identity: the only way an identity finds an account.
pub fn by_oidc(conn: &Connection, issuer: &str, subject: &str) -> Result<Option<User>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users u WHERE u.oidc_issuer = ?1 AND u.oidc_sub = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![issuer, subject], |r| from_row(r, 0))
        .optional()?)
}

/// Whether any account uses this email address (case-insensitive).
pub fn email_in_use(conn: &Connection, email: &str) -> Result<bool, DbError> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM users WHERE lower(email) = lower(?1))",
        [email],
        |r| r.get(0),
    )?)
}

pub fn set_profile(
    conn: &Connection,
    id: i64,
    email: Option<&str>,
    full_name: Option<&str>,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET email = ?2, full_name = ?3 WHERE id = ?1",
        params![id, email, full_name],
    )?;
    Ok(())
}

/// Links (or with `None`, unlinks) an SSO identity.
pub fn set_oidc_identity(
    conn: &Connection,
    id: i64,
    identity: Option<(&str, &str)>,
) -> Result<(), rusqlite::Error> {
    let (issuer, subject) = identity.unzip();
    conn.execute(
        "UPDATE users SET oidc_issuer = ?2, oidc_sub = ?3 WHERE id = ?1",
        params![id, issuer, subject],
    )?;
    Ok(())
}

/// The kiosk PIN hash of a user, if one is set.
pub fn pin_hash(conn: &Connection, id: i64) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row("SELECT pin_hash FROM users WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?
        .flatten())
}

/// Whether a user has a kiosk PIN and a badge.
pub fn kiosk_credentials(conn: &Connection, id: i64) -> Result<(bool, bool), DbError> {
    Ok(conn
        .query_row(
            "SELECT pin_hash IS NOT NULL, badge_hash IS NOT NULL FROM users WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((false, false)))
}

pub fn set_pin_hash(conn: &Connection, id: i64, hash: Option<&str>) -> Result<(), DbError> {
    conn.execute(
        "UPDATE users SET pin_hash = ?2 WHERE id = ?1",
        params![id, hash],
    )?;
    Ok(())
}

/// Stores a badge digest; a badge already used by someone else is a constraint violation.
pub fn set_badge_hash(
    conn: &Connection,
    id: i64,
    digest: Option<&str>,
) -> Result<(), rusqlite::Error> {
    conn.execute(
        "UPDATE users SET badge_hash = ?2 WHERE id = ?1",
        params![id, digest],
    )?;
    Ok(())
}

pub fn by_badge_hash(conn: &Connection, digest: &str) -> Result<Option<User>, DbError> {
    one(conn, "u.badge_hash = ?1", &digest)
}
