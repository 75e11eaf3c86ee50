# awsenv shell integration for elvish.
#
# - `awsenv use PROFILE` and `awsenv unset` change this shell directly; every other subcommand
#   runs the program as is.
# - Entering a directory tree whose `.awsprofile` you allowed (`awsenv allow`) loads that profile;
#   leaving it restores what the shell had before.
#
# Load it at the end of ~/.config/elvish/rc.elv with:
#   eval (awsenv init elvish | slurp)
#
# Cost: the hook compares $pwd with the last one before each prompt and starts no process when
# it is unchanged. Elvish has no clock builtin, so credentials about to expire are refreshed at
# the next directory change (or by `awsenv use`), not at a plain prompt.

use str

# The awsenv program (`awsenv init elvish` writes its full path here).
var __awsenv_bin = 'awsenv'

# What the shell had before a marker's profile (JSON from `awsenv hook`). A variable of this
# shell, never exported: only the hook's own call gets it, in its environment.
var __awsenv_saved = ''
var __awsenv_pwd = ''

# Runs awsenv's script (`set-env`/`unset-env` lines, values in single quotes) in a namespace
# holding only the saved values, and keeps what it sets there.
fn __awsenv_eval {|code|
  eval $code &ns=(ns [&__awsenv_saved=$__awsenv_saved]) &on-end={|n|
    set __awsenv_saved = $n[__awsenv_saved]
  }
}

fn __awsenv_run_hook {|@flags|
  var out = ''
  try {
    tmp E:__AWSENV_SAVED = $__awsenv_saved
    set out = ((external $__awsenv_bin) hook elvish $@flags | slurp)
  } catch {
    # The message is on stderr already; the state recorded before stays.
    set out = ''
  }
  __awsenv_eval $out
}

fn awsenv {|@args|
  # Global flags before the subcommand (`awsenv --debug use prod`) are passed on, and the
  # subcommand is the word after them: `use` must never print its script to the terminal.
  var flags = []
  var rest = $args
  while (and (> (count $rest) 0) (eq $rest[0] --debug)) {
    set flags = [$@flags $rest[0]]
    set rest = $rest[1..]
  }
  var sub = ''
  if (> (count $rest) 0) {
    set sub = $rest[0]
  }
  # Help is text for people, not a script.
  var help = $false
  for a $rest {
    if (eq $a --) {
      break
    }
    if (has-value [-h --help] $a) {
      set help = $true
    }
  }
  if (and (has-value [use unset] $sub) (not $help)) {
    var after = $rest[1..]
    __awsenv_eval ((external $__awsenv_bin) $@flags $sub --shell elvish $@after | slurp)
  } elif (and (has-value [allow deny] $sub) (not $help)) {
    (external $__awsenv_bin) $@args
    # Apply the new trust now rather than at the next directory change.
    set __awsenv_pwd = $pwd
    __awsenv_run_hook --reload
  } else {
    (external $__awsenv_bin) $@args
  }
}

fn __awsenv_hook {
  if (!=s $pwd $__awsenv_pwd) {
    set __awsenv_pwd = $pwd
    unset-env __AWSENV_REFRESH_AT
    __awsenv_run_hook
  }
}

# The command, for the REPL (code run by `eval` keeps its own names to itself).
edit:add-var awsenv~ $awsenv~
# First before each prompt, once: loading this again replaces the hook it installed before.
set edit:before-readline = [$__awsenv_hook~ (each {|h|
  if (not (and (has-key $h def) (str:contains $h[def] __awsenv_run_hook))) {
    put $h
  }
} $edit:before-readline)]
