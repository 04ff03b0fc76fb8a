//! The command line as clap sees it. Only `cli/` knows these types; the
//! rest of ocfail works from the [`Invocation`](super::Invocation) built from them.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

use super::values;
use crate::durations;

/// `ocfail --version`: the package version and the git commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("OCFAIL_GIT_COMMIT"),
    ")"
);

/// Check, rehearse and change multi-region failover safely.
#[derive(Debug, Parser)]
#[command(
    name = "ocfail",
    version = VERSION,
    about = "Check, rehearse and change multi-region failover of a Kubernetes service behind a Cloudflare load balancer",
    after_help = "Exit codes: 0 ok, 1 a region failed, 2 usage or manifest error, 3 could not check, \
                  4 inconclusive, 5 refused, 6 restore incomplete, 130 interrupted (docs/exit-codes.md)."
)]
pub struct Args {
    /// Flags every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, ClapArgs)]
pub struct GlobalArgs {
    /// Fleet manifest [default: ./fleet.yaml]
    #[arg(
        short = 'f',
        long = "fleet",
        value_name = "PATH",
        env = "OCFAIL_FLEET",
        global = true
    )]
    pub fleet: Option<PathBuf>,

    /// Report format on stdout
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Human, global = true)]
    pub output: Output,

    /// Also write a JUnit XML report to PATH
    #[arg(long, value_name = "PATH", global = true)]
    pub junit: Option<PathBuf>,

    /// When to colour output (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN", global = true)]
    pub color: Color,

    /// Print only the report and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)
    #[arg(long, global = true)]
    pub sim: bool,

    /// Deadline for every single API request
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = values::positive_duration(durations::REQUEST_TIMEOUT), global = true)]
    pub request_timeout: std::time::Duration,

    /// Regions queried at once
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..), global = true)]
    pub max_parallel: u16,

    /// Cloudflare API requests per second, for the whole process
    #[arg(long, value_name = "RPS", default_value_t = 2.0, value_parser = values::requests_per_second, global = true)]
    pub cloudflare_rps: f64,
}

/// `-o/--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A table per region and a verdict line.
    Human,
    /// One JSON document (schema ocfail.dev/report/v1).
    Json,
    /// JSON Lines: one event per line, the report last.
    Jsonl,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the fleet manifest; with --live, also that everything it names exists and the credentials suffice
    Validate {
        /// Also check the clusters and Cloudflare: contexts, objects, pools, LB, monitors, permissions
        #[arg(long)]
        live: bool,
    },
    /// Show what serves traffic now, per region, and whether the fleet survives losing any one region
    Status {
        /// Keep refreshing until Ctrl-C
        #[arg(long)]
        watch: bool,
        /// Time between refreshes with --watch
        #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = values::positive_duration(durations::INTERVAL), requires = "watch")]
        interval: std::time::Duration,
    },
    /// Show Cloudflare pool health per origin and check location, the monitor's timing budget, and direct probes
    Health {
        /// Also run Cloudflare's monitor preview: would the monitor notice a region going down?
        #[arg(long)]
        preview: bool,
    },
    /// Outage drill: take a region down, prove traffic fails over and comes back, restore everything
    Drill {
        /// The region to take down
        #[arg(long, value_name = "REGION")]
        region: String,
        /// Keep it down this long once failover is confirmed [default: the manifest's drill.hold]
        #[arg(long, value_name = "DURATION", value_parser = values::duration_up_to(durations::HOLD))]
        hold: Option<std::time::Duration>,
        /// How to inject the outage [default: the manifest's drill.method]
        #[arg(long, value_enum)]
        method: Option<DrillMethodArg>,
        /// Check and print the plan; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
        /// Pass a safety rule (repeatable; each needs a --reason, in the same order)
        #[arg(long = "override", value_name = "RULE", requires = "reasons")]
        overrides: Vec<String>,
        /// Why the matching --override is safe (recorded in the report)
        #[arg(long = "reason", value_name = "TEXT")]
        reasons: Vec<String>,
    },
    /// Undo whatever an interrupted drill left, from the annotations it recorded on the clusters
    Restore {
        /// Only this region [default: every region]
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
        /// Keep retrying API errors this long before saying exactly what is left (exit 6)
        #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = values::positive_duration(durations::DEADLINE))]
        timeout: std::time::Duration,
    },
    /// Show the fleet's run history (drills, rollouts, rollbacks, restores, practice), newest first
    History {
        /// Only runs that concerned this region [default: every region]
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// At most this many runs
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: u16,
    },
    /// Run a practice drill when one is due (for a CronJob every few minutes): the region practised longest ago, inside the manifest's windows
    Practice {
        /// Drill the next region now, regardless of windows, blocked dates and "not due" (recorded as forced)
        #[arg(long)]
        now: bool,
        /// Say what it would do and why; change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Blue-green rollout of a new image, region by region in the manifest's waves, with smoke checks and automatic rollback
    Rollout {
        /// The image to roll out, with a tag or digest, e.g. registry.example/openclaw-api:1.5.0
        #[arg(long, value_name = "IMAGE", value_parser = values::image_reference)]
        image: String,
        /// Only these regions (comma-separated), in their waves [default: every region]
        #[arg(long, value_name = "REGIONS", value_delimiter = ',')]
        regions: Vec<String>,
        /// Print the plan per wave; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
        /// Keep the previous colour's replicas after success (instant rollback, double capacity)
        #[arg(long)]
        keep_previous: bool,
        /// Pass a Prometheus guard or blocking alert, as guard:<name> (repeatable; each needs a --reason, in the same order)
        #[arg(long = "override", value_name = "RULE", requires = "reasons")]
        overrides: Vec<String>,
        /// Why the matching --override is safe (recorded in the report)
        #[arg(long = "reason", value_name = "TEXT")]
        reasons: Vec<String>,
    },
    /// Switch the live Service back to the previous colour (scaling it up first if it is not warm)
    Rollback {
        /// Only this region [default: every region, latest wave first]
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// Print what would change; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(long)]
        yes: bool,
    },
    /// Serve Prometheus metrics of the fleet (/metrics, /healthz), refreshed on an interval within the Cloudflare budget
    Exporter {
        /// Address to listen on (port 0: any free port, printed at start)
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
        listen: std::net::SocketAddr,
        /// Time between refreshes
        #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = values::positive_duration(durations::INTERVAL))]
        interval: std::time::Duration,
    },
    /// Prometheus scrape config, alert rules and a Grafana dashboard for the exporter, from the manifest
    Monitoring {
        /// What to do.
        #[command(subcommand)]
        action: MonitoringAction,
    },
    /// The whole job on a simulator in this process: status, health, a drill, a rollout, status (about a minute)
    #[command(
        after_help = "Uses the built-in seed fleet (fixtures/fleet.yaml); with -f/--fleet it mirrors your manifest instead.\nNothing leaves this machine."
    )]
    Demo,
    /// Run the simulator (Kubernetes and Cloudflare APIs on loopback) until Ctrl-C
    Sim(Box<SimArgs>),
    /// Print a shell completion script
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `ocfail monitoring …`.
#[derive(Debug, Subcommand)]
pub enum MonitoringAction {
    /// Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json
    Render {
        /// The directory to write (created if missing)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Where Prometheus reaches the exporter
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9464")]
        exporter: String,
        /// Scrape interval (the exporter's --interval)
        #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = values::positive_duration(durations::INTERVAL))]
        interval: std::time::Duration,
        /// Also scrape each region's app (/metrics beside its probe URL: requests by code, latency)
        #[arg(long)]
        app_metrics: bool,
    },
}

/// `drill --method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DrillMethodArg {
    /// Scale the live Deployment to zero replicas.
    ScaleToZero,
    /// Set the region's pool enabled=false.
    DisablePool,
}

/// `ocfail sim`.
#[derive(Debug, ClapArgs)]
#[command(
    after_help = "Without -f and ./fleet.yaml the built-in seed fleet (fixtures/fleet.yaml) is simulated.\n\
Faults can also be changed while it runs, through the admin API it prints (PUT /_sim/faults/...)."
)]
pub struct SimArgs {
    /// Write DIR/kubeconfig and DIR/fleet.yaml (every URL pointed at the simulator) here
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Port of the first region's Kubernetes API; later regions use the next ports [default: any free port]
    #[arg(long, value_name = "PORT")]
    pub kube_port: Option<u16>,
    /// Port of the Cloudflare API [default: any free port]
    #[arg(long, value_name = "PORT")]
    pub cloudflare_port: Option<u16>,
    /// Port of the load balancer hostname [default: any free port]
    #[arg(long, value_name = "PORT")]
    pub lb_port: Option<u16>,
    /// Port of the /_sim/ admin API [default: any free port]
    #[arg(long, value_name = "PORT")]
    pub admin_port: Option<u16>,

    /// Cloudflare monitor check interval
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = values::positive_duration(durations::INTERVAL))]
    pub monitor_interval: std::time::Duration,
    /// Cloudflare monitor probe timeout
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = values::positive_duration(durations::REQUEST_TIMEOUT))]
    pub monitor_timeout: std::time::Duration,
    /// Immediate retries of a timed-out probe
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub monitor_retries: u32,
    /// Failed checks in a row before an origin turns unhealthy
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub consecutive_down: u32,
    /// Passed checks in a row before an origin turns healthy
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub consecutive_up: u32,
    /// How long a Deployment takes to reach its new spec
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = values::duration_up_to(durations::DEADLINE))]
    pub rollout_delay: std::time::Duration,

    /// Add latency to a region's Kubernetes API (repeatable)
    #[arg(long, value_name = "REGION=DURATION", value_parser = region_value::<HumanDuration>)]
    pub kube_latency: Vec<(String, HumanDuration)>,
    /// Answer this fraction (0.05 or 5%) of a region's Kubernetes API requests with 503 (repeatable)
    #[arg(long, value_name = "REGION=FRACTION", value_parser = region_fraction)]
    pub kube_error_rate: Vec<(String, f64)>,
    /// Answer this fraction (0.05 or 5%) of a region's Kubernetes API writes with 503, reads still succeed (repeatable)
    #[arg(long, value_name = "REGION=FRACTION", value_parser = region_fraction)]
    pub kube_write_error_rate: Vec<(String, f64)>,
    /// New pods in a region stay Pending, as when its nodes are full (repeatable)
    #[arg(long, value_name = "REGION")]
    pub kube_pending_pods: Vec<String>,
    /// Refuse connections to a region's Kubernetes API (repeatable)
    #[arg(long, value_name = "REGION")]
    pub kube_refuse: Vec<String>,
    /// Accept but never answer a region's Kubernetes API requests (repeatable)
    #[arg(long, value_name = "REGION")]
    pub kube_hang: Vec<String>,
    /// Make a region's origin unreachable from Cloudflare's edge: LB requests routed there get 521 (or the STATUS given: 522, 523) and its monitor probes fail (repeatable)
    #[arg(long, value_name = "REGION[=STATUS]", value_parser = region_status)]
    pub origin_unreachable: Vec<(String, u16)>,
    /// Seed the load balancer with adaptive_routing.failover_across_pools on: a request whose origin is unreachable is retried once on the next pool
    #[arg(long)]
    pub failover_across_pools: bool,
    /// Add latency to every Cloudflare API response
    #[arg(long, value_name = "DURATION", value_parser = values::duration_up_to(durations::REQUEST_TIMEOUT))]
    pub cloudflare_latency: Option<std::time::Duration>,
    /// Answer this fraction (0.05 or 5%) of Cloudflare API requests with 500
    #[arg(long, value_name = "FRACTION", value_parser = values::fraction)]
    pub cloudflare_error_rate: Option<f64>,
    /// Answer the next N Cloudflare API requests with 429
    #[arg(long, value_name = "N")]
    pub cloudflare_429: Option<u32>,
    /// Retry-After seconds sent with those 429s
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    pub retry_after: u64,
}

/// A duration flag value (humantime syntax).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumanDuration(pub std::time::Duration);

impl std::str::FromStr for HumanDuration {
    type Err = String;
    /// A latency: at most [`durations::REQUEST_TIMEOUT`], like the requests it delays.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        values::duration_up_to(durations::REQUEST_TIMEOUT)(s).map(HumanDuration)
    }
}

/// Parses `REGION=VALUE`.
fn region_value<T: std::str::FromStr>(s: &str) -> Result<(String, T), String>
where
    T::Err: std::fmt::Display,
{
    let (region, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected REGION=VALUE, got `{s}`"))?;
    let value = value.parse::<T>().map_err(|e| format!("`{value}`: {e}"))?;
    Ok((region.to_owned(), value))
}

/// Parses `REGION=FRACTION` (`0.05` or `5%`).
fn region_fraction(s: &str) -> Result<(String, f64), String> {
    let (region, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected REGION=FRACTION, got `{s}`"))?;
    Ok((region.to_owned(), values::fraction(value)?))
}

/// Parses `REGION` or `REGION=STATUS` (521, the default, 522 or 523).
fn region_status(s: &str) -> Result<(String, u16), String> {
    let (region, status) = match s.split_once('=') {
        Some((region, status)) => {
            let code = status
                .parse::<u16>()
                .map_err(|_| format!("`{status}` is not an HTTP status; use 521, 522 or 523"))?;
            (region, code)
        }
        None => (s, crate::sim::OriginFault::default().status),
    };
    if region.is_empty() {
        return Err(format!("expected REGION or REGION=STATUS, got `{s}`"));
    }
    crate::sim::OriginFault::unreachable(status).check()?;
    Ok((region.to_owned(), status))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn fleet_flag_is_global_and_short() {
        let a = Args::try_parse_from(["ocfail", "validate", "-f", "x.yaml"]).unwrap();
        assert_eq!(a.global.fleet, Some(PathBuf::from("x.yaml")));
    }

    #[test]
    fn output_accepts_json_and_jsonl_only() {
        let a = Args::try_parse_from(["ocfail", "-o", "jsonl", "validate"]).unwrap();
        assert_eq!(a.global.output, Output::Jsonl);
        assert!(Args::try_parse_from(["ocfail", "-o", "yaml", "validate"]).is_err());
    }

    #[test]
    fn verbose_counts_and_conflicts_with_quiet() {
        let a = Args::try_parse_from(["ocfail", "validate", "-vv"]).unwrap();
        assert_eq!(a.global.verbose, 2);
        assert!(Args::try_parse_from(["ocfail", "validate", "-q", "-v"]).is_err());
    }

    #[test]
    fn sim_fault_flags_take_region_value_pairs() {
        let a = Args::try_parse_from([
            "ocfail",
            "sim",
            "--kube-latency",
            "us-east-1=50ms",
            "--kube-error-rate",
            "eu-central-1=0.5",
            "--kube-refuse",
            "ap-southeast-2",
            "--cloudflare-429",
            "3",
        ])
        .unwrap();
        let Command::Sim(sim) = a.command else {
            panic!("not sim")
        };
        assert_eq!(
            sim.kube_latency,
            vec![(
                "us-east-1".to_owned(),
                HumanDuration(std::time::Duration::from_millis(50))
            )]
        );
        assert_eq!(sim.kube_error_rate, vec![("eu-central-1".to_owned(), 0.5)]);
        for flag in ["--kube-error-rate", "--kube-write-error-rate"] {
            let a = Args::try_parse_from(["ocfail", "sim", flag, "us-east-1=5%"]).unwrap();
            let Command::Sim(sim) = a.command else {
                panic!("not sim")
            };
            let rates = [sim.kube_error_rate, sim.kube_write_error_rate].concat();
            assert_eq!(rates, vec![("us-east-1".to_owned(), 0.05)]);
            assert!(Args::try_parse_from(["ocfail", "sim", flag, "us-east-1=5"]).is_err());
        }
        assert!(Args::try_parse_from(["ocfail", "sim", "--cloudflare-error-rate", "NaN"]).is_err());
        assert_eq!(sim.cloudflare_429, Some(3));
        assert!(Args::try_parse_from(["ocfail", "sim", "--kube-latency", "50ms"]).is_err());
    }

    #[test]
    fn origin_unreachable_takes_a_region_and_an_optional_edge_status() {
        let a = Args::try_parse_from([
            "ocfail",
            "sim",
            "--origin-unreachable",
            "us-east-1",
            "--origin-unreachable",
            "eu-central-1=522",
            "--failover-across-pools",
        ])
        .unwrap();
        let Command::Sim(sim) = a.command else {
            panic!("not sim")
        };
        assert_eq!(
            sim.origin_unreachable,
            [
                ("us-east-1".to_owned(), 521),
                ("eu-central-1".to_owned(), 522)
            ]
        );
        assert!(sim.failover_across_pools);
        for bad in ["us-east-1=503", "us-east-1=x", "=522", ""] {
            assert!(
                Args::try_parse_from(["ocfail", "sim", "--origin-unreachable", bad]).is_err(),
                "{bad}"
            );
        }
    }

    /// Every duration flag, a command line using it with `V` for its value,
    /// and its limit.
    const DURATION_FLAGS: [(&str, &str, crate::durations::Limit); 11] = [
        (
            "--request-timeout",
            "--request-timeout V status",
            durations::REQUEST_TIMEOUT,
        ),
        (
            "--interval",
            "status --watch --interval V",
            durations::INTERVAL,
        ),
        (
            "--hold",
            "drill --region us-east-1 --hold V",
            durations::HOLD,
        ),
        ("--timeout", "restore --timeout V", durations::DEADLINE),
        ("--interval", "exporter --interval V", durations::INTERVAL),
        (
            "--interval",
            "monitoring render --out d --interval V",
            durations::INTERVAL,
        ),
        (
            "--monitor-interval",
            "sim --monitor-interval V",
            durations::INTERVAL,
        ),
        (
            "--monitor-timeout",
            "sim --monitor-timeout V",
            durations::REQUEST_TIMEOUT,
        ),
        (
            "--rollout-delay",
            "sim --rollout-delay V",
            durations::DEADLINE,
        ),
        (
            "--cloudflare-latency",
            "sim --cloudflare-latency V",
            durations::REQUEST_TIMEOUT,
        ),
        (
            "--kube-latency",
            "sim --kube-latency us-east-1=V",
            durations::REQUEST_TIMEOUT,
        ),
    ];

    fn parse_with(line: &str, value: &str) -> Result<Args, clap::Error> {
        let line = line.replace('V', value);
        Args::try_parse_from(std::iter::once("ocfail").chain(line.split(' ')))
    }

    /// `d` as one word humantime reads back (`1day 1s` → `1day1s`).
    fn word(d: std::time::Duration) -> String {
        humantime::format_duration(d).to_string().replace(' ', "")
    }

    #[test]
    fn every_duration_flag_accepts_its_maximum() {
        for (_, line, limit) in DURATION_FLAGS {
            if let Err(e) = parse_with(line, &word(limit.max)) {
                panic!("{line} at its maximum: {e}");
            }
        }
    }

    #[test]
    fn every_duration_flag_refuses_more_naming_the_flag() {
        for (flag, line, limit) in DURATION_FLAGS {
            let over = word(limit.max + std::time::Duration::from_secs(1));
            for value in [over.as_str(), "300000000000y"] {
                let e = parse_with(line, value).unwrap_err();
                assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation, "{line}");
                assert_eq!(e.exit_code(), 2);
                let text = e.to_string();
                assert!(text.contains(&format!("'{flag} ")), "{line}: {text}");
                assert!(text.contains("at most"), "{line}: {text}");
            }
        }
    }

    #[test]
    fn completions_needs_a_known_shell() {
        assert!(Args::try_parse_from(["ocfail", "completions", "bash"]).is_ok());
        assert!(Args::try_parse_from(["ocfail", "completions", "tcsh"]).is_err());
    }
}
