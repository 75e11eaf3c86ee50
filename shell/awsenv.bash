# shellcheck shell=bash
# awsenv shell integration for bash.
#
# - `awsenv use PROFILE` and `awsenv unset` change this shell directly (no eval to type);
#   every other subcommand runs the program as is.
# - Entering a directory tree whose `.awsprofile` you allowed (`awsenv allow`) loads that profile;
#   leaving it restores what the shell had before.
#
# Load it at the end of ~/.bashrc with:
#   eval "$(awsenv init bash)"
#
# Cost: at a prompt where $PWD is unchanged and nothing is about to expire, the hook compares two
# strings and a number in the shell and starts no process.

# The awsenv program (`awsenv init bash` writes its full path here).
__awsenv_bin='awsenv'

awsenv() {
  local __awsenv_out
  # Global flags before the subcommand (`awsenv --debug use prod`) are passed on, and the
  # subcommand is the word after them: `use` must never print its script to the terminal.
  local -a __awsenv_flags=()
  while [[ ${1-} == --debug ]]; do
    __awsenv_flags+=("$1")
    shift
  done
  case "${1-}" in
    use | unset)
      if __awsenv_wants_help "$@"; then
        command "${__awsenv_bin}" "${__awsenv_flags[@]}" "$@"
        return
      fi
      __awsenv_out="$(command "${__awsenv_bin}" "${__awsenv_flags[@]}" "$1" --shell bash "${@:2}")" || return
      eval "${__awsenv_out}"
      ;;
    allow | deny)
      command "${__awsenv_bin}" "${__awsenv_flags[@]}" "$@" || return
      # Apply the new trust now rather than at the next directory change.
      __awsenv_pwd=${PWD}
      __awsenv_out="$(__AWSENV_SAVED=${__awsenv_saved-} command "${__awsenv_bin}" hook bash --reload)" || return
      eval "${__awsenv_out}"
      ;;
    *)
      command "${__awsenv_bin}" "${__awsenv_flags[@]}" "$@"
      ;;
  esac
}

# True when the arguments ask for help: that text is for people, not for eval.
__awsenv_wants_help() {
  local a
  for a in "$@"; do
    case ${a} in
      -h | --help) return 0 ;;
      --) return 1 ;;
      *) ;;
    esac
  done
  return 1
}

__awsenv_hook() {
  local __awsenv_status=$? __awsenv_now __awsenv_out
  if [[ ${PWD} == "${__awsenv_pwd-}" ]]; then
    # Same directory: only a due refresh calls the program. The clock is bash's own.
    # A plain decimal number only: `08` would be octal to (( )) and fail at every prompt.
    [[ ${__AWSENV_REFRESH_AT-} =~ ^[1-9][0-9]{0,17}$ ]] || return "${__awsenv_status}"
    printf -v __awsenv_now '%(%s)T' -1
    ((__awsenv_now >= __AWSENV_REFRESH_AT)) || return "${__awsenv_status}"
  fi
  __awsenv_pwd=${PWD}
  # Cleared before the call: if it fails or Ctrl-C cancels an MFA prompt, the next prompts do not
  # ask again; the next directory change does.
  unset __AWSENV_REFRESH_AT
  # What the shell had before a marker's profile stays in __awsenv_saved, a variable of this
  # shell that is never exported: only this one call of the hook gets it, in its environment.
  __awsenv_out="$(__AWSENV_SAVED=${__awsenv_saved-} command "${__awsenv_bin}" hook bash)" &&
    eval "${__awsenv_out}"
  return "${__awsenv_status}"
}

# Run first at each prompt (keeping $? for what follows), once, in either form of PROMPT_COMMAND.
if [[ -v PROMPT_COMMAND && ${PROMPT_COMMAND@a} == *a* ]]; then
  if [[ " ${PROMPT_COMMAND[*]} " != *" __awsenv_hook "* ]]; then
    PROMPT_COMMAND=(__awsenv_hook "${PROMPT_COMMAND[@]}")
  fi
elif [[ ${PROMPT_COMMAND-} != *__awsenv_hook* ]]; then
  # The string form: here PROMPT_COMMAND is not an array, whatever the branch above suggests.
  # shellcheck disable=SC2178,SC2128
  PROMPT_COMMAND="__awsenv_hook${PROMPT_COMMAND:+;${PROMPT_COMMAND}}"
fi
