//! The settings that say how to reach AWS (see [`crate::aws::reach`]), read as botocore's
//! config store reads them: the environment variable, else the profile's key.

use std::path::PathBuf;

use anyhow::{anyhow, Result};

use super::{Files, Profile};
use crate::aws::reach::{Proxies, Reach, Retry, RetryMode, Variants};
use crate::os::env::Env;

pub const USE_FIPS_ENDPOINT: (&str, &str) = ("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint");
pub const USE_DUALSTACK_ENDPOINT: (&str, &str) =
    ("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint");
pub const STS_REGIONAL_ENDPOINTS: (&str, &str) =
    ("AWS_STS_REGIONAL_ENDPOINTS", "sts_regional_endpoints");
pub const RETRY_MODE: (&str, &str) = ("AWS_RETRY_MODE", "retry_mode");
pub const MAX_ATTEMPTS: (&str, &str) = ("AWS_MAX_ATTEMPTS", "max_attempts");
pub const CA_BUNDLE: (&str, &str) = ("AWS_CA_BUNDLE", "ca_bundle");

/// How `profile` reaches AWS (None: no profile, the environment alone). A value botocore
/// refuses is an error naming the variable or the file and line.
pub fn reach(files: Option<&Files>, profile: Option<&Profile>, env: &Env) -> Result<Reach> {
    let setting = |(var, key): (&'static str, &'static str)| -> Option<(String, String)> {
        // Set, even empty, the variable wins (botocore's environment provider).
        if env.is_set(var) {
            return Some((
                env.get(var).unwrap_or_default().to_string(),
                var.to_string(),
            ));
        }
        let p = profile?;
        let v = p.get(key)?;
        let at = match files {
            Some(f) => format!("{key} in {}", f.location(p, key)),
            None => key.to_string(),
        };
        Some((v.to_string(), at))
    };
    // botocore's `ensure_boolean`: `true` in any case is true, anything else false.
    let flag = |s| setting(s).is_some_and(|(v, _)| v.eq_ignore_ascii_case("true"));
    let bad = |what: &str, value: &str, at: &str| {
        let name = profile.map_or_else(String::new, |p| format!("profile `{}`: ", p.name));
        anyhow!(
            "{name}{at}: `{}` is not {what}",
            crate::os::text::inert(value)
        )
    };
    let sts_legacy = match setting(STS_REGIONAL_ENDPOINTS) {
        None => false,
        Some((v, _)) if v == "regional" => false,
        Some((v, _)) if v == "legacy" => true,
        Some((v, at)) => return Err(bad("`legacy` or `regional`", &v, &at)),
    };
    let mode = match setting(RETRY_MODE) {
        None => RetryMode::default(),
        Some((v, at)) => match v.as_str() {
            "legacy" => RetryMode::Legacy,
            "standard" => RetryMode::Standard,
            "adaptive" => RetryMode::Adaptive,
            _ => return Err(bad("`legacy`, `standard` or `adaptive`", &v, &at)),
        },
    };
    let max_attempts = match setting(MAX_ATTEMPTS) {
        None => None,
        Some((v, at)) => match v.trim().parse::<u32>() {
            Ok(n) if n >= 1 => Some(n),
            _ => return Err(bad("a number of attempts (1 or more)", &v, &at)),
        },
    };
    let ca_bundle = setting(CA_BUNDLE)
        .filter(|(v, _)| !v.is_empty())
        .map(|(v, _)| expand_home(&v, env));
    Ok(Reach {
        variants: Variants {
            fips: flag(USE_FIPS_ENDPOINT),
            dual_stack: flag(USE_DUALSTACK_ENDPOINT),
        },
        sts_legacy,
        retry: Retry { mode, max_attempts },
        proxies: proxies(env),
        ca_bundle,
    })
}

/// The proxy variables as Python's `getproxies_environment` reads them: a lower-case name that
/// is set wins (set and empty: no proxy), else the upper-case one when not empty.
fn proxies(env: &Env) -> Proxies {
    let get = |lower: &str, upper: &str| {
        let name = if env.is_set(lower) { lower } else { upper };
        env.get(name).map(str::to_string)
    };
    Proxies {
        https: get("https_proxy", "HTTPS_PROXY"),
        http: get("http_proxy", "HTTP_PROXY"),
        no_proxy: get("no_proxy", "NO_PROXY"),
    }
}

/// `~/x` as the home's `x` (botocore expands the user in file settings).
fn expand_home(path: &str, env: &Env) -> PathBuf {
    match (path.strip_prefix("~/"), env.get(crate::os::env::HOME)) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::from_strs;

    #[test]
    fn the_environment_wins_over_the_profile() {
        let files = from_strs(
            "[profile p]\nuse_fips_endpoint = TRUE\nuse_dualstack_endpoint = true\nsts_regional_endpoints = legacy\nretry_mode = adaptive\nmax_attempts = 7\nca_bundle = ~/corp.pem\n",
            "",
        );
        let p = files.profile("p").unwrap();
        let env = Env::default().with(crate::os::env::HOME, "/home/u");
        let r = reach(Some(&files), p, &env).unwrap();
        assert_eq!(
            r.variants,
            Variants {
                fips: true,
                dual_stack: true
            }
        );
        assert!(r.sts_legacy);
        assert_eq!(r.retry.mode, RetryMode::Adaptive);
        assert_eq!(r.retry.attempts(), 7);
        assert_eq!(r.ca_bundle, Some(PathBuf::from("/home/u/corp.pem")));
        let env = env
            .with("AWS_USE_FIPS_ENDPOINT", "false")
            .with("AWS_STS_REGIONAL_ENDPOINTS", "regional")
            .with("AWS_MAX_ATTEMPTS", "2")
            .with("AWS_CA_BUNDLE", "/etc/env.pem");
        let r = reach(Some(&files), p, &env).unwrap();
        assert!(!r.variants.fips && r.variants.dual_stack);
        assert!(!r.sts_legacy);
        assert_eq!(r.retry.attempts(), 2);
        assert_eq!(r.ca_bundle, Some(PathBuf::from("/etc/env.pem")));
        // Nothing set: botocore's defaults.
        let r = reach(None, None, &Env::default()).unwrap();
        assert_eq!(r, Reach::default());
        assert_eq!(r.retry.attempts(), 3);
    }

    #[test]
    fn bad_values_name_where_they_are() {
        let files = from_strs("[profile p]\nretry_mode = fast\n", "");
        let p = files.profile("p").unwrap();
        let e = reach(Some(&files), p, &Env::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("profile `p`") && e.contains("retry_mode in") && e.contains(":2"),
            "{e}"
        );
        let env = Env::default().with("AWS_MAX_ATTEMPTS", "0");
        let e = reach(None, None, &env).unwrap_err().to_string();
        assert!(e.contains("AWS_MAX_ATTEMPTS"), "{e}");
        let env = Env::default().with("AWS_STS_REGIONAL_ENDPOINTS", "global");
        assert!(reach(None, None, &env).is_err());
    }

    #[test]
    fn lower_case_proxy_variables_win() {
        let env = Env::default()
            .with("HTTPS_PROXY", "http://upper:1")
            .with("https_proxy", "http://lower:2")
            .with("HTTP_PROXY", "http://plain:3")
            .with("no_proxy", "");
        let p = proxies(&env);
        assert_eq!(p.https.as_deref(), Some("http://lower:2"));
        assert_eq!(p.http.as_deref(), Some("http://plain:3"));
        assert_eq!(p.no_proxy, None);
        let env = Env::default()
            .with("HTTPS_PROXY", "http://upper:1")
            .with("https_proxy", "");
        assert_eq!(proxies(&env).https, None);
    }
}
