//! Where awsenv and the AWS tools keep their files, from the environment (XDG variables and
//! `AWS_*_FILE`) or the platform's defaults.

use std::path::{Path, PathBuf};

use super::env::{self, Env};

/// The home directory: `$HOME`, else the platform's.
pub fn home(e: &Env) -> PathBuf {
    e.get_os(env::HOME)
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
        .unwrap_or_default()
}

fn xdg(
    e: &Env,
    var: &str,
    fallback: fn() -> Option<PathBuf>,
    what: &str,
) -> Result<PathBuf, String> {
    e.get_os(var)
        .map(PathBuf::from)
        .or_else(fallback)
        .map(|d| d.join("awsenv"))
        .ok_or_else(|| format!("cannot find a {what} directory (set {var})"))
}

/// `$XDG_CACHE_HOME/awsenv`: cached sessions.
pub fn cache(e: &Env) -> Result<PathBuf, String> {
    xdg(e, env::XDG_CACHE_HOME, dirs::cache_dir, "cache")
}

/// `$XDG_DATA_HOME/awsenv`: the trust store and the key store.
pub fn data(e: &Env) -> Result<PathBuf, String> {
    xdg(e, env::XDG_DATA_HOME, dirs::data_dir, "data")
}

/// `$XDG_CONFIG_HOME/awsenv`: awsenv's own settings.
pub fn config(e: &Env) -> Result<PathBuf, String> {
    xdg(e, env::XDG_CONFIG_HOME, dirs::config_dir, "config")
}

/// `$AWS_CONFIG_FILE`, else `~/.aws/config`.
pub fn aws_config_file(e: &Env) -> PathBuf {
    aws_file(e, env::CONFIG_FILE, "config")
}

/// `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
pub fn aws_credentials_file(e: &Env) -> PathBuf {
    aws_file(e, env::SHARED_CREDENTIALS_FILE, "credentials")
}

/// `~/.aws/sso/cache`, where the AWS CLI keeps IAM Identity Center tokens.
pub fn sso_cache(e: &Env) -> PathBuf {
    home(e).join(".aws").join("sso").join("cache")
}

/// `$AWS_LOGIN_CACHE_DIRECTORY`, else `~/.aws/login/cache`: the AWS CLI's `aws login` sessions.
pub fn login_cache(e: &Env) -> PathBuf {
    aws_file(e, env::LOGIN_CACHE_DIRECTORY, "login/cache")
}

fn aws_file(e: &Env, var: &str, name: &str) -> PathBuf {
    match e.get_os(var) {
        Some(v) => expand_tilde(e, Path::new(v)),
        None => home(e).join(".aws").join(name),
    }
}

/// `~/x` as the SDKs expand it in `AWS_CONFIG_FILE`.
fn expand_tilde(e: &Env, path: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home(e).join(rest),
        Err(_) => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_from_the_environment() {
        let e = Env::default()
            .with(env::HOME, "/h")
            .with(env::CONFIG_FILE, "~/cfg")
            .with(env::XDG_CACHE_HOME, "/c");
        assert_eq!(aws_config_file(&e), Path::new("/h/cfg"));
        assert_eq!(aws_credentials_file(&e), Path::new("/h/.aws/credentials"));
        assert_eq!(cache(&e).unwrap(), Path::new("/c/awsenv"));
        assert_eq!(sso_cache(&e), Path::new("/h/.aws/sso/cache"));
        assert_eq!(login_cache(&e), Path::new("/h/.aws/login/cache"));
        let e = e.with(env::LOGIN_CACHE_DIRECTORY, "~/logins");
        assert_eq!(login_cache(&e), Path::new("/h/logins"));
    }
}
