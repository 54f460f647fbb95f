//! The SSO failure codes of the operator guide, with the words shown to people and the fix
//! for the administrator. Codes are stable: operators grep logs for `reason=<code>`.

#[derive(serde::Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
    pub fix: &'static str,
}

pub const REASONS: &[Reason] = &[
    Reason {
        code: "token_exchange_failed",
        title: "The sign-in could not be completed",
        explanation: "The answer from the identity provider did not match a sign-in started here (it expired, was used twice, or the provider refused to exchange the code).",
        fix: "Start again. If it keeps failing, check that OIDC_REDIRECT_URI matches the IdP client exactly and that OIDC_CLIENT_SECRET is right.",
    },
    Reason {
        code: "unsupported_algorithm_or_jwe",
        title: "The identity provider sent an encrypted ID token",
        explanation: "TimeTracker accepts signed (not encrypted) ID tokens.",
        fix: "Turn off ID token encryption for this client at the provider (in Authentik, clear the Encryption Key).",
    },
    Reason {
        code: "missing_issuer_sub",
        title: "The ID token is missing required claims",
        explanation: "The token had no subject (sub) or issuer (iss).",
        fix: "Check the provider's client configuration and the requested scopes.",
    },
    Reason {
        code: "id_token_invalid",
        title: "The ID token was not valid",
        explanation: "Its signature, issuer, audience, nonce or validity time did not check out.",
        fix: "Check OIDC_ISSUER and OIDC_CLIENT_ID, and that this server's clock is correct.",
    },
    Reason {
        code: "userinfo_sub_mismatch",
        title: "The provider's answers disagreed",
        explanation: "The user info endpoint described a different user than the ID token.",
        fix: "This points to a misconfigured or compromised provider; ask your administrator.",
    },
    Reason {
        code: "idp_error",
        title: "The identity provider refused the sign-in",
        explanation: "The provider returned an error (for example, access was denied or cancelled).",
        fix: "Try again, or ask your administrator whether you may use this application.",
    },
    Reason {
        code: "self_registration_disabled",
        title: "No account for you here yet",
        explanation: "Your identity is valid, but this server does not create accounts on first sign-in.",
        fix: "Ask an administrator to create your account or to allow self-registration.",
    },
    Reason {
        code: "account_link_conflict",
        title: "An account with your name or email already exists",
        explanation: "For safety it is not taken over by a new single sign-on identity.",
        fix: "Ask an administrator to link it: timetracker user link-oidc NAME --issuer ISSUER --sub SUBJECT.",
    },
    Reason {
        code: "user_inactive",
        title: "Your account is deactivated",
        explanation: "An administrator has turned this account off.",
        fix: "Ask an administrator to activate it again.",
    },
    Reason {
        code: "discovery_failed",
        title: "The identity provider cannot be reached",
        explanation: "Its discovery document could not be fetched or did not match OIDC_ISSUER.",
        fix: "Try again in a minute. Administrators: run timetracker oidc check.",
    },
];

/// What the login page says for a code it does not know.
pub const UNKNOWN: Reason = Reason {
    code: "unknown",
    title: "Single sign-on failed",
    explanation: "The sign-in could not be completed.",
    fix: "Try again. Administrators: the server log has a line with the reason.",
};

pub fn lookup(code: &str) -> Option<&'static Reason> {
    REASONS.iter().find(|r| r.code == code)
}
