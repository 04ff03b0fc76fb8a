//! Raw flags turned, once, into the validated [`Invocation`] the core runs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::args::{self, Args, Command};
use crate::report::reporter::OutputFormat;
use crate::sim::options::Ports;
use crate::sim::{CloudflareFault, KubeFault, OriginFault, SimOptions};

/// When to colour a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream, given whether it is a terminal and whether
    /// `NO_COLOR` is set (to anything non-empty, as no-color.org says).
    pub fn resolve(self, is_terminal: bool, no_color: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        }
    }
}

/// What to run, with every flag checked and defaulted.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// `-f`/`OCFAIL_FLEET`, if given.
    pub fleet: Option<PathBuf>,
    /// Report format.
    pub format: OutputFormat,
    /// JUnit output file.
    pub junit: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`, when set.
    pub github_summary: Option<PathBuf>,
    /// `--color`.
    pub color: ColorChoice,
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// `--sim`.
    pub sim: bool,
    /// `--request-timeout`.
    pub request_timeout: std::time::Duration,
    /// `--max-parallel`.
    pub max_parallel: usize,
    /// `--cloudflare-rps`.
    pub cloudflare_rps: f64,
    /// The command.
    pub command: CommandKind,
}

/// The command to run.
#[derive(Clone, Debug)]
pub enum CommandKind {
    /// `validate [--live]`.
    Validate {
        /// Also check the live fleet.
        live: bool,
    },
    /// `status [--watch]`.
    Status {
        /// Keep refreshing.
        watch: bool,
        /// Refresh interval.
        interval: std::time::Duration,
    },
    /// `health [--preview]`.
    Health {
        /// Run the monitor preview.
        preview: bool,
    },
    /// `drill --region R …`.
    Drill(Box<DrillCommand>),
    /// `restore [--region R] [--yes]`.
    Restore {
        /// Only this region.
        region: Option<String>,
        /// Confirmed on the command line.
        yes: bool,
        /// How long to keep retrying API errors.
        timeout: std::time::Duration,
    },
    /// `history [--region R] [--limit N]`.
    History {
        /// Only runs that concerned this region.
        region: Option<String>,
        /// At most this many runs.
        limit: usize,
    },
    /// `practice [--now] [--dry-run]`.
    Practice {
        /// Run the next region regardless of the schedule.
        now: bool,
        /// Decide and explain, change nothing.
        dry_run: bool,
    },
    /// `rollout --image IMG …` (or, without an image, `rollback`).
    Rollout(Box<RolloutCommand>),
    /// `demo`.
    Demo,
    /// `monitoring render --out DIR`.
    MonitoringRender {
        /// Where to write.
        out: PathBuf,
        /// `host:port` of the exporter.
        exporter: String,
        /// Scrape interval.
        interval: std::time::Duration,
        /// Also scrape each region's app (`--app-metrics`).
        app_metrics: bool,
    },
    /// `exporter [--listen ADDR] [--interval D]`.
    Exporter {
        /// Where to listen.
        listen: std::net::SocketAddr,
        /// Time between refreshes.
        interval: std::time::Duration,
    },
    /// `sim`.
    Sim(Box<SimCommand>),
    /// `completions SHELL`.
    Completions(clap_complete::Shell),
}

/// `ocfail drill`, resolved.
#[derive(Clone, Debug)]
pub struct DrillCommand {
    /// The region to drill.
    pub region: String,
    /// `--hold`.
    pub hold: Option<std::time::Duration>,
    /// `--method`.
    pub method: Option<crate::manifest::DrillMethod>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--yes`.
    pub yes: bool,
    /// `(rule, reason)` pairs; rule names are checked later.
    pub overrides: Vec<(String, String)>,
}

/// `ocfail rollout` or `ocfail rollback`, resolved.
#[derive(Clone, Debug)]
pub struct RolloutCommand {
    /// The image; `None` for `rollback`.
    pub image: Option<String>,
    /// `--regions` (or `rollback --region`); empty means every region.
    pub regions: Vec<String>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--yes`.
    pub yes: bool,
    /// `--keep-previous`.
    pub keep_previous: bool,
    /// `(rule, reason)` pairs; rule names are checked later (only
    /// `guard:<name>` applies to a rollout).
    pub overrides: Vec<(String, String)>,
}

/// `ocfail sim`, resolved.
#[derive(Clone, Debug)]
pub struct SimCommand {
    /// Where to write the kubeconfig and fleet.
    pub out: Option<PathBuf>,
    /// Timings and ports.
    pub options: SimOptions,
    /// Kubernetes faults by region (names are checked against the fleet later).
    pub kube_faults: BTreeMap<String, KubeFault>,
    /// Origins the edge cannot reach, by region (names checked later too).
    pub origin_faults: BTreeMap<String, OriginFault>,
    /// The Cloudflare fault.
    pub cloudflare_fault: CloudflareFault,
}

impl SimCommand {
    fn from_args(a: args::SimArgs) -> Self {
        let options = SimOptions {
            rollout_delay: a.rollout_delay,
            monitor_interval: a.monitor_interval,
            monitor_timeout: a.monitor_timeout,
            monitor_retries: a.monitor_retries,
            consecutive_down: a.consecutive_down,
            consecutive_up: a.consecutive_up,
            failover_across_pools: a.failover_across_pools,
            ports: Ports {
                kube_base: a.kube_port,
                cloudflare: a.cloudflare_port,
                lb: a.lb_port,
                admin: a.admin_port,
            },
            ..SimOptions::default()
        };
        let mut kube_faults: BTreeMap<String, KubeFault> = BTreeMap::new();
        for (region, d) in a.kube_latency {
            kube_faults.entry(region).or_default().latency_ms =
                u64::try_from(d.0.as_millis()).unwrap_or(u64::MAX);
        }
        for (region, rate) in a.kube_error_rate {
            kube_faults.entry(region).or_default().error_rate = rate;
        }
        for (region, rate) in a.kube_write_error_rate {
            kube_faults.entry(region).or_default().write_error_rate = rate;
        }
        for region in a.kube_pending_pods {
            kube_faults.entry(region).or_default().pending_pods = true;
        }
        for region in a.kube_refuse {
            kube_faults.entry(region).or_default().refuse = true;
        }
        for region in a.kube_hang {
            kube_faults.entry(region).or_default().hang = true;
        }
        let origin_faults = a
            .origin_unreachable
            .into_iter()
            .map(|(region, status)| (region, OriginFault::unreachable(status)))
            .collect();
        let cloudflare_fault = CloudflareFault {
            latency_ms: a
                .cloudflare_latency
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            error_rate: a.cloudflare_error_rate.unwrap_or(0.0),
            rate_limit_burst: a.cloudflare_429.unwrap_or(0),
            retry_after_secs: a.retry_after,
        };
        SimCommand {
            out: a.out,
            options,
            kube_faults,
            origin_faults,
            cloudflare_fault,
        }
    }
}

impl CommandKind {
    /// The command's name, as reports show it.
    pub fn name(&self) -> &'static str {
        match self {
            CommandKind::Validate { .. } => "validate",
            CommandKind::Status { .. } => "status",
            CommandKind::Health { .. } => "health",
            CommandKind::Sim(_) => "sim",
            CommandKind::Demo => "demo",
            CommandKind::MonitoringRender { .. } => "monitoring render",
            CommandKind::Exporter { .. } => "exporter",
            CommandKind::Restore { .. } => "restore",
            CommandKind::History { .. } => "history",
            CommandKind::Practice { .. } => "practice",
            CommandKind::Drill(_) => "drill",
            CommandKind::Rollout(r) if r.image.is_none() => "rollback",
            CommandKind::Rollout(_) => "rollout",
            CommandKind::Completions(_) => "completions",
        }
    }
}

impl Invocation {
    /// Builds the invocation from parsed flags and the environment values it uses.
    pub fn from_args(args: Args, github_step_summary: Option<PathBuf>) -> Self {
        let g = args.global;
        Invocation {
            fleet: g.fleet,
            format: match g.output {
                args::Output::Human => OutputFormat::Human,
                args::Output::Json => OutputFormat::Json,
                args::Output::Jsonl => OutputFormat::Jsonl,
            },
            junit: g.junit,
            github_summary: github_step_summary.filter(|p| !p.as_os_str().is_empty()),
            color: match g.color {
                args::Color::Auto => ColorChoice::Auto,
                args::Color::Always => ColorChoice::Always,
                args::Color::Never => ColorChoice::Never,
            },
            quiet: g.quiet,
            verbose: g.verbose,
            sim: g.sim,
            request_timeout: g.request_timeout,
            max_parallel: usize::from(g.max_parallel),
            cloudflare_rps: if g.cloudflare_rps.is_finite() && g.cloudflare_rps > 0.0 {
                g.cloudflare_rps
            } else {
                2.0
            },
            command: match args.command {
                Command::Validate { live } => CommandKind::Validate { live },
                Command::Status { watch, interval } => CommandKind::Status { watch, interval },
                Command::Health { preview } => CommandKind::Health { preview },
                Command::Drill {
                    region,
                    hold,
                    method,
                    dry_run,
                    yes,
                    overrides,
                    reasons,
                } => CommandKind::Drill(Box::new(DrillCommand {
                    region,
                    hold,
                    method: method.map(|m| match m {
                        args::DrillMethodArg::ScaleToZero => {
                            crate::manifest::DrillMethod::ScaleToZero
                        }
                        args::DrillMethodArg::DisablePool => {
                            crate::manifest::DrillMethod::DisablePool
                        }
                    }),
                    dry_run,
                    yes,
                    overrides: overrides.into_iter().zip(reasons).collect(),
                })),
                Command::Restore {
                    region,
                    yes,
                    timeout,
                } => CommandKind::Restore {
                    region,
                    yes,
                    timeout,
                },
                Command::History { region, limit } => CommandKind::History {
                    region,
                    limit: usize::from(limit),
                },
                Command::Practice { now, dry_run } => CommandKind::Practice { now, dry_run },
                Command::Rollout {
                    image,
                    regions,
                    dry_run,
                    yes,
                    keep_previous,
                    overrides,
                    reasons,
                } => CommandKind::Rollout(Box::new(RolloutCommand {
                    image: Some(image),
                    regions: regions.into_iter().filter(|r| !r.is_empty()).collect(),
                    dry_run,
                    yes,
                    keep_previous,
                    overrides: overrides.into_iter().zip(reasons).collect(),
                })),
                Command::Rollback {
                    region,
                    dry_run,
                    yes,
                } => CommandKind::Rollout(Box::new(RolloutCommand {
                    image: None,
                    regions: region.into_iter().collect(),
                    dry_run,
                    yes,
                    keep_previous: true,
                    overrides: Vec::new(),
                })),
                Command::Demo => CommandKind::Demo,
                Command::Monitoring {
                    action:
                        args::MonitoringAction::Render {
                            out,
                            exporter,
                            interval,
                            app_metrics,
                        },
                } => CommandKind::MonitoringRender {
                    out,
                    exporter,
                    interval,
                    app_metrics,
                },
                Command::Exporter { listen, interval } => {
                    CommandKind::Exporter { listen, interval }
                }
                Command::Sim(a) => CommandKind::Sim(Box::new(SimCommand::from_args(*a))),
                Command::Completions { shell } => CommandKind::Completions(shell),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_resolution_table() {
        let cases = [
            (ColorChoice::Auto, true, false, true),
            (ColorChoice::Auto, true, true, false),
            (ColorChoice::Auto, false, false, false),
            (ColorChoice::Always, false, true, true),
            (ColorChoice::Never, true, false, false),
        ];
        for (choice, tty, no_color, want) in cases {
            assert_eq!(
                choice.resolve(tty, no_color),
                want,
                "{choice:?} tty={tty} no_color={no_color}"
            );
        }
    }

    #[test]
    fn sim_origin_faults_and_failover_across_pools_reach_the_command() {
        use clap::Parser;
        let args = Args::try_parse_from([
            "ocfail",
            "sim",
            "--origin-unreachable",
            "us-east-1=522",
            "--failover-across-pools",
        ])
        .unwrap();
        let CommandKind::Sim(sim) = Invocation::from_args(args, None).command else {
            panic!("not sim")
        };
        assert_eq!(
            sim.origin_faults.into_iter().collect::<Vec<_>>(),
            [("us-east-1".to_owned(), OriginFault::unreachable(522))]
        );
        assert!(sim.options.failover_across_pools);
        assert!(sim.kube_faults.is_empty());
    }

    #[test]
    fn empty_step_summary_is_ignored() {
        use clap::Parser;
        let args = Args::try_parse_from(["ocfail", "validate"]).unwrap();
        let inv = Invocation::from_args(args, Some(PathBuf::new()));
        assert_eq!(inv.github_summary, None);
    }
}
