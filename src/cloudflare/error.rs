//! Cloudflare failures with the API's own codes and messages.

use std::fmt;

/// What kind of failure it was; decides the verdict and exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfErrorKind {
    /// The token variable is unset or empty.
    MissingToken,
    /// Could not connect.
    Unreachable,
    /// No answer within the request timeout (after retries).
    Timeout,
    /// 400 on the Authorization header, or 401.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404, or a named object that does not exist.
    NotFound,
    /// 429 still after the allowed retries.
    RateLimited,
    /// 5xx still after the allowed retries.
    Server,
    /// Any other API error, or an answer that could not be parsed.
    Api,
}

/// A failed Cloudflare call. Never carries the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfError {
    /// What kind of failure.
    pub kind: CfErrorKind,
    /// `METHOD /path` (without the base URL's host, never with credentials);
    /// empty when the failure came before any request.
    pub request: String,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Cloudflare's `errors[]` as `code: message`.
    pub errors: Vec<(u32, String)>,
    /// What happened, as a lowercase fragment.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
}

impl fmt::Display for CfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Failures before any request (a missing token, bad options) have
        // no request to name.
        if self.request.is_empty() {
            f.write_str(&self.message)?;
        } else {
            write!(f, "{}: {}", self.request, self.message)?;
        }
        if let Some(s) = self.status {
            write!(f, " (HTTP {s})")?;
        }
        for (code, msg) in &self.errors {
            write!(f, "; {code}: {msg}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CfError {}

impl CfError {
    /// A failure of `kind` for `request` (`METHOD /path`), with no HTTP
    /// answer, Cloudflare errors or hint yet.
    pub fn new(kind: CfErrorKind, request: impl Into<String>, message: impl Into<String>) -> Self {
        CfError {
            kind,
            request: request.into(),
            status: None,
            errors: Vec::new(),
            message: message.into(),
            hint: None,
        }
    }

    /// The same error with `hint` as what to do next.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether Cloudflare answered with this error code (anywhere in `errors`).
    pub fn has_code(&self, code: u32) -> bool {
        self.errors.iter().any(|(c, _)| *c == code)
    }
}
