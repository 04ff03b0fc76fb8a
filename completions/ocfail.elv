
use builtin;
use str;

set edit:completion:arg-completer[ocfail] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'ocfail'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'ocfail'= {
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand validate 'Check the fleet manifest; with --live, also that everything it names exists and the credentials suffice'
            cand status 'Show what serves traffic now, per region, and whether the fleet survives losing any one region'
            cand health 'Show Cloudflare pool health per origin and check location, the monitor''s timing budget, and direct probes'
            cand drill 'Outage drill: take a region down, prove traffic fails over and comes back, restore everything'
            cand restore 'Undo whatever an interrupted drill left, from the annotations it recorded on the clusters'
            cand history 'Show the fleet''s run history (drills, rollouts, rollbacks, restores, practice), newest first'
            cand practice 'Run a practice drill when one is due (for a CronJob every few minutes): the region practised longest ago, inside the manifest''s windows'
            cand rollout 'Blue-green rollout of a new image, region by region in the manifest''s waves, with smoke checks and automatic rollback'
            cand rollback 'Switch the live Service back to the previous colour (scaling it up first if it is not warm)'
            cand exporter 'Serve Prometheus metrics of the fleet (/metrics, /healthz), refreshed on an interval within the Cloudflare budget'
            cand monitoring 'Prometheus scrape config, alert rules and a Grafana dashboard for the exporter, from the manifest'
            cand demo 'The whole job on a simulator in this process: status, health, a drill, a rollout, status (about a minute)'
            cand sim 'Run the simulator (Kubernetes and Cloudflare APIs on loopback) until Ctrl-C'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocfail;validate'= {
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --live 'Also check the clusters and Cloudflare: contexts, objects, pools, LB, monitors, permissions'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;status'= {
            cand --interval 'Time between refreshes with --watch'
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --watch 'Keep refreshing until Ctrl-C'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;health'= {
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --preview 'Also run Cloudflare''s monitor preview: would the monitor notice a region going down?'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;drill'= {
            cand --region 'The region to take down'
            cand --hold 'Keep it down this long once failover is confirmed [default: the manifest''s drill.hold]'
            cand --method 'How to inject the outage [default: the manifest''s drill.method]'
            cand --override 'Pass a safety rule (repeatable; each needs a --reason, in the same order)'
            cand --reason 'Why the matching --override is safe (recorded in the report)'
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --dry-run 'Check and print the plan; change nothing'
            cand --yes 'Do not ask for confirmation (required without a terminal)'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;restore'= {
            cand --region 'Only this region [default: every region]'
            cand --timeout 'Keep retrying API errors this long before saying exactly what is left (exit 6)'
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --yes 'Do not ask for confirmation (required without a terminal)'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;history'= {
            cand --region 'Only runs that concerned this region [default: every region]'
            cand --limit 'At most this many runs'
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;practice'= {
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --now 'Drill the next region now, regardless of windows, blocked dates and "not due" (recorded as forced)'
            cand --dry-run 'Say what it would do and why; change nothing'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;rollout'= {
            cand --image 'The image to roll out, with a tag or digest, e.g. registry.example/openclaw-api:1.5.0'
            cand --regions 'Only these regions (comma-separated), in their waves [default: every region]'
            cand --override 'Pass a Prometheus guard or blocking alert, as guard:<name> (repeatable; each needs a --reason, in the same order)'
            cand --reason 'Why the matching --override is safe (recorded in the report)'
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --dry-run 'Print the plan per wave; change nothing'
            cand --yes 'Do not ask for confirmation (required without a terminal)'
            cand --keep-previous 'Keep the previous colour''s replicas after success (instant rollback, double capacity)'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;rollback'= {
            cand --region 'Only this region [default: every region, latest wave first]'
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --dry-run 'Print what would change; change nothing'
            cand --yes 'Do not ask for confirmation (required without a terminal)'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;exporter'= {
            cand --listen 'Address to listen on (port 0: any free port, printed at start)'
            cand --interval 'Time between refreshes'
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;monitoring'= {
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand render 'Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocfail;monitoring;render'= {
            cand --out 'The directory to write (created if missing)'
            cand --exporter 'Where Prometheus reaches the exporter'
            cand --interval 'Scrape interval (the exporter''s --interval)'
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --app-metrics 'Also scrape each region''s app (/metrics beside its probe URL: requests by code, latency)'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;monitoring;help'= {
            cand render 'Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocfail;monitoring;help;render'= {
        }
        &'ocfail;monitoring;help;help'= {
        }
        &'ocfail;demo'= {
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;sim'= {
            cand --out 'Write DIR/kubeconfig and DIR/fleet.yaml (every URL pointed at the simulator) here'
            cand --kube-port 'Port of the first region''s Kubernetes API; later regions use the next ports [default: any free port]'
            cand --cloudflare-port 'Port of the Cloudflare API [default: any free port]'
            cand --lb-port 'Port of the load balancer hostname [default: any free port]'
            cand --admin-port 'Port of the /_sim/ admin API [default: any free port]'
            cand --monitor-interval 'Cloudflare monitor check interval'
            cand --monitor-timeout 'Cloudflare monitor probe timeout'
            cand --monitor-retries 'Immediate retries of a timed-out probe'
            cand --consecutive-down 'Failed checks in a row before an origin turns unhealthy'
            cand --consecutive-up 'Passed checks in a row before an origin turns healthy'
            cand --rollout-delay 'How long a Deployment takes to reach its new spec'
            cand --kube-latency 'Add latency to a region''s Kubernetes API (repeatable)'
            cand --kube-error-rate 'Answer this fraction (0.05 or 5%) of a region''s Kubernetes API requests with 503 (repeatable)'
            cand --kube-write-error-rate 'Answer this fraction (0.05 or 5%) of a region''s Kubernetes API writes with 503, reads still succeed (repeatable)'
            cand --kube-pending-pods 'New pods in a region stay Pending, as when its nodes are full (repeatable)'
            cand --kube-refuse 'Refuse connections to a region''s Kubernetes API (repeatable)'
            cand --kube-hang 'Accept but never answer a region''s Kubernetes API requests (repeatable)'
            cand --origin-unreachable 'Make a region''s origin unreachable from Cloudflare''s edge: LB requests routed there get 521 (or the STATUS given: 522, 523) and its monitor probes fail (repeatable)'
            cand --cloudflare-latency 'Add latency to every Cloudflare API response'
            cand --cloudflare-error-rate 'Answer this fraction (0.05 or 5%) of Cloudflare API requests with 500'
            cand --cloudflare-429 'Answer the next N Cloudflare API requests with 429'
            cand --retry-after 'Retry-After seconds sent with those 429s'
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand --failover-across-pools 'Seed the load balancer with adaptive_routing.failover_across_pools on: a request whose origin is unreachable is retried once on the next pool'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;completions'= {
            cand -f 'Fleet manifest [default: ./fleet.yaml]'
            cand --fleet 'Fleet manifest [default: ./fleet.yaml]'
            cand -o 'Report format on stdout'
            cand --output 'Report format on stdout'
            cand --junit 'Also write a JUnit XML report to PATH'
            cand --color 'When to colour output (NO_COLOR is honoured with `auto`)'
            cand --request-timeout 'Deadline for every single API request'
            cand --max-parallel 'Regions queried at once'
            cand --cloudflare-rps 'Cloudflare API requests per second, for the whole process'
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --sim 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;help'= {
            cand validate 'Check the fleet manifest; with --live, also that everything it names exists and the credentials suffice'
            cand status 'Show what serves traffic now, per region, and whether the fleet survives losing any one region'
            cand health 'Show Cloudflare pool health per origin and check location, the monitor''s timing budget, and direct probes'
            cand drill 'Outage drill: take a region down, prove traffic fails over and comes back, restore everything'
            cand restore 'Undo whatever an interrupted drill left, from the annotations it recorded on the clusters'
            cand history 'Show the fleet''s run history (drills, rollouts, rollbacks, restores, practice), newest first'
            cand practice 'Run a practice drill when one is due (for a CronJob every few minutes): the region practised longest ago, inside the manifest''s windows'
            cand rollout 'Blue-green rollout of a new image, region by region in the manifest''s waves, with smoke checks and automatic rollback'
            cand rollback 'Switch the live Service back to the previous colour (scaling it up first if it is not warm)'
            cand exporter 'Serve Prometheus metrics of the fleet (/metrics, /healthz), refreshed on an interval within the Cloudflare budget'
            cand monitoring 'Prometheus scrape config, alert rules and a Grafana dashboard for the exporter, from the manifest'
            cand demo 'The whole job on a simulator in this process: status, health, a drill, a rollout, status (about a minute)'
            cand sim 'Run the simulator (Kubernetes and Cloudflare APIs on loopback) until Ctrl-C'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocfail;help;validate'= {
        }
        &'ocfail;help;status'= {
        }
        &'ocfail;help;health'= {
        }
        &'ocfail;help;drill'= {
        }
        &'ocfail;help;restore'= {
        }
        &'ocfail;help;history'= {
        }
        &'ocfail;help;practice'= {
        }
        &'ocfail;help;rollout'= {
        }
        &'ocfail;help;rollback'= {
        }
        &'ocfail;help;exporter'= {
        }
        &'ocfail;help;monitoring'= {
            cand render 'Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json'
        }
        &'ocfail;help;monitoring;render'= {
        }
        &'ocfail;help;demo'= {
        }
        &'ocfail;help;sim'= {
        }
        &'ocfail;help;completions'= {
        }
        &'ocfail;help;help'= {
        }
    ]
    $completions[$command]
}
