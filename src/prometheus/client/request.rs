//! What a request is made of: the base URLs (kept with their path prefix,
//! shown without a password), the `Authorization` header, and form bodies.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::prometheus::PromError;

/// How requests authenticate; the same credentials go to Prometheus and
/// Alertmanager (they usually sit behind one proxy). `Debug` never shows a
/// token or password.
#[derive(Clone, Default)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic …` (RFC 7617).
    Basic {
        /// The user name (not secret; shown by `Debug`).
        username: String,
        /// The password.
        password: String,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &format_args!("<redacted>"))
                .finish(),
        }
    }
}

/// A base URL: what requests go to, and what errors show (the same without
/// any password in its user info).
#[derive(Clone)]
pub(super) struct Base {
    /// Without a trailing `/`, so API paths append to any path prefix.
    pub(super) request: String,
    pub(super) shown: String,
    /// User info in the URL, which reqwest sends as basic auth.
    pub(super) has_credentials: bool,
}

impl Base {
    pub(super) fn parse(url: &str) -> Result<Self, PromError> {
        let invalid = |reason: &str| PromError::Unreachable {
            url: shown(url),
            reason: reason.to_owned(),
        };
        let parsed = Url::parse(url).map_err(|e| invalid(&format!("not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
            return Err(invalid("not an http(s) URL with a host"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("a base URL takes no query or fragment"));
        }
        let request = parsed.as_str().trim_end_matches('/').to_owned();
        Ok(Base {
            shown: shown(&request),
            request,
            has_credentials: !parsed.username().is_empty() || parsed.password().is_some(),
        })
    }

    /// `(request URL, shown URL)` of `path` (which starts with `/`).
    pub(super) fn join(&self, path: &str) -> (String, String) {
        (
            format!("{}{path}", self.request),
            format!("{}{path}", self.shown),
        )
    }
}

/// `url` without a password in its user info.
fn shown(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            // Only fails for URLs that cannot have user info, which this has.
            let _ = u.set_password(Some("redacted"));
            u.as_str().trim_end_matches('/').to_owned()
        }
        Ok(_) => url.to_owned(),
        // An unparseable URL may still hold user info before an `@`.
        Err(_) => match url.rfind('@') {
            Some(at) => format!("<redacted>{}", &url[at..]),
            None => url.to_owned(),
        },
    }
}

/// The `Authorization` header for `auth`, marked sensitive so reqwest's
/// own `Debug` output hides it too.
pub(super) fn authorization(auth: &Auth) -> Result<Option<HeaderValue>, String> {
    use base64::Engine as _;
    let text = match auth {
        Auth::None => return Ok(None),
        // A token read from a file often ends in a newline, which no
        // header may hold.
        Auth::Bearer(token) => format!("Bearer {}", token.trim()),
        Auth::Basic { username, password } => format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
        ),
    };
    let mut value = HeaderValue::from_str(&text).map_err(|_| {
        "the credentials cannot be sent in an HTTP header (they hold a control character)"
            .to_owned()
    })?;
    value.set_sensitive(true);
    Ok(Some(value))
}

/// `application/x-www-form-urlencoded`, as the WHATWG URL standard encodes
/// it (PromQL is full of `{`, `"`, `=`, `+` and spaces).
pub(super) fn form(pairs: &[(&str, &str)]) -> String {
    fn encode(out: &mut String, text: &str) {
        for b in text.bytes() {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    out.push(char::from(b));
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(&mut out, name);
        out.push('=');
        encode(&mut out, value);
    }
    out
}

/// Unix seconds with a fraction, as Prometheus reads `start` and `end`.
pub(super) fn unix_seconds(t: SystemTime) -> String {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encodes_promql() {
        assert_eq!(
            form(&[("query", r#"sum(up{job="a b"}) + 1"#), ("step", "1.5")]),
            "query=sum%28up%7Bjob%3D%22a+b%22%7D%29+%2B+1&step=1.5"
        );
        assert_eq!(form(&[("query", "é")]), "query=%C3%A9");
    }

    #[test]
    fn paths_append_to_a_prefix_with_or_without_a_slash() {
        for url in ["http://h:9090/prometheus", "http://h:9090/prometheus/"] {
            let b = Base::parse(url).unwrap();
            assert_eq!(
                b.join("/api/v1/query").0,
                "http://h:9090/prometheus/api/v1/query"
            );
        }
        let b = Base::parse("http://h:9090").unwrap();
        assert_eq!(b.join("/api/v1/query").0, "http://h:9090/api/v1/query");
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for url in ["h:9090", "ftp://h/", "http://h/?x=1", "not a url"] {
            assert!(
                matches!(Base::parse(url), Err(PromError::Unreachable { .. })),
                "{url}"
            );
        }
    }

    #[test]
    fn authorization_headers() {
        assert_eq!(authorization(&Auth::None).unwrap(), None);
        let bearer = authorization(&Auth::Bearer(" t0k\n".into()))
            .unwrap()
            .unwrap();
        assert_eq!(bearer, "Bearer t0k");
        assert!(bearer.is_sensitive());
        let basic = Auth::Basic {
            username: "Aladdin".into(),
            password: "open sesame".into(),
        };
        // RFC 7617's example.
        assert_eq!(
            authorization(&basic).unwrap().unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}
