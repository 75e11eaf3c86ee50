# awsenv shell integration for xonsh.
#
# - `awsenv use PROFILE` and `awsenv unset` change this shell directly (no eval to type);
#   every other subcommand runs the program as is.
# - Entering a directory tree whose `.awsprofile` you allowed (`awsenv allow`) loads that profile;
#   leaving it restores what the shell had before.
#
# Load it at the end of ~/.xonshrc with:
#   execx($(awsenv init xonsh))
#
# Cost: at a prompt where $PWD is unchanged and nothing is about to expire, the hook compares two
# strings and a number in Python and starts no process.

import subprocess as _awsenv_subprocess
import time as _awsenv_time

# The awsenv program (`awsenv init xonsh` writes its full path here).
_awsenv_bin = 'awsenv'

# What the hook saved before loading a marker's profile: a variable of this shell only. xonsh
# exports every environment variable it can detype; this one's detyper returns None, so no child
# sees it. `awsenv hook` gets it in its environment alone, as __AWSENV_SAVED.
${...}.register('__awsenv_saved', validate=lambda v: isinstance(v, str), convert=None, detype=lambda v: None)

# The directory the hook last ran in.
_awsenv_last = {'pwd': None}


def _awsenv_env(saved=False):
    env = dict(__xonsh__.env.detype())
    if saved:
        env['__AWSENV_SAVED'] = ${...}.get('__awsenv_saved') or ''
    return env


def _awsenv_eval(args, saved=False):
    """Runs awsenv ARGS and, when it succeeds, runs the xonsh code it prints (nothing else is on
    its stdout; messages go to stderr, prompts to the terminal)."""
    try:
        p = _awsenv_subprocess.run([_awsenv_bin, *args], stdout=_awsenv_subprocess.PIPE, env=_awsenv_env(saved))
    except KeyboardInterrupt:
        return 130
    if p.returncode == 0:
        execx(p.stdout.decode('utf-8'))
    return p.returncode


def _awsenv_wants_help(args):
    for a in args:
        if a in ('-h', '--help'):
            return True
        if a == '--':
            return False
    return False


def _awsenv_alias(args, stdin=None, stdout=None, stderr=None):
    # Global flags before the subcommand (`awsenv --debug use prod`) are passed on, and the
    # subcommand is the word after them: `use` must never print its script to the terminal.
    n = 0
    while n < len(args) and args[n] == '--debug':
        n += 1
    flags, args = list(args[:n]), list(args[n:])
    if args and args[0] in ('use', 'unset') and not _awsenv_wants_help(args):
        return _awsenv_eval([*flags, args[0], '--shell', 'xonsh', *args[1:]])
    p = _awsenv_subprocess.run([_awsenv_bin, *flags, *args], stdin=stdin, stdout=stdout, stderr=stderr, env=_awsenv_env())
    if p.returncode or not args or args[0] not in ('allow', 'deny'):
        return p.returncode
    # Apply the new trust now rather than at the next directory change.
    _awsenv_last['pwd'] = ${...}.get('PWD')
    return _awsenv_eval(['hook', 'xonsh', '--reload'], saved=True)


aliases['awsenv'] = _awsenv_alias


def _awsenv_due():
    """A refresh time has come (the clock is Python's; a plain decimal number only)."""
    at = ${...}.get('__AWSENV_REFRESH_AT') or ''
    return at.isascii() and at.isdigit() and len(at) < 19 and int(at) <= _awsenv_time.time()


def _awsenv_hook(**_):
    pwd = ${...}.get('PWD')
    if pwd == _awsenv_last['pwd'] and not _awsenv_due():
        return
    _awsenv_last['pwd'] = pwd
    # Cleared before the call: if it fails or Ctrl-C cancels an MFA prompt, the next prompts do
    # not ask again; the next directory change does.
    if '__AWSENV_REFRESH_AT' in ${...}:
        del $__AWSENV_REFRESH_AT
    _awsenv_eval(['hook', 'xonsh'], saved=True)


# At each prompt, before it is drawn (so a prompt that shows the profile shows the new one):
# on_pre_prompt_format; on_pre_prompt too, for xonsh versions without that event (where both
# exist, the second call finds the directory unchanged and returns). Loading this twice
# replaces the earlier hooks.
for _awsenv_event in (events.on_pre_prompt_format, events.on_pre_prompt):
    for _awsenv_f in [f for f in _awsenv_event if getattr(f, '__name__', '') == '_awsenv_hook']:
        _awsenv_event.discard(_awsenv_f)
    _awsenv_event(_awsenv_hook)
