//! The in-cluster config: how a pod (a CronJob running `ocfail practice`)
//! reaches its own cluster without a kubeconfig, from what Kubernetes gives
//! every pod: `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`, and
//! the ServiceAccount's `token` and `ca.crt` mounted in
//! `/var/run/secrets/kubernetes.io/serviceaccount` (or the directory in
//! `OCFAIL_SERVICEACCOUNT_DIR`, for unusual mounts and for tests).
//!
//! kube's own `Config::incluster` reads only the fixed directory, so the
//! config is built as client-go builds it, through an in-memory kubeconfig
//! whose user has a `tokenFile` (kube re-reads it at least once a minute:
//! bound ServiceAccount tokens rotate hourly) and whose cluster names
//! `ca.crt` by path (re-read too, as `root_cert_file`, for CA rotation).
//! When and for which regions this config is used is decided in
//! `kubeconfig.rs`.

use std::path::PathBuf;

use ::kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster,
    NamedContext,
};

use super::kubeconfig::ConfigProblem;
use crate::manifest::IN_CLUSTER_CONTEXT;

/// Where Kubernetes mounts a pod's ServiceAccount credentials.
pub const DEFAULT_SERVICEACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Overrides [`DEFAULT_SERVICEACCOUNT_DIR`].
pub const SERVICEACCOUNT_DIR_ENV: &str = "OCFAIL_SERVICEACCOUNT_DIR";

/// The API server's address in a pod (set by the kubelet in every container).
pub const SERVICE_HOST_ENV: &str = "KUBERNETES_SERVICE_HOST";

/// The API server's port in a pod.
pub const SERVICE_PORT_ENV: &str = "KUBERNETES_SERVICE_PORT";

/// What a pod knows about its cluster, read from the environment once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InCluster {
    /// `KUBERNETES_SERVICE_HOST` (`None` when unset or empty: not in a pod).
    pub host: Option<String>,
    /// `KUBERNETES_SERVICE_PORT`.
    pub port: Option<String>,
    /// The directory holding `token` and `ca.crt`.
    pub dir: PathBuf,
}

impl InCluster {
    /// From the process environment.
    pub fn from_environment() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        InCluster {
            host: var(SERVICE_HOST_ENV),
            port: var(SERVICE_PORT_ENV),
            dir: std::env::var_os(SERVICEACCOUNT_DIR_ENV)
                .filter(|d| !d.is_empty())
                .map_or_else(|| PathBuf::from(DEFAULT_SERVICEACCOUNT_DIR), PathBuf::from),
        }
    }

    /// Whether this looks like a pod: `KUBERNETES_SERVICE_HOST` is set.
    pub fn in_pod(&self) -> bool {
        self.host.is_some()
    }

    /// The config as errors and hints name it.
    pub fn describe(&self) -> String {
        format!(
            "the in-cluster config (${SERVICE_HOST_ENV} and the ServiceAccount in {})",
            self.dir.display()
        )
    }

    /// `https://HOST:PORT`, an IPv6 host in brackets.
    pub fn server(&self) -> Result<String, ConfigProblem> {
        let (Some(host), Some(port)) = (self.host.as_deref(), self.port.as_deref()) else {
            return Err(ConfigProblem {
                message: format!(
                    "the in-cluster config needs ${SERVICE_HOST_ENV} and ${SERVICE_PORT_ENV}, which \
                     Kubernetes sets in every pod; {} not set here",
                    match (&self.host, &self.port) {
                        (None, None) => "they are",
                        (None, Some(_)) => "the host is",
                        _ => "the port is",
                    }
                ),
                hint: format!(
                    "run ocfail in a pod of the region's cluster, or give the region a kubeconfig \
                     context instead of `context: {IN_CLUSTER_CONTEXT}`"
                ),
            });
        };
        let port: u16 = port.trim().parse().map_err(|_| ConfigProblem {
            message: format!("${SERVICE_PORT_ENV} is `{port}`, not a port number"),
            hint: format!("set ${SERVICE_PORT_ENV} to the API server's port, e.g. 443"),
        })?;
        let host = host.trim();
        Ok(match host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(ip)) => format!("https://[{ip}]:{port}"),
            _ => format!("https://{host}:{port}"),
        })
    }

    /// `name` in the ServiceAccount directory, absolute (kube resolves a
    /// relative path against the kubeconfig's directory, which an in-memory
    /// one does not have), checked to be a readable, non-empty file.
    fn file(&self, name: &str, what: &str) -> Result<PathBuf, ConfigProblem> {
        let path = std::path::absolute(self.dir.join(name)).unwrap_or_else(|_| self.dir.join(name));
        let way_out = format!(
            "mount the pod's ServiceAccount (its `automountServiceAccountToken` must not be \
             false), or set ${SERVICEACCOUNT_DIR_ENV} to the directory holding `token` and `ca.crt`"
        );
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && m.len() > 0 => {}
            Ok(m) if m.is_file() => {
                return Err(ConfigProblem {
                    message: format!("the ServiceAccount {what} {} is empty", path.display()),
                    hint: way_out,
                });
            }
            Ok(_) => {
                return Err(ConfigProblem {
                    message: format!("the ServiceAccount {what} {} is not a file", path.display()),
                    hint: way_out,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigProblem {
                    message: format!(
                        "the ServiceAccount {what} {} does not exist",
                        path.display()
                    ),
                    hint: way_out,
                });
            }
            Err(e) => {
                return Err(ConfigProblem {
                    message: format!(
                        "cannot read the ServiceAccount {what} {}: {e}",
                        path.display()
                    ),
                    hint: "check the file's permissions".to_owned(),
                });
            }
        }
        // Opening proves it readable (metadata alone does not).
        std::fs::File::open(&path).map_err(|e| ConfigProblem {
            message: format!(
                "cannot read the ServiceAccount {what} {}: {e}",
                path.display()
            ),
            hint: "check the file's permissions".to_owned(),
        })?;
        Ok(path)
    }

    /// The in-memory kubeconfig: one cluster (`server`, `ca.crt` by path),
    /// one user (`token` by path), one context, all named `in-cluster`.
    pub fn kubeconfig(&self) -> Result<Kubeconfig, ConfigProblem> {
        let server = self.server()?;
        let token = self.file("token", "token")?;
        let ca = self.file("ca.crt", "CA certificate")?;
        let name = IN_CLUSTER_CONTEXT.to_owned();
        Ok(Kubeconfig {
            clusters: vec![NamedCluster {
                name: name.clone(),
                cluster: Some(Cluster {
                    server: Some(server),
                    certificate_authority: Some(ca.display().to_string()),
                    ..Cluster::default()
                }),
                ..NamedCluster::default()
            }],
            auth_infos: vec![NamedAuthInfo {
                name: name.clone(),
                auth_info: Some(AuthInfo {
                    token_file: Some(token.display().to_string()),
                    ..AuthInfo::default()
                }),
                ..NamedAuthInfo::default()
            }],
            contexts: vec![NamedContext {
                name: name.clone(),
                context: Some(Context {
                    cluster: name.clone(),
                    user: Some(name.clone()),
                    ..Context::default()
                }),
                ..NamedContext::default()
            }],
            current_context: Some(name),
            ..Kubeconfig::default()
        })
    }

    /// The client settings (no timeouts applied yet).
    pub async fn config(&self) -> Result<::kube::Config, ConfigProblem> {
        let kubeconfig = self.kubeconfig()?;
        let ca = self.dir.join("ca.crt");
        let options = KubeConfigOptions {
            context: Some(IN_CLUSTER_CONTEXT.to_owned()),
            ..KubeConfigOptions::default()
        };
        let mut config = ::kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| ConfigProblem {
                message: format!(
                    "the in-cluster config cannot be used: {}",
                    first_line(&e.to_string())
                ),
                hint: format!(
                    "check that {} holds the cluster's PEM CA certificate",
                    ca.display()
                ),
            })?;
        // kube takes a file without a PEM block as an empty bundle; every
        // TLS handshake would then fail with a less helpful message.
        if config.root_cert.as_ref().is_none_or(Vec::is_empty) {
            return Err(ConfigProblem {
                message: format!(
                    "the ServiceAccount CA certificate {} holds no PEM certificate",
                    ca.display()
                ),
                hint: format!(
                    "check that {} holds the cluster's PEM CA certificate",
                    ca.display()
                ),
            });
        }
        // As kube's own in-cluster config: the CA bundle is re-read too.
        config.root_cert_file = Some(std::path::absolute(&ca).unwrap_or(ca));
        Ok(config)
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// A pod's view with the ServiceAccount in `dir`, for tests.
#[cfg(test)]
pub(super) fn with_dir(dir: &std::path::Path, host: &str, port: &str) -> InCluster {
    InCluster {
        host: Some(host.to_owned()),
        port: Some(port.to_owned()),
        dir: dir.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// A self-signed CA certificate in PEM, as the simulator makes one.
    fn ca_pem() -> String {
        crate::sim::tls::SimTls::generate()
            .expect("certificates")
            .ca_pem()
            .to_owned()
    }

    fn account(token: &str, ca: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), token).unwrap();
        if let Some(ca) = ca {
            std::fs::write(dir.path().join("ca.crt"), ca).unwrap();
        }
        dir
    }

    #[test]
    fn the_server_is_https_with_ipv6_in_brackets() {
        let at = |host: &str, port: &str| with_dir(Path::new("/sa"), host, port).server();
        assert_eq!(at("10.96.0.1", "443").unwrap(), "https://10.96.0.1:443");
        assert_eq!(at("fd00::1", "6443").unwrap(), "https://[fd00::1]:6443");
        assert_eq!(
            at("kubernetes.default.svc", "443").unwrap(),
            "https://kubernetes.default.svc:443"
        );
        let e = at("10.96.0.1", "https").unwrap_err();
        assert_eq!(
            e.message,
            "$KUBERNETES_SERVICE_PORT is `https`, not a port number"
        );
        let mut none = with_dir(Path::new("/sa"), "h", "1");
        none.port = None;
        let e = none.server().unwrap_err();
        assert!(
            e.message.ends_with("the port is not set here"),
            "{}",
            e.message
        );
        assert!(e.hint.contains("`context: in-cluster`"), "{}", e.hint);
    }

    #[test]
    fn a_missing_token_names_the_file_and_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let e = with_dir(dir.path(), "127.0.0.1", "443")
            .kubeconfig()
            .unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "the ServiceAccount token {} does not exist",
                dir.path().join("token").display()
            )
        );
        assert!(
            e.hint.contains("automountServiceAccountToken")
                && e.hint.contains("OCFAIL_SERVICEACCOUNT_DIR"),
            "{}",
            e.hint
        );
        let empty = account("", None);
        let e = with_dir(empty.path(), "127.0.0.1", "443")
            .kubeconfig()
            .unwrap_err();
        assert!(
            e.message.ends_with("token is empty") || e.message.contains("is empty"),
            "{}",
            e.message
        );
        let no_ca = account("t", None);
        let e = with_dir(no_ca.path(), "127.0.0.1", "443")
            .kubeconfig()
            .unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "the ServiceAccount CA certificate {} does not exist",
                no_ca.path().join("ca.crt").display()
            )
        );
    }

    #[tokio::test]
    async fn the_config_reads_the_token_from_its_file() {
        let dir = account("sa-token", Some(&ca_pem()));
        let config = with_dir(dir.path(), "127.0.0.1", "6443")
            .config()
            .await
            .unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:6443/");
        assert_eq!(
            config.auth_info.token_file.as_deref(),
            Some(dir.path().join("token").to_str().unwrap()),
            "by path, so a rotated token is read again"
        );
        assert!(config.auth_info.token.is_none());
        assert_eq!(config.root_cert.as_ref().map(Vec::len), Some(1));
        assert_eq!(config.root_cert_file, Some(dir.path().join("ca.crt")));

        let bad = account("t", Some("not a certificate"));
        let e = with_dir(bad.path(), "127.0.0.1", "6443")
            .config()
            .await
            .unwrap_err();
        assert!(
            e.message.ends_with("holds no PEM certificate"),
            "{}",
            e.message
        );
        assert!(e.hint.contains("ca.crt"), "{}", e.hint);
    }
}
