//! The simulated application (the "OpenClaw Rating API"): what a ready pod
//! answers, shared by the service proxy, the monitor's probes and the LB.

use serde_json::json;

/// An HTTP request to the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRequest {
    /// Upper-case method.
    pub method: String,
    /// Path, starting with `/`, without the query.
    pub path: String,
    /// Request body.
    pub body: Vec<u8>,
}

/// The app's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppResponse {
    /// HTTP status.
    pub status: u16,
    /// Extra headers (`x-openclaw-region`, `x-openclaw-version`, `content-type`).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl AppRequest {
    /// A GET of `path`.
    pub fn get(path: &str) -> Self {
        AppRequest {
            method: "GET".to_owned(),
            path: path.to_owned(),
            body: Vec::new(),
        }
    }
}

/// The version the app reports: the image tag (after the last `:`).
pub fn version_of(image: &str) -> &str {
    crate::kube::image_tag(image)
}

/// Whether pods of `image` never become ready: the tag contains `bad`, or
/// the kubelet could not even pull it (`InvalidImageName`: the API server
/// accepts any non-empty string, as the real one does).
pub fn never_ready(image: &str) -> bool {
    version_of(image).contains("bad")
        || <oci_spec::distribution::Reference as std::str::FromStr>::from_str(image).is_err()
}

/// Whether pods of `image` are ready but fail real requests (tag contains `crash`).
pub fn crashes(image: &str) -> bool {
    version_of(image).contains("crash")
}

/// What a ready pod running `image` in `region` answers.
pub fn respond(region: &str, image: &str, req: &AppRequest) -> AppResponse {
    let version = version_of(image);
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("x-openclaw-region".to_owned(), region.to_owned()),
        ("x-openclaw-version".to_owned(), version.to_owned()),
    ];
    let is_health = matches!(req.path.as_str(), "/healthz" | "/readyz" | "/livez");
    let (status, body) = if is_health {
        (
            200,
            json!({"status": "ok", "region": region, "version": version}),
        )
    } else if crashes(image) {
        (
            500,
            json!({"error": "internal error", "region": region, "version": version}),
        )
    } else {
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/v1/rate") => {
                let content = serde_json::from_slice::<serde_json::Value>(&req.body)
                    .ok()
                    .and_then(|v| v.get("content").and_then(|c| c.as_str()).map(str::len));
                match content {
                    Some(len) => (
                        200,
                        json!({"rating": (len % 5) + 1, "region": region, "version": version}),
                    ),
                    None => (
                        400,
                        json!({"error": "body must be JSON with a string `content`"}),
                    ),
                }
            }
            ("GET", "/") => (
                200,
                json!({"service": "openclaw-rating-api", "region": region, "version": version}),
            ),
            _ => (404, json!({"error": "not found", "path": req.path})),
        }
    };
    AppResponse {
        status,
        headers,
        body: body.to_string().into_bytes(),
    }
}

/// What a Service with no ready pods answers (through the API server proxy
/// this is a 503 Status; through an ingress, a 503 page).
pub fn unavailable(region: &str, service: &str) -> AppResponse {
    AppResponse {
        status: 503,
        headers: vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-openclaw-region".to_owned(), region.to_owned()),
        ],
        body: json!({"error": format!("no endpoints available for service \"{service}\"")})
            .to_string()
            .into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_tag() {
        assert_eq!(
            version_of("reg.example.com:5000/openclaw-api:1.4.2"),
            "1.4.2"
        );
        assert_eq!(version_of("reg.example.com:5000/openclaw-api"), "latest");
        assert!(never_ready("x/api:1.5.0-bad"));
        assert!(never_ready("x/api:not a tag"), "the kubelet cannot pull it");
        assert!(!never_ready("x/api:1.5.0"));
        assert!(crashes("x/api:crash-1"));
        assert!(!crashes("x/api:1.4.2"));
    }

    #[test]
    fn crash_images_pass_health_but_fail_real_requests() {
        let img = "x/api:1.5-crash";
        assert_eq!(respond("r", img, &AppRequest::get("/healthz")).status, 200);
        let rate = AppRequest {
            method: "POST".into(),
            path: "/v1/rate".into(),
            body: br#"{"content":"x"}"#.to_vec(),
        };
        assert_eq!(respond("r", img, &rate).status, 500);
        assert_eq!(respond("r", "x/api:1.4", &rate).status, 200);
        assert!(String::from_utf8_lossy(&respond("r", "x/api:1.4", &rate).body).contains("rating"));
    }
}
