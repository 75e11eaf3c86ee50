# awsenv shell integration for nushell.
#
# - `awsenv use PROFILE` and `awsenv unset` change this shell directly; every other subcommand
#   runs the program as is. Tab completes subcommands, flags and profile names.
# - Entering a directory tree whose `.awsprofile` you allowed (`awsenv allow`) loads that profile;
#   leaving it restores what the shell had before.
#
# Nushell cannot evaluate text, and `source` needs a file known before the config runs, so write
# this file once and source it at the end of config.nu:
#   awsenv init nu | save -f ~/.awsenv.nu
#   source ~/.awsenv.nu
#
# awsenv answers `use`, `unset` and the hook with a JSON record that `__awsenv_apply` applies
# with `load-env`/`hide-env`: values are data, never code.
#
# Cost: at a prompt where $env.PWD is unchanged and nothing is about to expire, the hook compares
# two strings and a number in the shell and starts no process.

# The awsenv program (`awsenv init nu` writes its full path here).
const __awsenv_bin = "awsenv"

# Applies awsenv's record: `set`/`unset` are exported variables; `local`/`unset_local` are kept
# as one-item lists, which nushell never passes to the programs it starts.
def --env __awsenv_apply [out: string] {
    if ($out | str trim | is-empty) { return }
    let c = ($out | from json)
    hide-env -i ...$c.unset
    load-env $c.set
    for name in ($c.local | columns) {
        load-env {$name: [($c.local | get $name)]}
    }
    hide-env -i ...$c.unset_local
}

# The text of a local (see above), or "".
def __awsenv_local [value: any] {
    $value | default [""] | get -o 0 | default ""
}

# Runs `awsenv hook nu` with what the hook saved, and applies its answer.
def --env __awsenv_run_hook [--reload] {
    let flags = if $reload { ["--reload"] } else { [] }
    let saved = (__awsenv_local $env.__awsenv_saved?)
    # Only this call gets the saved values, in its own environment.
    let out = try {
        with-env {__AWSENV_SAVED: $saved} { ^$__awsenv_bin hook nu ...$flags }
    } catch {
        return
    }
    __awsenv_apply $out
}

# Tab completion: `__awsenv_complete` comes with `awsenv completions nu`, appended below.
@complete __awsenv_complete
def --env --wrapped awsenv [...args: string] {
    # Global flags before the subcommand (`awsenv --debug use prod`) are passed on, and the
    # subcommand is the word after them: `use` must never print its script to the terminal.
    let flags = ($args | take while {|a| $a == "--debug" })
    let rest = ($args | skip ($flags | length))
    let sub = ($rest | get -o 0 | default "")
    let help = ($rest | take until {|a| $a == "--" } | any {|a| $a in ["-h" "--help"] })
    if $sub in ["use" "unset"] and not $help {
        let out = try {
            ^$__awsenv_bin ...$flags $sub --shell nu ...($rest | skip 1)
        } catch {
            return
        }
        __awsenv_apply $out
    } else if $sub in ["allow" "deny"] and not $help {
        try { ^$__awsenv_bin ...$args } catch { return }
        # Apply the new trust now rather than at the next directory change.
        $env.__awsenv_pwd = [$env.PWD]
        __awsenv_run_hook --reload
    } else {
        ^$__awsenv_bin ...$args
    }
}

def --env __awsenv_hook [] {
    if $env.PWD == (__awsenv_local $env.__awsenv_pwd?) {
        # Same directory: only a due refresh calls the program. The clock is nushell's own.
        let at = ($env.__AWSENV_REFRESH_AT? | default "")
        if not ($at =~ '^[1-9][0-9]{0,17}$') { return }
        if ((date now | into int) // 1_000_000_000) < ($at | into int) { return }
    }
    $env.__awsenv_pwd = [$env.PWD]
    # Cleared before the call: if it fails or Ctrl-C cancels an MFA prompt, the next prompts do
    # not ask again; the next directory change does.
    hide-env -i __AWSENV_REFRESH_AT
    __awsenv_run_hook
}

# First at each prompt, once.
$env.config = ($env.config | upsert hooks.pre_prompt {|config|
    let hooks = ($config.hooks?.pre_prompt? | default [])
    if ($hooks | any {|h| ($h | describe) == "closure" and (view source $h) =~ "__awsenv_hook" }) {
        $hooks
    } else {
        [{|| __awsenv_hook }] ++ $hooks
    }
})
