//! Which kubeconfig to read (the manifest's `kubeconfig:`, else
//! `$KUBECONFIG`, else `~/.kube/config`), reading it once for the whole
//! fleet, and turning one region's context into a `kube::Config`; or, in a
//! pod, the in-cluster config (`in_cluster.rs`).
//!
//! # When the in-cluster config is used
//!
//! - A region whose `context:` is the reserved value `in-cluster` always
//!   uses it, kubeconfig or not: a CronJob reaches its own cluster through
//!   its ServiceAccount and the other regions through a mounted kubeconfig.
//!   A kubeconfig context named `in-cluster` is never read.
//! - When there is no kubeconfig at all (the manifest names none,
//!   `$KUBECONFIG` is unset or empty, and `~/.kube/config` does not exist)
//!   and `KUBERNETES_SERVICE_HOST` is set, every region uses it, each in
//!   its own namespace from the manifest, as kubectl falls back in a pod.
//! - Otherwise nothing changes: a kubeconfig that is named but missing or
//!   broken is an error, never a silent switch to another cluster.
//!
//! Errors here are about the local machine, not a cluster: they name the
//! file and say how to fix it, and an unknown context lists the ones that
//! exist, closest first.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use ::kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use super::in_cluster::InCluster;
use crate::kube::error::KubeError;
use crate::manifest::Region;
use crate::manifest::fields::closest;

/// What to do when no kubeconfig can be used at all.
const NO_KUBECONFIG_HINT: &str = "set `kubeconfig:` in the manifest (or $KUBECONFIG) to a file with the \
     fleet's contexts, or add --sim to try ocfail without a cluster";

/// At most this many context names in a hint; a kubeconfig can hold hundreds.
const MAX_LISTED_CONTEXTS: usize = 8;

/// Where the kubeconfig comes from, in kubectl's order of precedence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KubeconfigSource {
    /// The manifest's `kubeconfig:` (a leading `~/` expanded).
    Manifest(PathBuf),
    /// `$KUBECONFIG`: one or more files, merged as kubectl merges them.
    Env(Vec<PathBuf>),
    /// `~/.kube/config`.
    Default(PathBuf),
}

impl KubeconfigSource {
    /// The source for a manifest's `kubeconfig` value, reading `$KUBECONFIG`
    /// and the home directory from the process environment.
    pub fn from_environment(manifest: Option<&Path>) -> Result<Self, ConfigProblem> {
        let env = std::env::var_os("KUBECONFIG");
        Self::resolve(manifest, env.as_deref(), std::env::home_dir().as_deref())
    }

    /// The source, given the environment explicitly (so tests need not touch
    /// the process environment).
    pub fn resolve(
        manifest: Option<&Path>,
        env: Option<&OsStr>,
        home: Option<&Path>,
    ) -> Result<Self, ConfigProblem> {
        if let Some(path) = manifest {
            return expand_home(path, home).map(KubeconfigSource::Manifest);
        }
        if let Some(value) = env {
            // Empty entries are ignored, as kubectl does; an empty variable
            // falls through to the default file.
            let paths: Vec<PathBuf> = std::env::split_paths(value)
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            if !paths.is_empty() {
                return Ok(KubeconfigSource::Env(paths));
            }
        }
        match home {
            Some(h) => Ok(KubeconfigSource::Default(h.join(".kube").join("config"))),
            None => Err(ConfigProblem {
                message: "no kubeconfig: the manifest names none, $KUBECONFIG is not set, \
                          and there is no home directory for ~/.kube/config"
                    .to_owned(),
                hint: NO_KUBECONFIG_HINT.to_owned(),
            }),
        }
    }

    /// The source as errors name it.
    pub fn describe(&self) -> String {
        match self {
            KubeconfigSource::Manifest(p) | KubeconfigSource::Default(p) => p.display().to_string(),
            KubeconfigSource::Env(paths) => match paths.as_slice() {
                [one] => format!("{} (from $KUBECONFIG)", one.display()),
                _ => "the files in $KUBECONFIG".to_owned(),
            },
        }
    }

    /// Reads and merges the file(s).
    pub fn load(&self) -> Result<LoadedKubeconfig, ConfigProblem> {
        let config = match self {
            KubeconfigSource::Manifest(p) | KubeconfigSource::Default(p) => read(p)?,
            KubeconfigSource::Env(paths) => {
                // kubectl skips files in the list that do not exist (a common
                // `KUBECONFIG=~/.kube/config:~/.kube/extra` where one is
                // absent); kube's `from_env` fails on them instead.
                let mut merged: Option<Kubeconfig> = None;
                for p in paths.iter().filter(|p| p.exists()) {
                    let next = read(p)?;
                    merged = Some(match merged {
                        None => next,
                        Some(m) => m.merge(next).map_err(|e| ConfigProblem {
                            message: format!("cannot merge {} into the files before it in $KUBECONFIG: {e}", p.display()),
                            hint: "make every file in $KUBECONFIG a kubeconfig of the same kind and apiVersion".to_owned(),
                        })?,
                    });
                }
                merged.ok_or_else(|| ConfigProblem {
                    message: format!(
                        "none of the files in $KUBECONFIG exist ({})",
                        paths
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    hint: NO_KUBECONFIG_HINT.to_owned(),
                })?
            }
        };
        Ok(LoadedKubeconfig {
            config,
            source: self.describe(),
        })
    }
}

/// Where the fleet's client settings come from, before any file is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetSource {
    /// A kubeconfig (regions with `context: in-cluster` still use the
    /// in-cluster config).
    Kubeconfig(KubeconfigSource),
    /// No kubeconfig anywhere, in a pod: every region uses the in-cluster
    /// config.
    InCluster,
}

impl FleetSource {
    /// The rules in the module docs: the kubeconfig source
    /// ([`KubeconfigSource::resolve`]), unless there is none at all
    /// (`~/.kube/config`, the last resort, does not exist, or there is no
    /// home) and `in_pod` (`KUBERNETES_SERVICE_HOST` is set).
    pub fn decide(
        manifest: Option<&Path>,
        env: Option<&OsStr>,
        home: Option<&Path>,
        in_pod: bool,
    ) -> Result<Self, ConfigProblem> {
        match KubeconfigSource::resolve(manifest, env, home) {
            Ok(KubeconfigSource::Default(path)) if in_pod && !path.exists() => {
                Ok(FleetSource::InCluster)
            }
            // No home directory for ~/.kube/config (a pod running as a user
            // without one); a manifest path is never given up on.
            Err(_) if in_pod && manifest.is_none() => Ok(FleetSource::InCluster),
            other => other.map(FleetSource::Kubeconfig),
        }
    }
}

/// Whether every region of a fleet whose manifest names `manifest` as its
/// kubeconfig is reached in-cluster, judged from the process environment
/// (for commands printed for a human to paste, which must not name a
/// context that does not exist there).
pub fn everyone_in_cluster(manifest: Option<&Path>) -> bool {
    let env = std::env::var_os("KUBECONFIG");
    FleetSource::decide(
        manifest,
        env.as_deref(),
        std::env::home_dir().as_deref(),
        InCluster::from_environment().in_pod(),
    ) == Ok(FleetSource::InCluster)
}

/// What the fleet's regions are reached with: read once, shared by all.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// The kubeconfig as read (its problem, if it could not be), or
    /// `None` when every region is reached in-cluster.
    kubeconfig: Option<Result<LoadedKubeconfig, ConfigProblem>>,
    in_cluster: InCluster,
}

impl ClientSettings {
    /// From the process environment, for a manifest whose `kubeconfig:`
    /// is `manifest`.
    pub fn from_environment(manifest: Option<&Path>) -> Self {
        let env = std::env::var_os("KUBECONFIG");
        Self::new(
            manifest,
            env.as_deref(),
            std::env::home_dir().as_deref(),
            InCluster::from_environment(),
        )
    }

    /// With the environment given explicitly; reads the kubeconfig (when
    /// there is one) at once.
    pub fn new(
        manifest: Option<&Path>,
        env: Option<&OsStr>,
        home: Option<&Path>,
        in_cluster: InCluster,
    ) -> Self {
        let kubeconfig = match FleetSource::decide(manifest, env, home, in_cluster.in_pod()) {
            Ok(FleetSource::InCluster) => None,
            Ok(FleetSource::Kubeconfig(source)) => Some(source.load()),
            Err(problem) => Some(Err(problem)),
        };
        ClientSettings {
            kubeconfig,
            in_cluster,
        }
    }

    /// Whether `region` is reached with the in-cluster config.
    pub fn uses_in_cluster(&self, region: &Region) -> bool {
        region.in_cluster() || self.kubeconfig.is_none()
    }

    /// `region`'s client settings (no timeouts applied yet) and where they
    /// came from, for hints.
    pub async fn region_config(
        &self,
        region: &Region,
    ) -> Result<(::kube::Config, String), KubeError> {
        let name = region.name.as_str();
        match (&self.kubeconfig, region.in_cluster()) {
            (None, _) | (_, true) => {
                let config = self
                    .in_cluster
                    .config()
                    .await
                    .map_err(|p| p.for_region(name))?;
                Ok((config, self.in_cluster.describe()))
            }
            (Some(Ok(loaded)), false) => {
                Ok((loaded.region_config(region).await?, loaded.source.clone()))
            }
            (Some(Err(problem)), false) => Err(problem.for_region(name)),
        }
    }
}

/// `~/x` → `HOME/x`; other paths unchanged.
fn expand_home(path: &Path, home: Option<&Path>) -> Result<PathBuf, ConfigProblem> {
    let Ok(rest) = path.strip_prefix("~") else {
        return Ok(path.to_owned());
    };
    match home {
        Some(h) => Ok(h.join(rest)),
        None => Err(ConfigProblem {
            message: format!(
                "cannot expand {}: there is no home directory",
                path.display()
            ),
            hint: "write the kubeconfig path in the manifest without `~`".to_owned(),
        }),
    }
}

fn read(path: &Path) -> Result<Kubeconfig, ConfigProblem> {
    Kubeconfig::read_from(path).map_err(|e| match e {
        KubeconfigError::ReadConfig(io, _) if io.kind() == std::io::ErrorKind::NotFound => {
            ConfigProblem {
                message: format!("kubeconfig {} does not exist", path.display()),
                hint: NO_KUBECONFIG_HINT.to_owned(),
            }
        }
        KubeconfigError::ReadConfig(io, _) => ConfigProblem {
            message: format!("cannot read kubeconfig {}: {io}", path.display()),
            hint: "check the file's permissions, or point `kubeconfig:` in the manifest at another file"
                .to_owned(),
        },
        other => ConfigProblem {
            // The YAML parser adds a source snippet on further lines; the
            // first line has the position and the reason.
            message: format!(
                "kubeconfig {} cannot be parsed: {}",
                path.display(),
                other.to_string().lines().next().unwrap_or_default()
            ),
            hint: format!("check the file with `kubectl --kubeconfig {} config view`", path.display()),
        },
    })
}

/// A kubeconfig problem not yet tied to a region (one file serves many).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// What is wrong, as a lowercase fragment.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl ConfigProblem {
    /// The problem as `region`'s error.
    pub fn for_region(&self, region: &str) -> KubeError {
        KubeError::config(region, self.message.clone(), self.hint.clone())
    }
}

/// A kubeconfig read once and shared by every region.
#[derive(Clone, Debug)]
pub struct LoadedKubeconfig {
    /// The merged kubeconfig.
    pub config: Kubeconfig,
    /// Where it came from, for messages.
    pub source: String,
}

impl LoadedKubeconfig {
    /// The context names, in file order.
    pub fn contexts(&self) -> Vec<&str> {
        self.config
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect()
    }

    /// `region`'s client settings from its context (no timeouts applied yet).
    pub async fn region_config(&self, region: &Region) -> Result<::kube::Config, KubeError> {
        let name = region.name.as_str();
        let context = &region.context;
        if !self.config.contexts.iter().any(|c| &c.name == context) {
            return Err(KubeError::config(
                name,
                format!("context {context} is not in {}", self.source),
                self.unknown_context_hint(context),
            ));
        }
        let options = KubeConfigOptions {
            context: Some(context.clone()),
            ..KubeConfigOptions::default()
        };
        ::kube::Config::from_custom_kubeconfig(self.config.clone(), &options)
            .await
            .map_err(|e| {
                let message = match &e {
                    KubeconfigError::LoadClusterOfContext(cluster) => format!(
                        "context {context} names cluster {cluster}, which is not in {}",
                        self.source
                    ),
                    KubeconfigError::MissingClusterUrl => format!(
                        "the cluster of context {context} in {} has no server URL",
                        self.source
                    ),
                    other => format!(
                        "context {context} in {} cannot be used: {other}",
                        self.source
                    ),
                };
                KubeError::config(
                    name,
                    message,
                    format!("check it with `kubectl --context {context} cluster-info`"),
                )
            })
    }

    /// "did you mean …", then every context, closest to `wanted` first.
    fn unknown_context_hint(&self, wanted: &str) -> String {
        let mut names = self.contexts();
        if names.is_empty() {
            return format!("{} has no contexts; {NO_KUBECONFIG_HINT}", self.source);
        }
        let wanted_lower = wanted.to_lowercase();
        names.sort_by_key(|n| {
            (
                strsim::damerau_levenshtein(&wanted_lower, &n.to_lowercase()),
                *n,
            )
        });
        let mut listed: Vec<&str> = names.iter().copied().take(MAX_LISTED_CONTEXTS).collect();
        let more = names.len().saturating_sub(MAX_LISTED_CONTEXTS);
        let mut hint = String::new();
        if let Some(c) = closest(wanted, names.iter().copied()) {
            hint.push_str(&format!("did you mean {c}? "));
        }
        hint.push_str("contexts there: ");
        if more > 0 {
            listed.push("…");
        }
        hint.push_str(&listed.join(", "));
        if more > 0 {
            hint.push_str(&format!(
                " ({more} more; `kubectl config get-contexts` lists them)"
            ));
        }
        hint.push_str("; fix `context:` in the manifest");
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::IN_CLUSTER_CONTEXT as IN_CLUSTER;

    fn region(context: &str) -> Region {
        Region {
            name: crate::manifest::RegionName("us-east-1".into()),
            context: context.into(),
            namespace: "us-east-1".into(),
            deployment: "openclaw-api".into(),
            service: "openclaw-api".into(),
            port: 8080,
            pool: "openclaw-us-east-1".into(),
            probe: None,
        }
    }

    fn kubeconfig(contexts: &[&str]) -> String {
        let mut s = String::from(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n",
        );
        for c in contexts {
            s.push_str(&format!(
                "- name: {c}\n  context:\n    cluster: c\n    user: u\n"
            ));
        }
        s
    }

    #[test]
    fn sources_follow_kubectls_precedence() {
        let home = Path::new("/home/me");
        assert_eq!(
            KubeconfigSource::resolve(
                Some(Path::new("~/k/config")),
                Some(OsStr::new("/env")),
                Some(home)
            ),
            Ok(KubeconfigSource::Manifest(PathBuf::from(
                "/home/me/k/config"
            )))
        );
        assert_eq!(
            KubeconfigSource::resolve(Some(Path::new("rel/config")), None, Some(home)),
            Ok(KubeconfigSource::Manifest(PathBuf::from("rel/config")))
        );
        assert_eq!(
            KubeconfigSource::resolve(None, Some(OsStr::new("/a::/b")), Some(home)),
            Ok(KubeconfigSource::Env(vec![
                PathBuf::from("/a"),
                PathBuf::from("/b")
            ]))
        );
        assert_eq!(
            KubeconfigSource::resolve(None, Some(OsStr::new("")), Some(home)),
            Ok(KubeconfigSource::Default(PathBuf::from(
                "/home/me/.kube/config"
            )))
        );
        let err = KubeconfigSource::resolve(None, None, None).unwrap_err();
        assert!(err.hint.contains("--sim"), "{}", err.hint);
        assert!(KubeconfigSource::resolve(Some(Path::new("~/x")), None, None).is_err());
    }

    #[test]
    fn in_a_pod_without_any_kubeconfig_every_region_is_in_cluster() {
        let empty_home = tempfile::tempdir().unwrap();
        let home = empty_home.path();
        let decide = |manifest: Option<&str>, env: Option<&str>, home: Option<&Path>, pod| {
            FleetSource::decide(manifest.map(Path::new), env.map(OsStr::new), home, pod)
        };
        assert_eq!(
            decide(None, None, Some(home), true),
            Ok(FleetSource::InCluster)
        );
        assert_eq!(
            decide(None, Some(""), Some(home), true),
            Ok(FleetSource::InCluster)
        );
        assert_eq!(decide(None, None, None, true), Ok(FleetSource::InCluster));
        // Outside a pod, the missing file is still the error it was.
        assert_eq!(
            decide(None, None, Some(home), false),
            Ok(FleetSource::Kubeconfig(KubeconfigSource::Default(
                home.join(".kube/config")
            )))
        );
        assert!(decide(None, None, None, false).is_err());
        // A kubeconfig that is named is used (or fails), never skipped.
        assert_eq!(
            decide(Some("/etc/k"), None, Some(home), true),
            Ok(FleetSource::Kubeconfig(KubeconfigSource::Manifest(
                PathBuf::from("/etc/k")
            )))
        );
        assert_eq!(
            decide(None, Some("/gone"), Some(home), true),
            Ok(FleetSource::Kubeconfig(KubeconfigSource::Env(vec![
                PathBuf::from("/gone")
            ])))
        );
        let with_config = tempfile::tempdir().unwrap();
        std::fs::create_dir(with_config.path().join(".kube")).unwrap();
        std::fs::write(with_config.path().join(".kube/config"), kubeconfig(&["a"])).unwrap();
        assert_eq!(
            decide(None, None, Some(with_config.path()), true),
            Ok(FleetSource::Kubeconfig(KubeconfigSource::Default(
                with_config.path().join(".kube/config")
            )))
        );
    }

    #[tokio::test]
    async fn a_region_named_in_cluster_skips_the_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, kubeconfig(&["prod-us-east-1"])).unwrap();
        let account = dir.path().join("sa");
        std::fs::create_dir(&account).unwrap();
        std::fs::write(account.join("token"), "t").unwrap();
        let ca = crate::sim::tls::SimTls::generate().unwrap();
        std::fs::write(account.join("ca.crt"), ca.ca_pem()).unwrap();
        let pod = super::super::in_cluster::with_dir(&account, "127.0.0.9", "8443");

        let settings = ClientSettings::new(Some(&path), None, None, pod.clone());
        let (config, source) = settings.region_config(&region(IN_CLUSTER)).await.unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.9:8443/");
        assert!(source.starts_with("the in-cluster config"), "{source}");
        let (config, source) = settings
            .region_config(&region("prod-us-east-1"))
            .await
            .unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:6443/");
        assert_eq!(source, path.display().to_string());

        // Without any kubeconfig, in a pod: every region, whatever its context.
        let fallback = ClientSettings::new(None, None, Some(&account), pod.clone());
        assert!(fallback.uses_in_cluster(&region("prod-us-east-1")));
        let (config, _) = fallback
            .region_config(&region("prod-us-east-1"))
            .await
            .unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.9:8443/");

        // `in-cluster` outside a pod says what is missing.
        let outside = InCluster {
            host: None,
            port: None,
            ..pod
        };
        let settings = ClientSettings::new(Some(&path), None, None, outside);
        let err = settings
            .region_config(&region(IN_CLUSTER))
            .await
            .unwrap_err();
        assert_eq!(err.kind, crate::kube::KubeErrorKind::Config);
        assert!(
            err.message
                .contains("$KUBERNETES_SERVICE_HOST and $KUBERNETES_SERVICE_PORT"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_missing_file_names_the_path_and_the_ways_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope");
        let err = KubeconfigSource::Manifest(path.clone()).load().unwrap_err();
        assert_eq!(
            err.message,
            format!("kubeconfig {} does not exist", path.display())
        );
        assert!(
            err.hint.contains("`kubeconfig:`") && err.hint.contains("--sim"),
            "{}",
            err.hint
        );
        let e = err.for_region("eu-central-1");
        assert_eq!(e.region, "eu-central-1");
        assert_eq!(e.kind, crate::kube::KubeErrorKind::Config);
    }

    #[test]
    fn a_broken_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "clusters: [unclosed").unwrap();
        let err = KubeconfigSource::Manifest(path).load().unwrap_err();
        assert!(err.message.contains("cannot be parsed"), "{}", err.message);
    }

    #[test]
    fn env_lists_merge_and_skip_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, kubeconfig(&["prod-us-east-1"])).unwrap();
        std::fs::write(&b, kubeconfig(&["prod-eu-central-1", "prod-us-east-1"])).unwrap();
        let source = KubeconfigSource::Env(vec![a, dir.path().join("missing"), b]);
        let loaded = source.load().unwrap();
        assert_eq!(loaded.contexts(), ["prod-us-east-1", "prod-eu-central-1"]);
        assert_eq!(loaded.source, "the files in $KUBECONFIG");
        let none = KubeconfigSource::Env(vec![dir.path().join("x")])
            .load()
            .unwrap_err();
        assert!(
            none.message
                .starts_with("none of the files in $KUBECONFIG exist"),
            "{}",
            none.message
        );
    }

    #[tokio::test]
    async fn an_unknown_context_lists_the_known_ones_closest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            kubeconfig(&["staging", "prod-eu-central-1", "prod-us-east-1"]),
        )
        .unwrap();
        let loaded = KubeconfigSource::Manifest(path.clone()).load().unwrap();
        let err = loaded
            .region_config(&region("prod-us-east1"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, crate::kube::KubeErrorKind::Config);
        assert_eq!(
            err.message,
            format!("context prod-us-east1 is not in {}", path.display())
        );
        assert_eq!(
            err.hint.as_deref(),
            Some(
                "did you mean prod-us-east-1? contexts there: prod-us-east-1, prod-eu-central-1, staging; \
                 fix `context:` in the manifest"
            )
        );
        let config = loaded
            .region_config(&region("prod-us-east-1"))
            .await
            .unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://127.0.0.1:6443/");
    }

    #[tokio::test]
    async fn long_context_lists_are_cut() {
        let names: Vec<String> = (0..20).map(|i| format!("ctx-{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let loaded = LoadedKubeconfig {
            config: Kubeconfig::from_yaml(&kubeconfig(&refs)).unwrap(),
            source: "k".into(),
        };
        let hint = loaded
            .region_config(&region("zzz"))
            .await
            .unwrap_err()
            .hint
            .unwrap();
        assert!(
            hint.contains("(12 more; `kubectl config get-contexts` lists them)"),
            "{hint}"
        );
        let empty = LoadedKubeconfig {
            config: Kubeconfig::default(),
            source: "k".into(),
        };
        let hint = empty
            .region_config(&region("zzz"))
            .await
            .unwrap_err()
            .hint
            .unwrap();
        assert!(hint.starts_with("k has no contexts"), "{hint}");
    }

    #[tokio::test]
    async fn a_context_without_its_cluster_is_named() {
        let yaml = "contexts:\n- name: x\n  context:\n    cluster: gone\n";
        let loaded = LoadedKubeconfig {
            config: Kubeconfig::from_yaml(yaml).unwrap(),
            source: "k".into(),
        };
        let err = loaded.region_config(&region("x")).await.unwrap_err();
        assert_eq!(
            err.message,
            "context x names cluster gone, which is not in k"
        );
    }
}
