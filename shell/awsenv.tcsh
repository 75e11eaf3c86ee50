# awsenv shell integration for tcsh.
#
# - `awsenv use PROFILE` and `awsenv unset` change this shell directly (no eval to type);
#   every other subcommand runs the program as is.
# - Entering a directory tree whose `.awsprofile` you allowed (`awsenv allow`) loads that profile;
#   leaving it restores what the shell had before.
#
# Load it at the end of ~/.tcshrc with:
#   eval "`awsenv init tcsh`"
#
# tcsh has no functions: the integration is aliases, and the hook runs from `precmd`. `eval`
# receives this whole text as one line, so every command ends with `;`, `awsenv init tcsh` drops
# these comment lines, and each alias is a one-liner.
#
# Cost: at a prompt where $cwd is unchanged, the hook compares two strings in the shell and
# starts no process. tcsh has no clock to compare a refresh time with: the hook's output
# schedules (`sched`) a reset of __awsenv_pwd at that time, so the first prompt after it calls
# the hook, which refreshes.

# The awsenv program (`awsenv init tcsh` writes its full path here).
set __awsenv_bin = 'awsenv';

# `awsenv ARGS`: global flags before the subcommand (`awsenv --debug use prod`) in __awsenv_g,
# passed on; the words after them in __awsenv_a, the first (or '') in __awsenv_f[1], the
# subcommand (`use` must never print its script to the terminal); then one of the
# __awsenv_do_* aliases by name. Help text is for people, not for eval.
alias awsenv 'set __awsenv_a = (\!*) ; set __awsenv_g = () ; set __awsenv_f = ($__awsenv_a:q "") ; if ("$__awsenv_f[1]" == --debug) eval __awsenv_flag ; set __awsenv_m = run ; if ("$__awsenv_f[1]" == use || "$__awsenv_f[1]" == unset) set __awsenv_m = eval ; if ("$__awsenv_f[1]" == allow || "$__awsenv_f[1]" == deny) set __awsenv_m = allow ; if (" $__awsenv_a " =~ *" -h "* || " $__awsenv_a " =~ *" --help "*) set __awsenv_m = run ; eval __awsenv_do_$__awsenv_m';
# One leading flag moved to __awsenv_g, and again while the next word is one (tcsh has no loop
# in an alias: it calls itself through eval).
alias __awsenv_flag 'set __awsenv_g = ($__awsenv_g:q --debug) ; shift __awsenv_a ; set __awsenv_f = ($__awsenv_a:q "") ; if ("$__awsenv_f[1]" == --debug) eval __awsenv_flag';
alias __awsenv_do_run '$__awsenv_bin:q $__awsenv_g:q $__awsenv_a:q';
# The text inside `"`…`"` is expanded by this shell and then parsed again by the subshell that
# runs it, so it names an alias and holds no variable: the subshell expands the variables, once.
# On a failure awsenv prints nothing, and `false` passes the failure on to $status.
alias __awsenv_do_eval 'eval "`__awsenv_call_use`"';
alias __awsenv_call_use '$__awsenv_bin:q $__awsenv_g:q $__awsenv_f[1]:q --shell tcsh $__awsenv_a[2-]:q || echo false';
# Apply the new trust now rather than at the next directory change.
alias __awsenv_do_allow '$__awsenv_bin:q $__awsenv_g:q $__awsenv_a:q && __awsenv_load --reload';

# The hook: only a changed directory calls the program.
set __awsenv_pwd = '';
alias __awsenv_hook 'if ("$cwd" != "$__awsenv_pwd") eval __awsenv_load';
alias __awsenv_load 'set __awsenv_pwd = "$cwd" ; unsetenv __AWSENV_REFRESH_AT ; eval "`__awsenv_call_hook \!*`"';
# What the shell had before a marker's profile stays in __awsenv_saved, a variable of this shell
# that is never exported: only the subshell that runs the hook puts it in the hook's environment.
alias __awsenv_call_hook 'if (! $?__awsenv_saved) set __awsenv_saved = "" ; setenv __AWSENV_SAVED $__awsenv_saved:q ; $__awsenv_bin:q hook tcsh \!*';

# Run first at each prompt, once, before what precmd did already.
if ("`alias precmd`" !~ *__awsenv_hook*) alias precmd "__awsenv_hook ; `alias precmd`";
