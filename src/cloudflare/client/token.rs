//! The API token: read from the environment variable the manifest names,
//! kept out of every `Debug`, `Display`, log line and error.

use std::ffi::OsString;
use std::fmt;

use crate::cloudflare::error::{CfError, CfErrorKind};

/// Scopes named in hints; the read ones are what every command needs.
const SCOPES_HINT: &str = "Load Balancing: Monitors and Pools Read, Load Balancers Read \
    (and Monitors and Pools Write for `drill --method disable-pool`)";

/// The API token. Debug and Display never show it.
#[derive(Clone)]
pub struct ApiToken {
    value: String,
    /// The environment variable it came from, for hints.
    var: Option<String>,
}

impl ApiToken {
    /// Wraps a token value.
    pub fn new(value: String) -> Self {
        ApiToken { value, var: None }
    }

    /// The token in environment variable `var`, trimmed of surrounding
    /// whitespace. Unset, empty or not UTF-8 → [`CfErrorKind::MissingToken`]
    /// naming the variable (never its value) with a hint how to set it.
    pub fn from_env(var: &str) -> Result<Self, CfError> {
        Self::from_lookup(var, |v| std::env::var_os(v))
    }

    /// [`from_env`](Self::from_env) with the environment passed in, so tests
    /// need not change the process's environment.
    pub(crate) fn from_lookup(
        var: &str,
        lookup: impl FnOnce(&str) -> Option<OsString>,
    ) -> Result<Self, CfError> {
        let missing = |what: &str| {
            CfError::new(
                CfErrorKind::MissingToken,
                "",
                format!("the environment variable {var} {what}"),
            )
            .with_hint(format!(
                "create an API token (Cloudflare dashboard → My Profile → API Tokens) with \
                 {SCOPES_HINT}, then `export {var}=<token>`"
            ))
        };
        let raw = lookup(var).ok_or_else(|| missing("is not set"))?;
        let value = raw
            .into_string()
            .map_err(|_| missing("does not hold text"))?;
        let value = value.trim();
        if value.is_empty() {
            return Err(missing("is empty"));
        }
        Ok(ApiToken {
            value: value.to_owned(),
            var: Some(var.to_owned()),
        })
    }

    /// The value, for the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The environment variable it was read from, if any.
    pub fn var(&self) -> Option<&str> {
        self.var.as_deref()
    }

    /// Whether the value can be sent as a bearer token at all; the error
    /// names where it came from, never what it is.
    pub(crate) fn check(&self) -> Result<(), CfError> {
        let source = self.var.as_deref().map_or_else(
            || "the API token".to_owned(),
            |v| format!("the token in ${v}"),
        );
        if self.value.trim().is_empty() {
            return Err(CfError::new(
                CfErrorKind::MissingToken,
                "",
                format!("{source} is empty"),
            ));
        }
        if !self.value.bytes().all(|b| b.is_ascii_graphic()) {
            let message = format!(
                "{source} has characters an API token cannot have \
                 (spaces, control or non-ASCII characters)"
            );
            return Err(
                CfError::new(CfErrorKind::Unauthorized, "", message).with_hint(
                    "copy the token again from the Cloudflare dashboard (My Profile → API Tokens)",
                ),
            );
        }
        Ok(())
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.var {
            Some(var) => write!(f, "ApiToken(<redacted> from ${var})"),
            None => f.write_str("ApiToken(<redacted>)"),
        }
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_env_reads_and_trims() {
        let t = ApiToken::from_lookup("CF_T", |v| {
            assert_eq!(v, "CF_T");
            Some(" s3cret-value\n".into())
        })
        .unwrap();
        assert_eq!(t.expose(), "s3cret-value");
        assert_eq!(t.var(), Some("CF_T"));
        assert!(t.check().is_ok());
    }

    #[test]
    fn missing_or_empty_names_the_variable_with_a_hint() {
        for (value, what) in [(None, "is not set"), (Some("  "), "is empty")] {
            let e = ApiToken::from_lookup("CLOUDFLARE_API_TOKEN", |_| value.map(Into::into))
                .unwrap_err();
            assert_eq!(e.kind, CfErrorKind::MissingToken);
            assert_eq!(
                e.to_string(),
                format!("the environment variable CLOUDFLARE_API_TOKEN {what}")
            );
            let hint = e.hint.unwrap();
            assert!(
                hint.contains("export CLOUDFLARE_API_TOKEN=<token>"),
                "{hint}"
            );
            assert!(hint.contains("Load Balancers Read"), "{hint}");
        }
    }

    #[test]
    fn malformed_values_are_refused_without_echo() {
        let t = ApiToken::new("abc def-s3cret".to_owned());
        let e = t.check().unwrap_err();
        assert_eq!(e.kind, CfErrorKind::Unauthorized);
        assert!(!format!("{e} {e:?}").contains("s3cret"));
    }

    #[test]
    fn never_printed() {
        let t = ApiToken::from_lookup("T", |_| Some("s3cret".into())).unwrap();
        let shown = format!("{t} {t:?} {:?}", ApiToken::new("s3cret".into()));
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("$T"), "{shown}");
    }
}
