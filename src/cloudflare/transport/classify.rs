//! Error answers → [`CfError`]: the kind by HTTP status (docs/cloudflare-api.md),
//! Cloudflare's codes flattened with their `error_chain`, and a hint that
//! names what to do next (which token scope, which manifest field).

use reqwest::{Method, StatusCode};

use super::{Call, Transport};
use crate::cloudflare::error::{CfError, CfErrorKind};
use crate::cloudflare::wire::ApiMessage;

/// The token scopes every read command needs (issue 4; the docs name them
/// for pool health and load balancers).
const READ_SCOPES: &str = "Load Balancing: Monitors and Pools Read, Load Balancers Read";

impl Transport {
    /// An error answer, classified by HTTP status, with a hint saying what
    /// to do next.
    pub(super) fn api_error(
        &self,
        call: &Call,
        status: StatusCode,
        errors: &[ApiMessage],
    ) -> CfError {
        let mut flat = Vec::new();
        for e in errors {
            flat.push((e.code, e.message.clone()));
            flat.extend(e.error_chain.iter().map(|c| (c.code, c.message.clone())));
        }
        let auth_header = flat.iter().any(|(c, _)| matches!(c, 6003 | 6100..=6199));
        let var = self.token.var().map_or_else(
            || "the API token".to_owned(),
            |v| format!("the token in ${v}"),
        );
        let (kind, message, hint) = match status.as_u16() {
            401 => unauthorized(&var),
            400 if auth_header => unauthorized(&var),
            403 => (
                CfErrorKind::Forbidden,
                "the API token may not do this".to_owned(),
                Some(forbidden_hint(call, &var, &flat)),
            ),
            404 => {
                let unroutable = flat.iter().any(|(c, _)| matches!(c, 7000 | 7003));
                (
                    CfErrorKind::NotFound,
                    "not found".to_owned(),
                    unroutable.then(|| {
                        "Cloudflare could not route this path: check cloudflare.accountId and \
                         cloudflare.zoneId in the manifest, and the object id"
                            .to_owned()
                    }),
                )
            }
            429 => (
                CfErrorKind::RateLimited,
                "rate limited by Cloudflare".to_owned(),
                Some(
                    "Cloudflare allows 1200 requests per 5 minutes per token; another tool \
                     using the same token may be using it up; wait a few minutes and try again"
                        .to_owned(),
                ),
            ),
            500..=599 => (
                CfErrorKind::Server,
                "Cloudflare answered with a server error".to_owned(),
                Some(if call.idempotent {
                    "Cloudflare is having trouble (https://www.cloudflarestatus.com); try again later"
                        .to_owned()
                } else {
                    format!(
                        "Cloudflare is having trouble (https://www.cloudflarestatus.com); \
                         a {} is not repeated automatically, so run the command again",
                        call.method
                    )
                }),
            ),
            _ => (
                CfErrorKind::Api,
                "Cloudflare refused the request".to_owned(),
                None,
            ),
        };
        CfError {
            kind,
            request: call.request(),
            status: Some(status.as_u16()),
            errors: flat,
            message,
            hint,
        }
    }
}

fn unauthorized(var: &str) -> (CfErrorKind, String, Option<String>) {
    (
        CfErrorKind::Unauthorized,
        "Cloudflare rejected the API token".to_owned(),
        Some(format!(
            "check {var} (Cloudflare dashboard → My Profile → API Tokens) and its scopes: \
             {READ_SCOPES}"
        )),
    )
}

/// Names the permission this request needs, so the user can grant exactly it.
fn forbidden_hint(call: &Call, var: &str, errors: &[(u32, String)]) -> String {
    if errors.iter().any(|(c, _)| *c == 9109) {
        return format!(
            "{var} is not allowed to use this account or zone: add it to the token's \
             Account/Zone Resources (Cloudflare dashboard → My Profile → API Tokens)"
        );
    }
    let write = call.method != Method::GET;
    let preview = call.path.ends_with("/preview");
    let permission = if call.path.starts_with("/zones/") {
        if write {
            "Load Balancers Write"
        } else {
            "Load Balancers Read"
        }
    } else if write && !preview {
        "Load Balancing: Monitors and Pools Write"
    } else {
        "Load Balancing: Monitors and Pools Read"
    };
    format!(
        "{var} lacks the permission \"{permission}\" needed for {}; add it in the \
         Cloudflare dashboard → My Profile → API Tokens",
        call.request()
    )
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn forbidden_hints_name_the_permission() {
        let patch = Call::patch(
            "/accounts/a/load_balancers/pools/p".into(),
            Value::Null,
            true,
        );
        let h = forbidden_hint(&patch, "the token in $T", &[]);
        assert!(
            h.contains("\"Load Balancing: Monitors and Pools Write\""),
            "{h}"
        );
        assert!(
            h.contains("PATCH /accounts/a/load_balancers/pools/p"),
            "{h}"
        );
        let lbs = Call::get("/zones/z/load_balancers".into());
        assert!(forbidden_hint(&lbs, "x", &[]).contains("\"Load Balancers Read\""));
        let preview = Call::post(
            "/accounts/a/load_balancers/pools/p/preview".into(),
            Value::Null,
        );
        assert!(forbidden_hint(&preview, "x", &[]).contains("Monitors and Pools Read"));
        let h = forbidden_hint(&lbs, "x", &[(9109, "Unauthorized".into())]);
        assert!(h.contains("Account/Zone Resources"), "{h}");
    }
}
