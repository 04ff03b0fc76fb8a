# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ocfail_global_optspecs
    string join \n f/fleet= o/output= junit= color= q/quiet v/verbose sim request-timeout= max-parallel= cloudflare-rps= h/help V/version
end

function __fish_ocfail_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ocfail_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ocfail_using_subcommand
    set -l cmd (__fish_ocfail_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ocfail -n "__fish_ocfail_needs_command" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_needs_command" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_needs_command" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_needs_command" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_needs_command" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_needs_command" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_needs_command" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_needs_command" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_needs_command" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_needs_command" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_needs_command" -s V -l version -d 'Print version'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "validate" -d 'Check the fleet manifest; with --live, also that everything it names exists and the credentials suffice'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "status" -d 'Show what serves traffic now, per region, and whether the fleet survives losing any one region'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "health" -d 'Show Cloudflare pool health per origin and check location, the monitor\'s timing budget, and direct probes'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "drill" -d 'Outage drill: take a region down, prove traffic fails over and comes back, restore everything'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "restore" -d 'Undo whatever an interrupted drill left, from the annotations it recorded on the clusters'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "history" -d 'Show the fleet\'s run history (drills, rollouts, rollbacks, restores, practice), newest first'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "practice" -d 'Run a practice drill when one is due (for a CronJob every few minutes): the region practised longest ago, inside the manifest\'s windows'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "rollout" -d 'Blue-green rollout of a new image, region by region in the manifest\'s waves, with smoke checks and automatic rollback'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "rollback" -d 'Switch the live Service back to the previous colour (scaling it up first if it is not warm)'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "exporter" -d 'Serve Prometheus metrics of the fleet (/metrics, /healthz), refreshed on an interval within the Cloudflare budget'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "monitoring" -d 'Prometheus scrape config, alert rules and a Grafana dashboard for the exporter, from the manifest'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "demo" -d 'The whole job on a simulator in this process: status, health, a drill, a rollout, status (about a minute)'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "sim" -d 'Run the simulator (Kubernetes and Cloudflare APIs on loopback) until Ctrl-C'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c ocfail -n "__fish_ocfail_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -l live -d 'Also check the clusters and Cloudflare: contexts, objects, pools, LB, monitors, permissions'
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -l interval -d 'Time between refreshes with --watch' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -l watch -d 'Keep refreshing until Ctrl-C'
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -l preview -d 'Also run Cloudflare\'s monitor preview: would the monitor notice a region going down?'
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l region -d 'The region to take down' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l hold -d 'Keep it down this long once failover is confirmed [default: the manifest\'s drill.hold]' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l method -d 'How to inject the outage [default: the manifest\'s drill.method]' -r -f -a "scale-to-zero\t'Scale the live Deployment to zero replicas'
disable-pool\t'Set the region\'s pool enabled=false'"
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l override -d 'Pass a safety rule (repeatable; each needs a --reason, in the same order)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l reason -d 'Why the matching --override is safe (recorded in the report)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l dry-run -d 'Check and print the plan; change nothing'
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand drill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -l region -d 'Only this region [default: every region]' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -l timeout -d 'Keep retrying API errors this long before saying exactly what is left (exit 6)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -l region -d 'Only runs that concerned this region [default: every region]' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -l limit -d 'At most this many runs' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -l now -d 'Drill the next region now, regardless of windows, blocked dates and "not due" (recorded as forced)'
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -l dry-run -d 'Say what it would do and why; change nothing'
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand practice" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l image -d 'The image to roll out, with a tag or digest, e.g. registry.example/openclaw-api:1.5.0' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l regions -d 'Only these regions (comma-separated), in their waves [default: every region]' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l override -d 'Pass a Prometheus guard or blocking alert, as guard:<name> (repeatable; each needs a --reason, in the same order)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l reason -d 'Why the matching --override is safe (recorded in the report)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l dry-run -d 'Print the plan per wave; change nothing'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l keep-previous -d 'Keep the previous colour\'s replicas after success (instant rollback, double capacity)'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -l region -d 'Only this region [default: every region, latest wave first]' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -l dry-run -d 'Print what would change; change nothing'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -l listen -d 'Address to listen on (port 0: any free port, printed at start)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -l interval -d 'Time between refreshes' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand exporter" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -f -a "render" -d 'Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and not __fish_seen_subcommand_from render help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l out -d 'The directory to write (created if missing)' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l exporter -d 'Where Prometheus reaches the exporter' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l interval -d 'Scrape interval (the exporter\'s --interval)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l app-metrics -d 'Also scrape each region\'s app (/metrics beside its probe URL: requests by code, latency)'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from render" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from help" -f -a "render" -d 'Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json'
complete -c ocfail -n "__fish_ocfail_using_subcommand monitoring; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l out -d 'Write DIR/kubeconfig and DIR/fleet.yaml (every URL pointed at the simulator) here' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l kube-port -d 'Port of the first region\'s Kubernetes API; later regions use the next ports [default: any free port]' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l cloudflare-port -d 'Port of the Cloudflare API [default: any free port]' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l lb-port -d 'Port of the load balancer hostname [default: any free port]' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l admin-port -d 'Port of the /_sim/ admin API [default: any free port]' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l monitor-interval -d 'Cloudflare monitor check interval' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l monitor-timeout -d 'Cloudflare monitor probe timeout' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l monitor-retries -d 'Immediate retries of a timed-out probe' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l consecutive-down -d 'Failed checks in a row before an origin turns unhealthy' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l consecutive-up -d 'Passed checks in a row before an origin turns healthy' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l rollout-delay -d 'How long a Deployment takes to reach its new spec' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l kube-latency -d 'Add latency to a region\'s Kubernetes API (repeatable)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l kube-error-rate -d 'Answer this fraction (0.05 or 5%) of a region\'s Kubernetes API requests with 503 (repeatable)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l kube-write-error-rate -d 'Answer this fraction (0.05 or 5%) of a region\'s Kubernetes API writes with 503, reads still succeed (repeatable)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l kube-pending-pods -d 'New pods in a region stay Pending, as when its nodes are full (repeatable)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l kube-refuse -d 'Refuse connections to a region\'s Kubernetes API (repeatable)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l kube-hang -d 'Accept but never answer a region\'s Kubernetes API requests (repeatable)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l origin-unreachable -d 'Make a region\'s origin unreachable from Cloudflare\'s edge: LB requests routed there get 521 (or the STATUS given: 522, 523) and its monitor probes fail (repeatable)' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l cloudflare-latency -d 'Add latency to every Cloudflare API response' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l cloudflare-error-rate -d 'Answer this fraction (0.05 or 5%) of Cloudflare API requests with 500' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l cloudflare-429 -d 'Answer the next N Cloudflare API requests with 429' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l retry-after -d 'Retry-After seconds sent with those 429s' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l failover-across-pools -d 'Seed the load balancer with adaptive_routing.failover_across_pools on: a request whose origin is unreachable is retried once on the next pool'
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand sim" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -s f -l fleet -d 'Fleet manifest [default: ./fleet.yaml]' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -s o -l output -d 'Report format on stdout' -r -f -a "human\t'A table per region and a verdict line'
json\t'One JSON document (schema ocfail.dev/report/v1)'
jsonl\t'JSON Lines: one event per line, the report last'"
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -l junit -d 'Also write a JUnit XML report to PATH' -r -F
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -l color -d 'When to colour output (NO_COLOR is honoured with `auto`)' -r -f -a "auto\t'Colour when writing to a terminal and NO_COLOR is unset'
always\t'Always colour'
never\t'Never colour'"
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -l request-timeout -d 'Deadline for every single API request' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -l max-parallel -d 'Regions queried at once' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -l cloudflare-rps -d 'Cloudflare API requests per second, for the whole process' -r
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -s q -l quiet -d 'Print only the report and errors'
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -s v -l verbose -d 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -l sim -d 'Run against an in-process simulator mirroring the fleet (no cluster or Cloudflare account needed)'
complete -c ocfail -n "__fish_ocfail_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "validate" -d 'Check the fleet manifest; with --live, also that everything it names exists and the credentials suffice'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "status" -d 'Show what serves traffic now, per region, and whether the fleet survives losing any one region'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "health" -d 'Show Cloudflare pool health per origin and check location, the monitor\'s timing budget, and direct probes'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "drill" -d 'Outage drill: take a region down, prove traffic fails over and comes back, restore everything'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "restore" -d 'Undo whatever an interrupted drill left, from the annotations it recorded on the clusters'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "history" -d 'Show the fleet\'s run history (drills, rollouts, rollbacks, restores, practice), newest first'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "practice" -d 'Run a practice drill when one is due (for a CronJob every few minutes): the region practised longest ago, inside the manifest\'s windows'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "rollout" -d 'Blue-green rollout of a new image, region by region in the manifest\'s waves, with smoke checks and automatic rollback'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "rollback" -d 'Switch the live Service back to the previous colour (scaling it up first if it is not warm)'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "exporter" -d 'Serve Prometheus metrics of the fleet (/metrics, /healthz), refreshed on an interval within the Cloudflare budget'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "monitoring" -d 'Prometheus scrape config, alert rules and a Grafana dashboard for the exporter, from the manifest'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "demo" -d 'The whole job on a simulator in this process: status, health, a drill, a rollout, status (about a minute)'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "sim" -d 'Run the simulator (Kubernetes and Cloudflare APIs on loopback) until Ctrl-C'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and not __fish_seen_subcommand_from validate status health drill restore history practice rollout rollback exporter monitoring demo sim completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocfail -n "__fish_ocfail_using_subcommand help; and __fish_seen_subcommand_from monitoring" -f -a "render" -d 'Write DIR/prometheus-scrape.yaml, DIR/alert-rules.yaml and DIR/grafana-dashboard.json'
