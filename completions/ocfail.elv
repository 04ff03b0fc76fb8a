
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
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand validate 'Check the fleet manifest (offline: nothing is contacted)'
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
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
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
            cand -q 'Print only the report and errors'
            cand --quiet 'Print only the report and errors'
            cand -v 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand --verbose 'More detail: per-check lines, then debug logs (repeat; RUST_LOG also works)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ocfail;help'= {
            cand validate 'Check the fleet manifest (offline: nothing is contacted)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocfail;help;validate'= {
        }
        &'ocfail;help;completions'= {
        }
        &'ocfail;help;help'= {
        }
    ]
    $completions[$command]
}
