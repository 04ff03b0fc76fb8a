//! [`Recovery`]: how to write a command a human can paste to finish what a
//! run left, from any directory: the `ocfail` binary and manifest by
//! absolute path, and `kubectl` with the kubeconfig and context the run
//! used. A command that only works from the directory ocfail ran in fails
//! exactly when it is needed (another terminal, another machine's shell).

use std::path::{Path, PathBuf};

use crate::manifest::Region;

/// What a printed command needs to reach the same fleet as this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// The `ocfail` to run: absolute when it was started by path, else the
    /// name found on `PATH`.
    pub program: String,
    /// Flags before the subcommand: `-f /abs/fleet.yaml`, `--sim`.
    pub global: Vec<String>,
    /// The kubeconfig the run read, when it is not kubectl's default
    /// (`~/.kube/config`): one file, or the `$KUBECONFIG` list.
    pub kubeconfig: Option<Vec<PathBuf>>,
    /// Whether every region was reached with the in-cluster config (no
    /// kubeconfig at all, in a pod); a region with `context: in-cluster`
    /// always is.
    pub in_cluster: bool,
}

impl Default for Recovery {
    /// `ocfail` from `PATH`, with the default manifest and kubeconfig.
    fn default() -> Self {
        Recovery {
            program: "ocfail".to_owned(),
            global: Vec::new(),
            kubeconfig: None,
            in_cluster: false,
        }
    }
}

impl Recovery {
    /// The recovery for a run of `argv0` on the manifest at `manifest`
    /// (absolute or relative to `cwd`), reading the kubeconfig `kubeconfig`
    /// (the manifest's field), else `$KUBECONFIG` as given in `env`.
    pub fn new(
        argv0: Option<&Path>,
        manifest: Option<&Path>,
        sim: bool,
        kubeconfig: Option<&str>,
        env: Option<&std::ffi::OsStr>,
        cwd: &Path,
    ) -> Self {
        let program = match argv0 {
            // `./target/release/ocfail` only works from here; `ocfail` works
            // wherever PATH finds it.
            Some(p) if p.components().count() > 1 => absolute(p, cwd).display().to_string(),
            _ => "ocfail".to_owned(),
        };
        let mut global = Vec::new();
        if sim {
            global.push("--sim".to_owned());
        }
        if let Some(m) = manifest {
            global.push("-f".to_owned());
            global.push(absolute(m, cwd).display().to_string());
        }
        let kubeconfig = match (kubeconfig, env) {
            (Some(k), _) => Some(vec![absolute(&expand_home(k), cwd)]),
            (None, Some(list)) => {
                let paths: Vec<PathBuf> = std::env::split_paths(list)
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(|p| absolute(&p, cwd))
                    .collect();
                (!paths.is_empty()).then_some(paths)
            }
            (None, None) => None,
        };
        Recovery {
            program,
            global,
            kubeconfig,
            in_cluster: false,
        }
    }

    /// The same, for a run that reached every region in-cluster (`yes`).
    pub fn with_in_cluster(mut self, yes: bool) -> Self {
        self.in_cluster = yes;
        self
    }

    /// `ocfail <global flags> <args>`, e.g. `ocfail -f /abs/fleet.yaml restore --region us-east-1`.
    pub fn ocfail(&self, args: &str) -> String {
        let mut parts = vec![quote(&self.program)];
        parts.extend(self.global.iter().map(|g| quote(g)));
        parts.push(args.to_owned());
        parts.join(" ")
    }

    /// `kubectl --kubeconfig … --context CTX -n NS <args>` for `region`;
    /// `kubectl -n NS <args>` for a region reached in-cluster, which is what
    /// kubectl does in the same pod without a kubeconfig.
    pub fn kubectl(&self, region: &Region, args: &str) -> String {
        if self.in_cluster || region.in_cluster() {
            return format!("kubectl -n {} {args}", quote(&region.namespace));
        }
        let mut s = String::new();
        match self.kubeconfig.as_deref() {
            Some([one]) => {
                s.push_str("kubectl --kubeconfig ");
                s.push_str(&quote(&one.display().to_string()));
            }
            Some(many) => {
                let joined = std::env::join_paths(many)
                    .map(|j| j.to_string_lossy().into_owned())
                    .unwrap_or_default();
                s.push_str("KUBECONFIG=");
                s.push_str(&quote(&joined));
                s.push_str(" kubectl");
            }
            None => s.push_str("kubectl"),
        }
        s.push_str(&format!(
            " --context {} -n {} {args}",
            quote(&region.context),
            quote(&region.namespace)
        ));
        s
    }
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(p),
    }
}

fn absolute(p: &Path, cwd: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    // Canonical when it exists; otherwise at least without `.` and `..`.
    std::fs::canonicalize(&joined).unwrap_or_else(|_| {
        let mut clean = PathBuf::new();
        for part in joined.components() {
            match part {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    clean.pop();
                }
                other => clean.push(other),
            }
        }
        clean
    })
}

/// Single-quotes a word for a POSIX shell when it needs it.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region() -> Region {
        Region {
            name: crate::manifest::RegionName("us-east-1".to_owned()),
            context: "prod-use1".to_owned(),
            namespace: "openclaw".to_owned(),
            deployment: "openclaw-api".to_owned(),
            service: "openclaw-api".to_owned(),
            port: 8080,
            pool: "us-east-1".to_owned(),
            probe: None,
        }
    }

    #[test]
    fn commands_carry_absolute_paths() {
        let r = Recovery::new(
            Some(Path::new("./target/release/ocfail")),
            Some(Path::new("fleets/prod.yaml")),
            false,
            Some("conf/kube.yaml"),
            None,
            Path::new("/work/x"),
        );
        assert_eq!(
            r.ocfail("restore --region us-east-1"),
            "/work/x/target/release/ocfail -f /work/x/fleets/prod.yaml restore --region us-east-1"
        );
        assert_eq!(
            r.kubectl(&region(), "get deployments"),
            "kubectl --kubeconfig /work/x/conf/kube.yaml --context prod-use1 -n openclaw get deployments"
        );
    }

    #[test]
    fn ocfail_on_path_stays_a_name_and_the_default_kubeconfig_needs_no_flag() {
        let r = Recovery::new(
            Some(Path::new("ocfail")),
            None,
            true,
            None,
            None,
            Path::new("/"),
        );
        assert_eq!(r.ocfail("restore"), "ocfail --sim restore");
        assert_eq!(
            r.kubectl(&region(), "get lease"),
            "kubectl --context prod-use1 -n openclaw get lease"
        );
    }

    #[test]
    fn a_kubeconfig_list_is_passed_as_the_variable() {
        let env = std::env::join_paths(["/a/one", "/b/two"]).unwrap();
        let r = Recovery::new(None, None, false, None, Some(&env), Path::new("/"));
        assert_eq!(
            r.kubectl(&region(), "get lease"),
            "KUBECONFIG=/a/one:/b/two kubectl --context prod-use1 -n openclaw get lease"
        );
    }

    #[test]
    fn in_cluster_regions_get_kubectl_without_a_context() {
        let r = Recovery::new(None, None, false, Some("/k"), None, Path::new("/"));
        let mut pod = region();
        pod.context = crate::manifest::IN_CLUSTER_CONTEXT.to_owned();
        assert_eq!(
            r.kubectl(&pod, "get lease"),
            "kubectl -n openclaw get lease"
        );
        assert_eq!(
            r.kubectl(&region(), "get lease"),
            "kubectl --kubeconfig /k --context prod-use1 -n openclaw get lease",
            "the other regions keep their kubeconfig context"
        );
        let everyone =
            Recovery::new(None, None, false, None, None, Path::new("/")).with_in_cluster(true);
        assert_eq!(
            everyone.kubectl(&region(), "get lease"),
            "kubectl -n openclaw get lease"
        );
    }

    #[test]
    fn odd_words_are_quoted() {
        assert_eq!(quote("my fleet.yaml"), "'my fleet.yaml'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("/a/b-c_d.yaml"), "/a/b-c_d.yaml");
    }
}
