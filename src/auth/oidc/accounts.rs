//! Turning a validated SSO identity into an account, by (issuer, subject) only. A new identity
//! never takes over an existing account through a matching username or email.

use rusqlite::Connection;

use super::claims::{self, admin_decision};
use super::flow::Verified;
use crate::config::OidcConfig;
use crate::db::users::{self, NewUser, User};
use crate::db::{self, audit, settings, DbError};

/// Why an identity was turned away; each is a reason code of the guide.
pub enum Refusal {
    Inactive,
    LinkConflict(String),
    SelfRegistrationDisabled,
}

impl Refusal {
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Inactive => "user_inactive",
            Refusal::LinkConflict(_) => "account_link_conflict",
            Refusal::SelfRegistrationDisabled => "self_registration_disabled",
        }
    }

    /// For the log and the diagnostics page: what collided, and the identity an admin needs
    /// for `timetracker user link-oidc` (issuer and subject are identifiers, not secrets).
    pub fn detail(&self, v: &Verified) -> String {
        let what = match self {
            Refusal::LinkConflict(d) => format!("{d}; "),
            _ => String::new(),
        };
        format!("{what}issuer={} sub={}", v.issuer, v.subject)
    }
}

fn audit_entry(
    conn: &Connection,
    actor: i64,
    action: &str,
    target: &str,
    detail: serde_json::Value,
    now: i64,
) -> Result<(), DbError> {
    audit::record(
        conn,
        &audit::Entry {
            actor_user_id: Some(actor),
            action,
            target: Some(target),
            detail: Some(detail),
            client_ip: None,
        },
        now,
    )
}

/// Finds or creates the account; a refusal comes with its detail for the log.
pub fn provision(
    conn: &mut Connection,
    cfg: &OidcConfig,
    v: &Verified,
    now: i64,
) -> Result<Result<User, (Refusal, String)>, DbError> {
    Ok(provision_inner(conn, cfg, v, now)?.map_err(|r| {
        let detail = r.detail(v);
        (r, detail)
    }))
}

fn provision_inner(
    conn: &mut Connection,
    cfg: &OidcConfig,
    v: &Verified,
    now: i64,
) -> Result<Result<User, Refusal>, DbError> {
    let tx = conn.transaction()?;
    let email = claims::string(&v.claims, &cfg.email_claim);
    let full_name = claims::string(&v.claims, &cfg.full_name_claim);
    let admin = admin_decision(cfg, &v.claims);

    let user = match users::by_oidc(&tx, &v.issuer, &v.subject)? {
        Some(user) => {
            // Checked before anything is written (W18).
            if !user.is_active {
                return Ok(Err(Refusal::Inactive));
            }
            // Refreshed from the IdP, but a claim it did not send does not erase a value.
            users::set_profile(
                &tx,
                user.id,
                email.as_deref().or(user.email.as_deref()),
                full_name.as_deref().or(user.full_name.as_deref()),
            )?;
            // SSO-made accounts follow the mapping both ways; hand-made local accounts that
            // were linked on purpose can gain the role from the IdP but never lose it to it.
            let new_admin = match (admin, user.auth_provider.as_str()) {
                (Some(a), "oidc") => a,
                (Some(true), _) => true,
                _ => user.is_admin,
            };
            if new_admin != user.is_admin {
                users::set_admin(&tx, user.id, new_admin)?;
                // A privilege change ends the account's other sessions.
                crate::db::sessions::delete_for_user(&tx, user.id)?;
                let action = if new_admin {
                    "sso.admin_granted"
                } else {
                    "sso.admin_revoked"
                };
                audit_entry(
                    &tx,
                    user.id,
                    action,
                    &user.username,
                    serde_json::json!({ "before": user.is_admin, "after": new_admin }),
                    now,
                )?;
                tracing::info!(user = %user.username, admin = new_admin, "admin role changed by the SSO mapping");
            }
            user
        }
        None => {
            let username = claims::derive_username(cfg, &v.claims, &v.subject);
            if users::by_username(&tx, &username)?.is_some() {
                return Ok(Err(Refusal::LinkConflict(format!(
                    "username {username:?} belongs to an existing account"
                ))));
            }
            if let Some(e) = &email {
                if users::email_in_use(&tx, e)? {
                    return Ok(Err(Refusal::LinkConflict(
                        "the email belongs to an existing account".into(),
                    )));
                }
            }
            if !settings::get_bool(&tx, settings::ALLOW_SELF_REGISTER, true)? {
                return Ok(Err(Refusal::SelfRegistrationDisabled));
            }
            let new = NewUser {
                username: &username,
                full_name: full_name.as_deref(),
                email: email.as_deref(),
                password_hash: None,
                auth_provider: "oidc",
                is_admin: admin == Some(true),
            };
            let id = match users::insert(&tx, &new, now) {
                Ok(id) => id,
                Err(e) if db::is_constraint_violation(&e) => {
                    return Ok(Err(Refusal::LinkConflict(format!(
                        "username {username:?} was just taken"
                    ))))
                }
                Err(e) => return Err(e.into()),
            };
            users::set_oidc_identity(&tx, id, Some((&v.issuer, &v.subject)))?;
            audit_entry(
                &tx,
                id,
                "sso.user_created",
                &username,
                serde_json::json!({ "issuer": v.issuer, "admin": admin == Some(true) }),
                now,
            )?;
            tracing::info!(user = %username, "account created at first SSO sign-in");
            users::by_id(&tx, id)?
                .ok_or_else(|| DbError::Schema("new SSO account vanished".into()))?
        }
    };
    users::touch_login(&tx, user.id, now)?;
    let fresh = users::by_id(&tx, user.id)?.unwrap_or(user);
    tx.commit()?;
    Ok(Ok(fresh))
}
