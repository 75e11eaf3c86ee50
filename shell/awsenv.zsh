# awsenv shell integration for zsh.
#
# - `awsenv use PROFILE` and `awsenv unset` change this shell directly (no eval to type);
#   every other subcommand runs the program as is.
# - Entering a directory tree whose `.awsprofile` you allowed (`awsenv allow`) loads that profile;
#   leaving it restores what the shell had before.
#
# Load it at the end of ~/.zshrc with:
#   eval "$(awsenv init zsh)"
#
# Cost: at a prompt where $PWD is unchanged and nothing is about to expire, the hook compares two
# strings and a number in the shell and starts no process.

# The awsenv program (`awsenv init zsh` writes its full path here).
__awsenv_bin='awsenv'

# $EPOCHSECONDS: a clock without starting a process.
zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

awsenv() {
  local __awsenv_out
  # Global flags before the subcommand (`awsenv --debug use prod`) are passed on, and the
  # subcommand is the word after them: `use` must never print its script to the terminal.
  local -a __awsenv_flags
  __awsenv_flags=()
  while [[ ${1-} == --debug ]]; do
    __awsenv_flags+=("$1")
    shift
  done
  case "${1-}" in
    use | unset)
      if __awsenv_wants_help "$@"; then
        command "$__awsenv_bin" "${__awsenv_flags[@]}" "$@"
        return
      fi
      __awsenv_out="$(command "$__awsenv_bin" "${__awsenv_flags[@]}" "$1" --shell zsh "${@:2}")" || return
      eval "$__awsenv_out"
      ;;
    allow | deny)
      command "$__awsenv_bin" "${__awsenv_flags[@]}" "$@" || return
      # Apply the new trust now rather than at the next directory change.
      __awsenv_pwd=$PWD
      __awsenv_out="$(__AWSENV_SAVED=${__awsenv_saved-} command "$__awsenv_bin" hook zsh --reload)" || return
      eval "$__awsenv_out"
      ;;
    *)
      command "$__awsenv_bin" "${__awsenv_flags[@]}" "$@"
      ;;
  esac
}

# True when the arguments ask for help: that text is for people, not for eval.
__awsenv_wants_help() {
  local a
  for a in "$@"; do
    case $a in
      -h | --help) return 0 ;;
      --) return 1 ;;
    esac
  done
  return 1
}

__awsenv_hook() {
  local __awsenv_status=$? __awsenv_out
  if [[ $PWD == "${__awsenv_pwd-}" ]]; then
    # Same directory: only a due refresh calls the program.
    [[ ${__AWSENV_REFRESH_AT-} == <-> ]] || return $__awsenv_status
    (( ${EPOCHSECONDS:-0} >= __AWSENV_REFRESH_AT )) || return $__awsenv_status
  fi
  __awsenv_pwd=$PWD
  # Cleared before the call: if it fails or Ctrl-C cancels an MFA prompt, the next prompts do not
  # ask again; the next directory change does.
  unset __AWSENV_REFRESH_AT
  # What the shell had before a marker's profile stays in __awsenv_saved, a variable of this
  # shell that is never exported: only this one call of the hook gets it, in its environment.
  __awsenv_out="$(__AWSENV_SAVED=${__awsenv_saved-} command "$__awsenv_bin" hook zsh)" &&
    eval "$__awsenv_out"
  return $__awsenv_status
}

# At each prompt and right after each cd, once each, before the user's own hooks.
typeset -ga precmd_functions chpwd_functions
(( ${precmd_functions[(I)__awsenv_hook]} )) || precmd_functions=(__awsenv_hook $precmd_functions)
(( ${chpwd_functions[(I)__awsenv_hook]} )) || chpwd_functions=(__awsenv_hook $chpwd_functions)
