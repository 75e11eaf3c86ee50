# awsenv shell integration for PowerShell.
#
# - `awsenv use PROFILE` and `awsenv unset` change this session directly;
#   every other subcommand runs the program as is.
# - Entering a directory tree whose `.awsprofile` you allowed (`awsenv allow`) loads that profile;
#   leaving it restores what the session had before.
#
# Load it at the end of $PROFILE with:
#   Invoke-Expression (& { (awsenv init powershell | Out-String) })
#
# Cost: the hook wraps the `prompt` function; when the location is unchanged and nothing is about
# to expire it compares in PowerShell and starts no process.

# The awsenv program (`awsenv init powershell` writes its full path here).
$global:__awsenv_bin = 'awsenv'
if ($global:__awsenv_bin -eq 'awsenv') {
    # Loaded from this file as is: find the program, not the `awsenv` function defined below.
    $global:__awsenv_bin = (Get-Command -Name 'awsenv' -CommandType Application -ErrorAction Stop |
        Select-Object -First 1).Source
}

function global:awsenv {
    # Global flags before the subcommand (`awsenv --debug use prod`) are passed on, and the
    # subcommand is the word after them: `use` must never print its script to the terminal.
    $flags = @()
    $words = @($args)
    while ($words.Count -gt 0 -and [string]$words[0] -eq '--debug') {
        $flags += $words[0]
        $words = @($words | Select-Object -Skip 1)
    }
    $sub = if ($words.Count -gt 0) { [string]$words[0] } else { '' }
    $rest = @($words | Select-Object -Skip 1)
    $help = ($args -contains '-h') -or ($args -contains '--help')
    if (($sub -eq 'use' -or $sub -eq 'unset') -and -not $help) {
        $out = & $global:__awsenv_bin @flags $sub --shell powershell @rest | Out-String
        if ($LASTEXITCODE -eq 0 -and $out) { Invoke-Expression $out }
    }
    elseif ($sub -eq 'allow' -or $sub -eq 'deny') {
        & $global:__awsenv_bin @args
        if ($LASTEXITCODE -eq 0) {
            # Apply the new trust now rather than at the next location change.
            $global:__awsenv_pwd = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath
            $out = __awsenv_call_hook '--reload'
            if ($out) { Invoke-Expression $out }
        }
    }
    else {
        & $global:__awsenv_bin @args
    }
}

# Runs `awsenv hook`. What the session had before a marker's profile stays in
# $global:__awsenv_saved, which child processes never see: only this one call gets it, in its
# environment, removed again right after.
function global:__awsenv_call_hook {
    $env:__AWSENV_SAVED = $global:__awsenv_saved
    try { & $global:__awsenv_bin hook powershell @args | Out-String }
    finally { Remove-Item -LiteralPath 'Env:__AWSENV_SAVED' -ErrorAction SilentlyContinue }
}

function global:__awsenv_hook {
    $here = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath
    if ($here -eq $global:__awsenv_pwd) {
        # Same location: only a due refresh calls the program.
        $at = $env:__AWSENV_REFRESH_AT -as [long]
        if (-not $at -or [DateTimeOffset]::UtcNow.ToUnixTimeSeconds() -lt $at) { return }
    }
    $global:__awsenv_pwd = $here
    # Cleared before the call: if it fails or Ctrl-C cancels an MFA prompt, the next prompts do
    # not ask again; the next location change does.
    Remove-Item -LiteralPath 'Env:__AWSENV_REFRESH_AT' -ErrorAction SilentlyContinue
    $out = __awsenv_call_hook
    if ($out) { Invoke-Expression $out }
}

# Wrap the existing prompt once, keeping $? and $LASTEXITCODE for it.
if (-not $global:__awsenv_prompt_wrapped) {
    $global:__awsenv_prompt_wrapped = $true
    $global:__awsenv_prev_prompt = $function:prompt
    function global:prompt {
        $ok = $?
        $code = $global:LASTEXITCODE
        __awsenv_hook
        $global:LASTEXITCODE = $code
        if (-not $ok) { Write-Error -Message '' -ErrorAction Ignore }
        if ($global:__awsenv_prev_prompt) { & $global:__awsenv_prev_prompt }
        else { "PS $($ExecutionContext.SessionState.Path.CurrentLocation)> " }
    }
}
