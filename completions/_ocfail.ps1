
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'ocfail' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'ocfail'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'ocfail' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check the fleet manifest; with --live, also that everything it names exists and the credentials suffice')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what serves traffic now, per region, and whether the fleet survives losing any one region')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Show Cloudflare pool health per origin and check location, the monitor''s timing budget, and direct probes')
            [CompletionResult]::new('drill', 'drill', [CompletionResultType]::ParameterValue, 'Outage drill: take a region down, prove traffic fails over and comes back, restore everything')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Undo whatever an interrupted drill left, from the annotations it recorded on the clusters')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show the fleet''s run history (drills, rollouts, rollbacks, restores, practice), newest first')
            [CompletionResult]::new('practice', 'practice', [CompletionResultType]::ParameterValue, 'Run a practice drill when one is due (for a CronJob every few minutes): the region practised longest ago, inside the manifest''s windows')
            [CompletionResult]::new('rollout', 'rollout', [CompletionResultType]::ParameterValue, 'Blue-green rollout of a new image, region by region in the manifest''s waves, with smoke checks and automatic rollback')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Switch the live Service back to the previous colour (scaling it up first if it is not warm)')
            [CompletionResult]::new('exporter', 'exporter', [CompletionResultType]::ParameterValue, 'Serve Prometheus metrics of the fleet (/metrics, /healthz), refreshed on an interval within the Cloudflare budget')
            [CompletionResult]::new('monitoring', 'monitoring', [CompletionResultType]::ParameterValue, 'Prometheus scrape config, alert rules and a Grafana dashboard for the exporter, from the manifest')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'The whole job on a simulator in this process: status, health, a drill, a rollout, status (about a minute)')
            [CompletionResult]::new('sim', 'sim', [CompletionResultType]::ParameterValue, 'Run the simulator (Kubernetes and Cloudflare APIs on loopback) until Ctrl-C')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocfail;validate' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Also check the clusters and Cloudflare: contexts, objects, pools, LB, monitors, permissions')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;status' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between refreshes with --watch')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Keep refreshing until Ctrl-C')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;health' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--preview', '--preview', [CompletionResultType]::ParameterName, 'Also run Cloudflare''s monitor preview: would the monitor notice a region going down?')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;drill' {
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region to take down')
            [CompletionResult]::new('--hold', '--hold', [CompletionResultType]::ParameterName, 'Keep it down this long once failover is confirmed [default: the manifest''s drill.hold]')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'How to inject the outage [default: the manifest''s drill.method]')
            [CompletionResult]::new('--override', '--override', [CompletionResultType]::ParameterName, 'Pass a safety rule (repeatable; each needs a --reason, in the same order)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the matching --override is safe (recorded in the report)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Check and print the plan; change nothing')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;restore' {
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Only this region [default: every region]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Keep retrying API errors this long before saying exactly what is left (exit 6)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;history' {
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Only runs that concerned this region [default: every region]')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many runs')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;practice' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Drill the next region now, regardless of windows, blocked dates and "not due" (recorded as forced)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what it would do and why; change nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;rollout' {
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image to roll out, with a tag or digest, e.g. registry.example/openclaw-api:1.5.0')
            [CompletionResult]::new('--regions', '--regions', [CompletionResultType]::ParameterName, 'Only these regions (comma-separated), in their waves [default: every region]')
            [CompletionResult]::new('--override', '--override', [CompletionResultType]::ParameterName, 'Pass a Prometheus guard or blocking alert, as guard:<name> (repeatable; each needs a --reason, in the same order)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the matching --override is safe (recorded in the report)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan per wave; change nothing')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('--keep-previous', '--keep-previous', [CompletionResultType]::ParameterName, 'Keep the previous colour''s replicas after success (instant rollback, double capacity)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;rollback' {
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Only this region [default: every region, latest wave first]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would change; change nothing')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required without a terminal)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;exporter' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (port 0: any free port, printed at start)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between refreshes')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;monitoring' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocfail;monitoring;render' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'The directory to write (created if missing)')
            [CompletionResult]::new('--exporter', '--exporter', [CompletionResultType]::ParameterName, 'Where Prometheus reaches the exporter')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Scrape interval (the exporter''s --interval)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--app-metrics', '--app-metrics', [CompletionResultType]::ParameterName, 'Also scrape each region''s app (/metrics beside its probe URL: requests by code, latency)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;monitoring;help' {
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocfail;monitoring;help;render' {
            break
        }
        'ocfail;monitoring;help;help' {
            break
        }
        'ocfail;demo' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;sim' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write DIR/kubeconfig and DIR/fleet.yaml (every URL pointed at the simulator) here')
            [CompletionResult]::new('--kube-port', '--kube-port', [CompletionResultType]::ParameterName, 'Port of the first region''s Kubernetes API; later regions use the next ports [default: any free port]')
            [CompletionResult]::new('--cloudflare-port', '--cloudflare-port', [CompletionResultType]::ParameterName, 'Port of the Cloudflare API [default: any free port]')
            [CompletionResult]::new('--lb-port', '--lb-port', [CompletionResultType]::ParameterName, 'Port of the load balancer hostname [default: any free port]')
            [CompletionResult]::new('--admin-port', '--admin-port', [CompletionResultType]::ParameterName, 'Port of the /_sim/ admin API [default: any free port]')
            [CompletionResult]::new('--monitor-interval', '--monitor-interval', [CompletionResultType]::ParameterName, 'Cloudflare monitor check interval')
            [CompletionResult]::new('--monitor-timeout', '--monitor-timeout', [CompletionResultType]::ParameterName, 'Cloudflare monitor probe timeout')
            [CompletionResult]::new('--monitor-retries', '--monitor-retries', [CompletionResultType]::ParameterName, 'Immediate retries of a timed-out probe')
            [CompletionResult]::new('--consecutive-down', '--consecutive-down', [CompletionResultType]::ParameterName, 'Failed checks in a row before an origin turns unhealthy')
            [CompletionResult]::new('--consecutive-up', '--consecutive-up', [CompletionResultType]::ParameterName, 'Passed checks in a row before an origin turns healthy')
            [CompletionResult]::new('--rollout-delay', '--rollout-delay', [CompletionResultType]::ParameterName, 'How long a Deployment takes to reach its new spec')
            [CompletionResult]::new('--kube-latency', '--kube-latency', [CompletionResultType]::ParameterName, 'Add latency to a region''s Kubernetes API (repeatable)')
            [CompletionResult]::new('--kube-error-rate', '--kube-error-rate', [CompletionResultType]::ParameterName, 'Answer this fraction (0.05 or 5%) of a region''s Kubernetes API requests with 503 (repeatable)')
            [CompletionResult]::new('--kube-write-error-rate', '--kube-write-error-rate', [CompletionResultType]::ParameterName, 'Answer this fraction (0.05 or 5%) of a region''s Kubernetes API writes with 503, reads still succeed (repeatable)')
            [CompletionResult]::new('--kube-pending-pods', '--kube-pending-pods', [CompletionResultType]::ParameterName, 'New pods in a region stay Pending, as when its nodes are full (repeatable)')
            [CompletionResult]::new('--kube-refuse', '--kube-refuse', [CompletionResultType]::ParameterName, 'Refuse connections to a region''s Kubernetes API (repeatable)')
            [CompletionResult]::new('--kube-hang', '--kube-hang', [CompletionResultType]::ParameterName, 'Accept but never answer a region''s Kubernetes API requests (repeatable)')
            [CompletionResult]::new('--origin-unreachable', '--origin-unreachable', [CompletionResultType]::ParameterName, 'Make a region''s origin unreachable from Cloudflare''s edge: LB requests routed there get 521 (or the STATUS given: 522, 523) and its monitor probes fail (repeatable)')
            [CompletionResult]::new('--cloudflare-latency', '--cloudflare-latency', [CompletionResultType]::ParameterName, 'Add latency to every Cloudflare API response')
            [CompletionResult]::new('--cloudflare-error-rate', '--cloudflare-error-rate', [CompletionResultType]::ParameterName, 'Answer this fraction (0.05 or 5%) of Cloudflare API requests with 500')
            [CompletionResult]::new('--cloudflare-429', '--cloudflare-429', [CompletionResultType]::ParameterName, 'Answer the next N Cloudflare API requests with 429')
            [CompletionResult]::new('--retry-after', '--retry-after', [CompletionResultType]::ParameterName, 'Retry-After seconds sent with those 429s')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('--failover-across-pools', '--failover-across-pools', [CompletionResultType]::ParameterName, 'Seed the load balancer with adaptive_routing.failover_across_pools on: a request whose origin is unreachable is retried once on the next pool')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;completions' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('--fleet', '--fleet', [CompletionResultType]::ParameterName, 'Fleet manifest [default: ./fleet.yaml]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Report format on stdout')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write a JUnit XML report to PATH')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR is honoured with `auto`)')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'Deadline for every single API request')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Regions queried at once')
            [CompletionResult]::new('--cloudflare-rps', '--cloudflare-rps', [CompletionResultType]::ParameterName, 'Cloudflare API requests per second, for the whole process')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the report and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)')
            [CompletionResult]::new('--sim', '--sim', [CompletionResultType]::ParameterName, 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'ocfail;help' {
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check the fleet manifest; with --live, also that everything it names exists and the credentials suffice')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what serves traffic now, per region, and whether the fleet survives losing any one region')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Show Cloudflare pool health per origin and check location, the monitor''s timing budget, and direct probes')
            [CompletionResult]::new('drill', 'drill', [CompletionResultType]::ParameterValue, 'Outage drill: take a region down, prove traffic fails over and comes back, restore everything')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Undo whatever an interrupted drill left, from the annotations it recorded on the clusters')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show the fleet''s run history (drills, rollouts, rollbacks, restores, practice), newest first')
            [CompletionResult]::new('practice', 'practice', [CompletionResultType]::ParameterValue, 'Run a practice drill when one is due (for a CronJob every few minutes): the region practised longest ago, inside the manifest''s windows')
            [CompletionResult]::new('rollout', 'rollout', [CompletionResultType]::ParameterValue, 'Blue-green rollout of a new image, region by region in the manifest''s waves, with smoke checks and automatic rollback')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Switch the live Service back to the previous colour (scaling it up first if it is not warm)')
            [CompletionResult]::new('exporter', 'exporter', [CompletionResultType]::ParameterValue, 'Serve Prometheus metrics of the fleet (/metrics, /healthz), refreshed on an interval within the Cloudflare budget')
            [CompletionResult]::new('monitoring', 'monitoring', [CompletionResultType]::ParameterValue, 'Prometheus scrape config, alert rules and a Grafana dashboard for the exporter, from the manifest')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'The whole job on a simulator in this process: status, health, a drill, a rollout, status (about a minute)')
            [CompletionResult]::new('sim', 'sim', [CompletionResultType]::ParameterValue, 'Run the simulator (Kubernetes and Cloudflare APIs on loopback) until Ctrl-C')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocfail;help;validate' {
            break
        }
        'ocfail;help;status' {
            break
        }
        'ocfail;help;health' {
            break
        }
        'ocfail;help;drill' {
            break
        }
        'ocfail;help;restore' {
            break
        }
        'ocfail;help;history' {
            break
        }
        'ocfail;help;practice' {
            break
        }
        'ocfail;help;rollout' {
            break
        }
        'ocfail;help;rollback' {
            break
        }
        'ocfail;help;exporter' {
            break
        }
        'ocfail;help;monitoring' {
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json')
            break
        }
        'ocfail;help;monitoring;render' {
            break
        }
        'ocfail;help;demo' {
            break
        }
        'ocfail;help;sim' {
            break
        }
        'ocfail;help;completions' {
            break
        }
        'ocfail;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
