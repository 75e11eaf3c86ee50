# awsenv shell integration for fish.
#
# - `awsenv use PROFILE` and `awsenv unset` change this shell directly (no eval to type);
#   every other subcommand runs the program as is.
# - Entering a directory tree whose `.awsprofile` you allowed (`awsenv allow`) loads that profile;
#   leaving it restores what the shell had before.
#
# Load it at the end of ~/.config/fish/config.fish with:
#   awsenv init fish | source
#
# Cost: the hook runs when $PWD changes and starts no process otherwise. fish has no clock
# builtin, so credentials about to expire are refreshed at the next directory change (or by
# `awsenv use`), not at a plain prompt.

# The awsenv program (`awsenv init fish` writes its full path here).
set -g __awsenv_bin awsenv

function awsenv --description 'AWS profiles for this shell (awsenv)'
    # Global flags before the subcommand (`awsenv --debug use prod`) are passed on, and the
    # subcommand is the word after them: `use` must never print its script to the terminal.
    set -l flags
    while test (count $argv) -gt 0; and test "$argv[1]" = --debug
        set -a flags $argv[1]
        set -e argv[1]
    end
    switch "$argv[1]"
        case use unset
            if contains -- -h $argv; or contains -- --help $argv
                command $__awsenv_bin $flags $argv
                return
            end
            command $__awsenv_bin $flags $argv[1] --shell fish $argv[2..-1] | source
            return $pipestatus[1]
        case allow deny
            command $__awsenv_bin $flags $argv; or return
            # Apply the new trust now rather than at the next directory change.
            set -g __awsenv_pwd $PWD
            __AWSENV_SAVED="$__awsenv_saved" command $__awsenv_bin hook fish --reload | source
        case '*'
            command $__awsenv_bin $flags $argv
    end
end

function __awsenv_hook --on-variable PWD --on-event fish_prompt
    set -l __awsenv_status $status
    if test "$PWD" = "$__awsenv_pwd"
        return $__awsenv_status
    end
    set -g __awsenv_pwd $PWD
    # Cleared before the call: if it fails or Ctrl-C cancels an MFA prompt, nothing asks again
    # until the next directory change.
    set -e __AWSENV_REFRESH_AT
    # What the shell had before a marker's profile stays in __awsenv_saved, a variable of this
    # shell that is never exported: only this one call of the hook gets it, in its environment.
    __AWSENV_SAVED="$__awsenv_saved" command $__awsenv_bin hook fish | source
    return $__awsenv_status
end
