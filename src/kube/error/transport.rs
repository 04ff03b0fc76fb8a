//! Failures below HTTP (refused, DNS, TLS, reset, a timeout inside the
//! connector), classified from the error's source chain.

use std::error::Error as StdError;

use super::origin::lower_first;
use super::{Call, KubeError, KubeErrorKind, Origin};

impl Origin {
    /// A failure below HTTP: refused, DNS, TLS, reset, or a timeout inside
    /// the connector.
    pub(super) fn transport(&self, err: &::kube::Error, call: &Call) -> KubeError {
        let cause = Cause::of(err);
        let (kind, message, hint) = match cause {
            Cause::TimedOut => {
                // The connector's own read/connect timeout fired first; it is
                // set to the request timeout, so report it as one.
                let mut e = self.error(KubeErrorKind::Timeout, call, String::new());
                e.message = format!("the API server at {} did not answer in time", self.server);
                e.hint = Some(format!(
                    "check that the cluster of context {} is healthy, or raise --request-timeout",
                    self.context
                ));
                return e;
            }
            Cause::Refused => (
                KubeErrorKind::Unreachable,
                format!(
                    "cannot connect to the API server at {}: connection refused",
                    self.server
                ),
                format!(
                    "check that the cluster of context {} is running and that {} is its address \
                     (`{} cluster-info`)",
                    self.context,
                    self.server,
                    self.kubectl()
                ),
            ),
            Cause::Dns(detail) => (
                KubeErrorKind::Unreachable,
                format!(
                    "cannot resolve the API server's host in {}: {detail}",
                    self.server
                ),
                format!(
                    "check the server URL of context {} in {}, and your DNS or VPN",
                    self.context, self.kubeconfig
                ),
            ),
            Cause::Tls(detail) => (
                KubeErrorKind::Unreachable,
                format!(
                    "the TLS handshake with the API server at {} failed: {detail}",
                    self.server
                ),
                format!(
                    "check the certificate-authority data of context {}'s cluster in {}",
                    self.context, self.kubeconfig
                ),
            ),
            Cause::Other(detail) => (
                KubeErrorKind::Unreachable,
                format!("cannot reach the API server at {}: {detail}", self.server),
                format!(
                    "check that the cluster of context {} is reachable from here \
                     (`{} get --raw /version`)",
                    self.context,
                    self.kubectl()
                ),
            ),
        };
        let mut out = self.error(kind, call, message);
        out.hint = Some(hint);
        out
    }
}

/// Why a request got no HTTP answer.
#[derive(Debug, PartialEq, Eq)]
enum Cause {
    TimedOut,
    Refused,
    Dns(String),
    Tls(String),
    Other(String),
}

impl Cause {
    /// Looks through io errors wrapped in io errors (hyper-rustls wraps
    /// tokio-rustls' `InvalidData` error in an `Other` one);
    /// `io::Error::source` skips the wrapped error itself, so `get_ref` it is.
    fn of_io(io: &std::io::Error) -> Option<Cause> {
        let mut current = Some(io);
        // The same bound against cycles as for `source` chains.
        for _ in 0..16 {
            let io = current?;
            let inner = io.get_ref();
            if let Some(tls) = inner.and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Some(Cause::Tls(tls.to_string()));
            }
            match io.kind() {
                std::io::ErrorKind::TimedOut => return Some(Cause::TimedOut),
                std::io::ErrorKind::ConnectionRefused => return Some(Cause::Refused),
                _ => {}
            }
            current = inner.and_then(|i| i.downcast_ref::<std::io::Error>());
        }
        None
    }

    /// Walks the source chain: hyper and the connectors nest the io error
    /// that says what really happened several levels down.
    fn of(err: &(dyn StdError + 'static)) -> Cause {
        let mut dns = false;
        let mut innermost = err;
        let mut current = Some(err);
        // A bound against a `source` cycle in some error type.
        for _ in 0..16 {
            let Some(e) = current else { break };
            innermost = e;
            if e.to_string().starts_with("dns error") {
                dns = true;
            }
            if let Some(cause) = e.downcast_ref::<std::io::Error>().and_then(Cause::of_io) {
                return cause;
            }
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return Cause::Tls(tls.to_string());
            }
            current = e.source();
        }
        let detail = lower_first(&innermost.to_string());
        if dns {
            Cause::Dns(detail)
        } else {
            Cause::Other(detail)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    fn origin() -> Origin {
        Origin {
            region: "us-east-1".into(),
            context: "prod-us-east-1".into(),
            namespace: "us-east-1".into(),
            server: "https://10.0.0.1:6443".into(),
            kubeconfig: "~/.kube/config".into(),
        }
    }

    fn scale_call() -> Call {
        Call::new("patch", "deployments/scale", Some("deployment d".into()))
    }

    #[test]
    fn hints_for_an_in_cluster_region_name_plain_kubectl() {
        let refused =
            || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let e = origin().map(&::kube::Error::Service(Box::new(refused())), &scale_call());
        assert!(
            e.hint
                .unwrap()
                .contains("(`kubectl --context prod-us-east-1 cluster-info`)"),
            "a kubeconfig context is named"
        );
        let pod = Origin {
            context: crate::manifest::IN_CLUSTER_CONTEXT.into(),
            ..origin()
        };
        let e = pod.map(&::kube::Error::Service(Box::new(refused())), &scale_call());
        let hint = e.hint.unwrap();
        assert!(hint.contains("(`kubectl cluster-info`)"), "{hint}");
    }

    #[test]
    fn transport_failures_are_classified_from_the_source_chain() {
        let refused =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let e = origin().map(&::kube::Error::Service(Box::new(refused)), &scale_call());
        assert_eq!(e.kind, KubeErrorKind::Unreachable);
        assert!(e.message.contains("https://10.0.0.1:6443"), "{}", e.message);
        assert!(e.message.ends_with("connection refused"), "{}", e.message);

        let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
        let e = origin().map(&::kube::Error::Service(Box::new(timed_out)), &scale_call());
        assert_eq!(e.kind, KubeErrorKind::Timeout);

        // As hyper-rustls hands it over: rustls' error in an io error in
        // another io error.
        let tls = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        let e = origin().map(&::kube::Error::Service(Box::new(tls)), &scale_call());
        assert_eq!(e.kind, KubeErrorKind::Unreachable);
        assert!(e.message.starts_with("the TLS handshake"), "{}", e.message);
        assert!(e.hint.unwrap().contains("certificate-authority"));

        #[derive(Debug)]
        struct Dns(std::io::Error);
        impl fmt::Display for Dns {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("dns error")
            }
        }
        impl StdError for Dns {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let dns = Dns(std::io::Error::other("Name or service not known"));
        let e = origin().map(&::kube::Error::Service(Box::new(dns)), &scale_call());
        assert_eq!(e.kind, KubeErrorKind::Unreachable);
        assert!(e.message.starts_with("cannot resolve"), "{}", e.message);
        assert!(
            e.message.ends_with("name or service not known"),
            "{}",
            e.message
        );
    }
}
