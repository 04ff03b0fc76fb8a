//! The fleet manifest v1 (docs/manifest.md) as typed values, after defaults are applied.
//!
//! These are the types every command uses. They serialize back to the manifest's
//! own YAML shape (camelCase, durations as `30s`, percentages as `1%`), which
//! is how the simulator writes a fleet pointed at itself.

use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

/// The only `apiVersion` this build reads.
pub const API_VERSION: &str = "ocfail.dev/v1";
/// The only `kind` this build reads.
pub const KIND: &str = "Fleet";
/// Cloudflare's v4 API, used when `cloudflare.apiUrl` is not set.
pub const DEFAULT_CLOUDFLARE_API_URL: &str = "https://api.cloudflare.com/client/v4";

/// A whole fleet: one service in several regions behind one Cloudflare LB.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fleet {
    /// Always [`API_VERSION`].
    pub api_version: String,
    /// Always [`KIND`].
    pub kind: String,
    /// The fleet's name.
    pub metadata: Metadata,
    /// Kubeconfig file; `None` means `$KUBECONFIG`, then `~/.kube/config`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// The Cloudflare account, zone and load balancer.
    pub cloudflare: Cloudflare,
    /// The regions, in manifest order (which is also the LB's expected pool order).
    pub regions: Vec<Region>,
    /// Synthetic traffic through the LB hostname during drills and rollouts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<Traffic>,
    /// Blue-green rollout settings.
    pub rollout: Rollout,
    /// Outage drill settings.
    pub drill: Drill,
    /// Where drills and rollouts ask about alerts and service levels
    /// (docs/prometheus.md); `None`: guards, blocking alerts and expected
    /// alerts are not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<Prometheus>,
    /// Scheduled practice drills (docs/practice.md); `None`: none are
    /// scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practice: Option<Practice>,
    /// Webhooks told about drills, rollouts and practice runs
    /// (docs/practice.md, "Notifications"); empty: nobody is told.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<NotifyTarget>,
}

/// One `notify` target: a webhook, whose URL is a credential and so is
/// only ever named by the environment variable holding it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyTarget {
    /// Unique among the targets; reports name the target by it.
    pub name: String,
    /// The environment variable holding the webhook URL (never the URL).
    pub url_from_env: String,
    /// What the receiver expects.
    pub format: NotifyFormat,
    /// Each try's deadline.
    #[serde(serialize_with = "human_duration")]
    pub timeout: Duration,
    /// How many times a delivery is tried, at least once.
    pub tries: u32,
    /// The commands it is told about, each once, in the order written.
    pub on: Vec<NotifyOn>,
}

impl NotifyTarget {
    /// Whether it is told about `command`.
    pub fn notifies(&self, command: NotifyOn) -> bool {
        self.on.contains(&command)
    }
}

/// A `notify` target's wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyFormat {
    /// One Slack incoming-webhook message at the end of a run.
    Slack,
    /// The report document (`-o json`) at the end of a run.
    Json,
    /// One small event per step as the run goes.
    Events,
}

/// The commands a `notify` target can be told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyOn {
    /// `drill`.
    Drill,
    /// `rollout` and `rollback`.
    Rollout,
    /// `practice`: the decisions that ran a drill.
    Practice,
}

impl NotifyOn {
    /// Every command with its spelling, in the default order.
    pub const ALL: [(NotifyOn, &'static str); 3] = [
        (NotifyOn::Drill, "drill"),
        (NotifyOn::Rollout, "rollout"),
        (NotifyOn::Practice, "practice"),
    ];
}

/// `practice`: when scheduled drills may run and how often each region is
/// drilled (docs/practice.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Practice {
    /// How often each region is drilled.
    #[serde(serialize_with = "human_duration")]
    pub every: Duration,
    /// The regions drilled, in manifest order (ties in the rotation go to
    /// the first); all of the fleet's when the manifest names none.
    pub regions: Vec<RegionName>,
    /// Weekly windows a practice drill may run in; empty: any time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<PracticeWindow>,
    /// Dates no practice drill starts on, each in the time zone of the
    /// window it would run in (UTC without windows).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocked_dates: Vec<DateRange>,
}

/// A weekly window, written `Tue-Thu 10:00-16:00 Europe/Berlin`: the days,
/// a start and end on each of them (end after start: no overnight windows),
/// and the IANA time zone both are read in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PracticeWindow {
    /// The days the window opens on.
    pub days: Weekdays,
    /// When it opens, local time.
    pub start: jiff::civil::Time,
    /// When it closes, local time; after `start`.
    pub end: jiff::civil::Time,
    /// The IANA name of its zone, as written.
    pub zone_name: String,
    /// That zone, from the tz database bundled into ocfail.
    pub zone: jiff::tz::TimeZone,
}

impl fmt::Display for PracticeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}-{} {}",
            self.days,
            self.start.strftime("%H:%M"),
            self.end.strftime("%H:%M"),
            self.zone_name
        )
    }
}

impl Serialize for PracticeWindow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A set of weekdays; bit 0 is Monday.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Weekdays(pub u8);

impl Weekdays {
    /// Day names as written, Monday first.
    pub const NAMES: [&'static str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    /// Whether `day` is in the set.
    pub fn contains(self, day: jiff::civil::Weekday) -> bool {
        self.0 & (1 << day.to_monday_zero_offset()) != 0
    }

    /// The set with `day` added.
    #[must_use]
    pub fn with(self, day: jiff::civil::Weekday) -> Self {
        Weekdays(self.0 | (1 << day.to_monday_zero_offset()))
    }
}

impl fmt::Display for Weekdays {
    /// As a comma-separated list of runs, e.g. `Mon,Wed-Fri`; a set is
    /// written Monday first, so a wrapping range reads `Mon,Fri-Sun`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |i: usize| self.0 & (1 << i) != 0;
        let mut parts = Vec::new();
        let mut i = 0;
        while i < 7 {
            if !on(i) {
                i += 1;
                continue;
            }
            let first = i;
            while i + 1 < 7 && on(i + 1) {
                i += 1;
            }
            parts.push(if first == i {
                Self::NAMES[first].to_owned()
            } else {
                format!("{}-{}", Self::NAMES[first], Self::NAMES[i])
            });
            i += 1;
        }
        f.write_str(&parts.join(","))
    }
}

/// A blocked date or an inclusive range of dates, written `2026-12-24` or
/// `2026-12-31..2027-01-02`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    /// The first blocked date.
    pub first: jiff::civil::Date,
    /// The last blocked date; `first` for a single date.
    pub last: jiff::civil::Date,
}

impl DateRange {
    /// Whether `date` is blocked by this range.
    pub fn contains(self, date: jiff::civil::Date) -> bool {
        self.first <= date && date <= self.last
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}..{}", self.first, self.last)
        }
    }
}

impl Serialize for DateRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `prometheus`: the Prometheus (and optionally Alertmanager) that guards,
/// blocking alerts and expected alerts are read from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prometheus {
    /// Prometheus' base URL (`/api/v1/...` is appended).
    pub url: String,
    /// Alertmanager's base URL (`/api/v2/alerts` is appended); `None`:
    /// blocking alerts are read from Prometheus' `/api/v1/alerts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alertmanager_url: Option<String>,
    /// A bearer token, from the environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<SecretRef>,
    /// HTTP basic auth; the password from the environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    /// Every request's deadline.
    #[serde(serialize_with = "human_duration")]
    pub timeout: Duration,
    /// The `for:` of the rendered `OcfailRegionDown` rule; `None`: the
    /// failover budget. Shorter makes the alert checkable within a drill's
    /// hold, at the cost of paging on shorter outages.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "human_duration_opt"
    )]
    pub region_down_for: Option<Duration>,
}

/// `prometheus.basicAuth`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicAuth {
    /// The user name (not a secret).
    pub username: String,
    /// The password, from the environment.
    pub password: SecretRef,
}

/// One guard: a PromQL query whose every series must satisfy `op value`
/// (what must hold, as Argo Rollouts' `successCondition`), continuously
/// for `for_` before a breach counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Guard {
    /// Unique within its list; the override rule is `guard:<name>`.
    pub name: String,
    /// PromQL with placeholders (`{region}`, `{drilled}`, …) where a string
    /// literal may stand.
    pub query: String,
    /// The comparison that must hold.
    pub op: CompareOp,
    /// The threshold.
    pub value: f64,
    /// How long the comparison must fail before it is a breach (zero: at
    /// once).
    #[serde(rename = "for", serialize_with = "human_duration")]
    pub for_: Duration,
    /// When the guard is evaluated.
    pub when: GuardWhen,
}

/// A guard's comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CompareOp {
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `==`
    #[serde(rename = "==")]
    Eq,
}

impl CompareOp {
    /// Every operator with its spelling.
    pub const ALL: [(CompareOp, &'static str); 5] = [
        (CompareOp::Lt, "<"),
        (CompareOp::Le, "<="),
        (CompareOp::Gt, ">"),
        (CompareOp::Ge, ">="),
        (CompareOp::Eq, "=="),
    ];

    /// Its spelling.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(o, _)| *o == self)
            .map_or("==", |(_, s)| s)
    }

    /// Whether `value op threshold` holds (never for NaN).
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            CompareOp::Lt => value < threshold,
            CompareOp::Le => value <= threshold,
            CompareOp::Gt => value > threshold,
            CompareOp::Ge => value >= threshold,
            CompareOp::Eq => value == threshold,
        }
    }
}

/// When a guard is evaluated, and what its breach does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuardWhen {
    /// Before anything changes: a breach refuses to start (exit 5).
    Before,
    /// While the fleet is changed: a breach stops the run and puts back.
    During,
    /// Once the fleet is back: a breach fails the verdict.
    After,
}

/// An alert matcher: a PromQL selector over alert labels, e.g.
/// `OcfailRegionDown{region={drilled}}` or `{severity="page"}`; the metric
/// name stands for `alertname`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AlertMatcher(pub String);

/// `drill.expectAlerts`: what Prometheus must show between the outage and
/// the end of the drill.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectAlerts {
    /// Alerts that must have fired.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub firing: Vec<AlertMatcher>,
    /// Alerts that must have been pending or firing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<AlertMatcher>,
    /// Alerts that must have been neither pending nor firing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub silent: Vec<AlertMatcher>,
}

/// `metadata`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metadata {
    /// The fleet's name, used in reports and lease holders.
    pub name: String,
}

/// `cloudflare`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cloudflare {
    /// 32 hex characters.
    pub account_id: String,
    /// 32 hex characters.
    pub zone_id: String,
    /// The load balancer's name (its hostname).
    pub load_balancer: String,
    /// Where the API token comes from; never the token itself.
    pub api_token: SecretRef,
    /// The v4 API base URL.
    pub api_url: String,
}

/// A secret given by reference: `{ fromEnv: NAME }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    /// The environment variable holding the secret.
    pub from_env: String,
}

/// The reserved `context:` of a region reached from inside its own
/// cluster: the pod's ServiceAccount and `KUBERNETES_SERVICE_HOST`, never a
/// kubeconfig context of that name (see `kube::client::kubeconfig`).
pub const IN_CLUSTER_CONTEXT: &str = "in-cluster";

/// One region: a Kubernetes context + namespace, and one Cloudflare pool.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// Unique name, e.g. `us-east-1`.
    pub name: RegionName,
    /// Kubeconfig context, or [`IN_CLUSTER_CONTEXT`].
    pub context: String,
    /// Namespace holding the Deployments and Services.
    pub namespace: String,
    /// Base name of the colour pair (`<deployment>-blue`, `<deployment>-green`).
    pub deployment: String,
    /// The live Service (`<service>-preview` is the idle one).
    pub service: String,
    /// Service port for smoke checks and probes through the API server proxy.
    pub port: u16,
    /// Cloudflare pool name or id.
    pub pool: String,
    /// Optional direct probe URL, bypassing the LB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<String>,
}

impl Region {
    /// Whether the manifest says to reach this region in-cluster
    /// (`context: in-cluster`).
    pub fn in_cluster(&self) -> bool {
        self.context == IN_CLUSTER_CONTEXT
    }
}

/// A region's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RegionName(pub String);

impl RegionName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `traffic`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Traffic {
    /// URL requested through the LB hostname.
    pub url: String,
    /// Requests per second.
    pub rps: f64,
    /// Per-request timeout.
    #[serde(serialize_with = "human_duration")]
    pub timeout: Duration,
    /// Response header naming the serving region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_header: Option<String>,
}

/// `rollout`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    /// Waves of region names; regions in one wave roll out in parallel.
    pub waves: Vec<Vec<RegionName>>,
    /// Deadline for the idle colour to become ready.
    #[serde(serialize_with = "human_duration")]
    pub ready_timeout: Duration,
    /// Smoke checks run against the preview and then the live Service.
    pub smoke: Vec<SmokeCheck>,
    /// How long to watch traffic after each switch.
    #[serde(serialize_with = "human_duration")]
    pub verify_for: Duration,
    /// Highest tolerated error rate while verifying.
    pub max_error_rate: Percent,
    /// What happens to already promoted regions when one fails.
    pub on_failure: OnFailure,
    /// Guards checked before, during and after the rollout.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guards: Vec<Guard>,
    /// Alerts that refuse a rollout while they fire.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocking_alerts: Vec<AlertMatcher>,
    /// Guards evaluated repeatedly during `verifyFor` on the newly live
    /// colour; a breach rolls back per `onFailure` (their `when` is `during`).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "analysis_guards"
    )]
    pub analysis: Vec<Guard>,
}

/// One smoke check.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SmokeCheck {
    /// Unique name, shown in reports.
    pub name: String,
    /// HTTP method.
    pub method: HttpMethod,
    /// Path, starting with `/`.
    pub path: String,
    /// Request body, sent as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Accepted status codes.
    pub expect_status: Vec<u16>,
    /// Text the response body must contain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_body: Option<String>,
}

/// The HTTP methods a smoke check may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET
    Get,
    /// HEAD
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl HttpMethod {
    /// Every method with its spelling, for parsing and hints.
    pub const ALL: [(HttpMethod, &'static str); 6] = [
        (HttpMethod::Get, "GET"),
        (HttpMethod::Head, "HEAD"),
        (HttpMethod::Post, "POST"),
        (HttpMethod::Put, "PUT"),
        (HttpMethod::Patch, "PATCH"),
        (HttpMethod::Delete, "DELETE"),
    ];

    /// The method's spelling.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("GET", |(_, s)| s)
    }
}

/// `rollout.onFailure`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnFailure {
    /// Switch back every region promoted in this run, in reverse order.
    RollbackAll,
    /// Stop, leaving promoted regions promoted.
    Halt,
}

/// `drill`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drill {
    /// How long the region stays down once failover is confirmed.
    #[serde(serialize_with = "human_duration")]
    pub hold: Duration,
    /// Deadline for failover to be observed.
    pub failover_timeout: Timeout,
    /// Deadline for recovery to be observed.
    pub recover_timeout: Timeout,
    /// Pools that must stay healthy besides the drilled one.
    pub min_healthy_pools: u32,
    /// Highest tolerated error rate of synthetic traffic once traffic has
    /// moved (`failedOver`) and after recovery (`after`).
    pub max_error_rate: Percent,
    /// Longest tolerated user-visible outage window (`auto`: the failover
    /// budget).
    pub max_outage: Timeout,
    /// Highest tolerated error rate while the region comes back
    /// (`recovering`); `None`: the same as `max_error_rate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_recovery_error_rate: Option<Percent>,
    /// How the outage is injected.
    pub method: DrillMethod,
    /// Guards checked before, during and after the drill.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guards: Vec<Guard>,
    /// Alerts that refuse a drill while they fire.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocking_alerts: Vec<AlertMatcher>,
    /// What alerts the drill must (and must not) raise; `None`: the
    /// rendered rules' defaults when Prometheus has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_alerts: Option<ExpectAlerts>,
}

impl Drill {
    /// The error budget of the `recovering` phase.
    pub fn recovery_error_rate(&self) -> Percent {
        self.max_recovery_error_rate.unwrap_or(self.max_error_rate)
    }
}

/// A deadline that is either computed from the monitor (docs/drills.md, the timing budget) or fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Computed from the pool's monitor settings.
    Auto,
    /// A fixed duration.
    Fixed(Duration),
}

impl Serialize for Timeout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Timeout::Auto => s.serialize_str("auto"),
            Timeout::Fixed(d) => human_duration(d, s),
        }
    }
}

/// `drill.method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrillMethod {
    /// Scale the live Deployment to zero replicas.
    ScaleToZero,
    /// Set the region's pool `enabled: false`.
    DisablePool,
}

/// A fraction between 0 and 1, written `1%` or `0.01` in the manifest.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Percent(pub f64);

impl Percent {
    /// The fraction (0.01 for 1%).
    pub fn fraction(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Round to drop float noise such as 0.07 * 100 = 7.000000000000001.
        let pct = (self.0 * 100.0 * 1e6).round() / 1e6;
        write!(f, "{pct}%")
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn human_duration<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&humantime::format_duration(*d))
}

/// An analysis guard as written: without `when`, which the manifest
/// refuses there (it is always `during`).
#[derive(Serialize)]
struct AnalysisGuard<'a> {
    name: &'a str,
    query: &'a str,
    op: CompareOp,
    value: f64,
    #[serde(rename = "for", serialize_with = "human_duration")]
    for_: Duration,
}

fn analysis_guards<S: Serializer>(guards: &[Guard], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(guards.iter().map(|g| AnalysisGuard {
        name: &g.name,
        query: &g.query,
        op: g.op,
        value: g.value,
        for_: g.for_,
    }))
}

fn human_duration_opt<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => human_duration(d, s),
        None => s.serialize_none(),
    }
}

impl Fleet {
    /// The region with this name.
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.name.as_str() == name)
    }

    /// The manifest as YAML, in the shape it is read in.
    pub fn to_yaml(&self) -> String {
        // Serializing plain structs of strings and numbers cannot fail.
        serde_saphyr::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_displays_without_float_noise() {
        assert_eq!(Percent(0.07).to_string(), "7%");
        assert_eq!(Percent(0.01).to_string(), "1%");
        assert_eq!(Percent(0.005).to_string(), "0.5%");
    }

    #[test]
    fn method_spelling_round_trips() {
        for (m, s) in HttpMethod::ALL {
            assert_eq!(m.as_str(), s);
        }
    }
}
