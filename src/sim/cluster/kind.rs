//! The resource types the simulated API server knows, with the names,
//! groups and verbs discovery and error messages need.

/// A resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `v1` namespaces.
    Namespace,
    /// `v1` pods (synthesized from Deployments, never stored).
    Pod,
    /// `v1` services.
    Service,
    /// `v1` configmaps (ocfail's run history).
    ConfigMap,
    /// `apps/v1` deployments.
    Deployment,
    /// `coordination.k8s.io/v1` leases.
    Lease,
    /// `autoscaling/v2` horizontalpodautoscalers.
    Hpa,
}

impl Kind {
    /// Every kind, in discovery order.
    pub const ALL: [Kind; 7] = [
        Kind::Namespace,
        Kind::Pod,
        Kind::Service,
        Kind::ConfigMap,
        Kind::Deployment,
        Kind::Lease,
        Kind::Hpa,
    ];

    /// The API group (`""` for the core group).
    pub fn group(self) -> &'static str {
        match self {
            Kind::Namespace | Kind::Pod | Kind::Service | Kind::ConfigMap => "",
            Kind::Deployment => "apps",
            Kind::Lease => "coordination.k8s.io",
            Kind::Hpa => "autoscaling",
        }
    }

    /// The served version.
    pub fn version(self) -> &'static str {
        match self {
            Kind::Hpa => "v2",
            _ => "v1",
        }
    }

    /// `apiVersion` as objects carry it.
    pub fn api_version(self) -> String {
        match self.group() {
            "" => self.version().to_owned(),
            g => format!("{g}/{}", self.version()),
        }
    }

    /// The URL plural, e.g. `deployments`.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::Pod => "pods",
            Kind::Service => "services",
            Kind::ConfigMap => "configmaps",
            Kind::Deployment => "deployments",
            Kind::Lease => "leases",
            Kind::Hpa => "horizontalpodautoscalers",
        }
    }

    /// The singular name discovery reports.
    pub fn singular(self) -> &'static str {
        match self {
            Kind::Namespace => "namespace",
            Kind::Pod => "pod",
            Kind::Service => "service",
            Kind::ConfigMap => "configmap",
            Kind::Deployment => "deployment",
            Kind::Lease => "lease",
            Kind::Hpa => "horizontalpodautoscaler",
        }
    }

    /// The object `kind`, e.g. `Deployment`.
    pub fn kind(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Pod => "Pod",
            Kind::Service => "Service",
            Kind::ConfigMap => "ConfigMap",
            Kind::Deployment => "Deployment",
            Kind::Lease => "Lease",
            Kind::Hpa => "HorizontalPodAutoscaler",
        }
    }

    /// kubectl's short names.
    pub fn short_names(self) -> &'static [&'static str] {
        match self {
            Kind::Namespace => &["ns"],
            Kind::Pod => &["po"],
            Kind::Service => &["svc"],
            Kind::ConfigMap => &["cm"],
            Kind::Deployment => &["deploy"],
            Kind::Lease => &[],
            Kind::Hpa => &["hpa"],
        }
    }

    /// Whether objects live in a namespace.
    pub fn namespaced(self) -> bool {
        self != Kind::Namespace
    }

    /// Whether objects carry `metadata.generation` (bumped on spec changes).
    pub fn has_generation(self) -> bool {
        matches!(self, Kind::Deployment | Kind::Hpa)
    }

    /// The verbs this simulator serves, as discovery lists them.
    pub fn verbs(self) -> &'static [&'static str] {
        const FULL: &[&str] = &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ];
        match self {
            Kind::Namespace => &["get", "list"],
            Kind::Pod => &["get", "list"],
            _ => FULL,
        }
    }

    /// Whether `verb` is served.
    pub fn allows(self, verb: &str) -> bool {
        self.verbs().contains(&verb)
    }

    /// Whether watches are served.
    pub fn watchable(self) -> bool {
        matches!(
            self,
            Kind::Deployment | Kind::Service | Kind::ConfigMap | Kind::Lease | Kind::Hpa
        )
    }

    /// The `categories` discovery reports (`kubectl get all`).
    pub fn categories(self) -> &'static [&'static str] {
        match self {
            Kind::Pod | Kind::Service | Kind::Deployment | Kind::Hpa => &["all"],
            _ => &[],
        }
    }

    /// The resource as messages name it: `deployments.apps`, `services`.
    pub fn qualified(self) -> String {
        match self.group() {
            "" => self.plural().to_owned(),
            g => format!("{}.{g}", self.plural()),
        }
    }

    /// The kind with its group, as Invalid messages name it: `Deployment.apps`.
    pub fn qualified_kind(self) -> String {
        match self.group() {
            "" => self.kind().to_owned(),
            g => format!("{}.{g}", self.kind()),
        }
    }

    /// The kind served at `group`/`version` under `plural`.
    pub fn from_path(group: &str, version: &str, plural: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.group() == group && k.version() == version && k.plural() == plural)
    }
}
