//! The AWS federation endpoint: trade temporary credentials for a sign-in token
//! (`getSigninToken`), then build the console `login` URL that carries it.
//!
//! The sign-in URL is a credential (anyone who opens it within 15 minutes gets the console
//! session), so nothing here logs it, and errors name the endpoint but never the query.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use url::Url;

use crate::aws::Network;
use crate::creds::Credentials;

/// Who we say we are in the login URL (`Issuer`); the console shows it on session timeout.
const ISSUER: &str = "awsenv";

/// The console and federation hosts are the partition's (one table for every partition).
pub use super::partition::Partition;

/// The three values getSigninToken takes. Only temporary credentials have a session token, so
/// long-term keys cannot be turned into one: they need GetFederationToken first.
#[derive(serde::Serialize)]
pub struct Session<'a> {
    #[serde(rename = "sessionId")]
    id: &'a str,
    #[serde(rename = "sessionKey")]
    key: &'a str,
    #[serde(rename = "sessionToken")]
    token: &'a str,
}

impl<'a> Session<'a> {
    /// None for long-term keys.
    pub fn of(creds: &'a Credentials) -> Option<Session<'a>> {
        Some(Session {
            id: &creds.access_key_id,
            key: creds.secret_access_key.expose(),
            token: creds.session_token.as_ref()?.expose(),
        })
    }
}

/// A federation endpoint: `https://signin.aws.amazon.com/federation` or an override.
#[derive(Clone, Debug)]
pub struct Endpoint(Url);

impl Endpoint {
    /// The partition's endpoint, or `base` + `/federation` (`AWS_ENDPOINT_URL_SIGNIN`).
    pub fn new(partition: &Partition, base: Option<&str>) -> Result<Endpoint> {
        let default = partition.federation_base();
        let base = base.unwrap_or(&default);
        let mut url = Url::parse(base)
            .with_context(|| format!("the sign-in endpoint `{base}` is not a URL"))?;
        if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
            bail!("the sign-in endpoint `{base}` is not an http(s) URL");
        }
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut()
            .map_err(|_| anyhow!("the sign-in endpoint `{base}` is not a URL"))?
            .pop_if_empty()
            .push("federation");
        Ok(Endpoint(url))
    }

    /// Where the endpoint is, for messages (no query, so no secret).
    pub fn display(&self) -> &str {
        self.0.as_str()
    }

    /// The getSigninToken request. `session_duration` is the console session's length; the
    /// endpoint refuses it for GetFederationToken credentials, whose own duration counts.
    pub fn signin_token_request(
        &self,
        session: &Session<'_>,
        session_duration: Option<Duration>,
    ) -> Url {
        let json = serde_json::to_string(session).expect("strings serialize");
        let mut url = self.0.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("Action", "getSigninToken");
            if let Some(d) = session_duration {
                q.append_pair("SessionDuration", &d.as_secs().to_string());
            }
            q.append_pair("Session", &json);
        }
        url
    }

    /// The URL that signs the browser in and lands on `destination`.
    pub fn login_url(&self, signin_token: &str, destination: &Url) -> Url {
        let mut url = self.0.clone();
        url.query_pairs_mut()
            .append_pair("Action", "login")
            .append_pair("Issuer", ISSUER)
            .append_pair("Destination", destination.as_str())
            .append_pair("SigninToken", signin_token);
        url
    }
}

/// The console page to land on: the region's console home, or a service (`s3`) or path
/// (`ec2/v2/home`) of the partition's console, always with `?region=`.
pub fn destination(region: &str, path: Option<&str>) -> Result<Url> {
    let partition = Partition::of_region(region);
    let path = match path.map(|p| p.trim_matches('/')) {
        None | Some("") => "console/home".to_string(),
        Some(p) if p.contains('/') => p.to_string(),
        Some(service) => format!("{service}/home"),
    };
    if path.contains(['?', '#', '\\']) || path.split('/').any(|s| s == ".." || s == ".") {
        bail!("--path `{path}` must be a console service or path like s3 or ec2/v2/home");
    }
    let mut url = Url::parse(&partition.console_base()).expect("a URL from the partition table");
    url.path_segments_mut()
        .expect("constant URL")
        .clear()
        .extend(path.split('/'));
    url.query_pairs_mut().append_pair("region", region);
    Ok(url)
}

#[derive(Deserialize)]
struct SigninTokenResponse {
    #[serde(rename = "SigninToken")]
    signin_token: String,
}

/// Calls getSigninToken and returns the sign-in token.
pub fn signin_token(
    net: &Network,
    endpoint: &Endpoint,
    session: &Session<'_>,
    session_duration: Option<Duration>,
) -> Result<String> {
    let request = endpoint.signin_token_request(session, session_duration);
    let (status, body) = net
        .get("the console's getSigninToken", &request)
        .with_context(|| format!("getSigninToken at {} failed", endpoint.display()))?;
    if status != 200 {
        // The body is not shown: it is free text from the endpoint, and we cannot vouch that it
        // never echoes the request.
        bail!(
            "getSigninToken at {} failed: HTTP {status} (the endpoint refused these credentials)",
            endpoint.display()
        );
    }
    let parsed: SigninTokenResponse = serde_json::from_slice(&body).map_err(|_| {
        anyhow!(
            "getSigninToken at {} answered without a SigninToken",
            endpoint.display()
        )
    })?;
    if parsed.signin_token.is_empty() {
        bail!(
            "getSigninToken at {} answered with an empty SigninToken",
            endpoint.display()
        );
    }
    Ok(parsed.signin_token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creds::Secret;
    use std::collections::BTreeMap;

    fn query(url: &Url) -> BTreeMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    #[test]
    fn partitions_have_their_own_hosts() {
        for (region, signin, console) in [
            (
                "eu-west-1",
                "https://signin.aws.amazon.com/federation",
                "console.aws.amazon.com",
            ),
            (
                "cn-north-1",
                "https://signin.amazonaws.cn/federation",
                "console.amazonaws.cn",
            ),
            (
                "us-gov-west-1",
                "https://signin.amazonaws-us-gov.com/federation",
                "console.amazonaws-us-gov.com",
            ),
            (
                "eusc-de-east-1",
                "https://signin.amazonaws-eusc.eu/federation",
                "console.amazonaws-eusc.eu",
            ),
            (
                "us-isob-east-1",
                "https://signin.sc2shome.sgov.gov/federation",
                "console.sc2shome.sgov.gov",
            ),
        ] {
            let e = Endpoint::new(Partition::of_region(region), None).unwrap();
            let dest = destination(region, None).unwrap();
            let url = e.login_url("TOKEN", &dest);
            assert_eq!(
                format!(
                    "{}://{}{}",
                    url.scheme(),
                    url.host_str().unwrap(),
                    url.path()
                ),
                signin
            );
            let q = query(&url);
            assert_eq!(q["Action"], "login");
            assert_eq!(q["Issuer"], "awsenv");
            assert_eq!(q["SigninToken"], "TOKEN");
            let d = Url::parse(&q["Destination"]).unwrap();
            assert_eq!(d.host_str(), Some(console));
            assert_eq!(d.path(), "/console/home");
            assert_eq!(query(&d)["region"], region);
            assert_eq!(q.len(), 4, "{url}");
        }
    }

    #[test]
    fn paths_and_bad_paths() {
        let d = destination("eu-west-1", Some("s3")).unwrap();
        assert_eq!(
            d.as_str(),
            "https://console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        let d = destination("eu-west-1", Some("/ec2/v2/home")).unwrap();
        assert_eq!(
            d.as_str(),
            "https://console.aws.amazon.com/ec2/v2/home?region=eu-west-1"
        );
        for bad in ["s3?x=1", "../evil", "a/./b", "x#y"] {
            assert!(destination("eu-west-1", Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn override_and_session_json() {
        let e = Endpoint::new(
            Partition::of_region("us-east-1"),
            Some("http://127.0.0.1:9/base/"),
        )
        .unwrap();
        assert_eq!(e.display(), "http://127.0.0.1:9/base/federation");
        let creds = Credentials {
            access_key_id: "ASIAX".into(),
            secret_access_key: Secret::new("se&cr=et"),
            session_token: Some(Secret::new("to+ken")),
            expiration: None,
            account_id: None,
        };
        let s = Session::of(&creds).unwrap();
        let url = e.signin_token_request(&s, Some(Duration::from_secs(3600)));
        let q = query(&url);
        assert_eq!(q["Action"], "getSigninToken");
        assert_eq!(q["SessionDuration"], "3600");
        let json: serde_json::Value = serde_json::from_str(&q["Session"]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"sessionId": "ASIAX", "sessionKey": "se&cr=et", "sessionToken": "to+ken"})
        );
        // Long-term keys have no session.
        let long_term = Credentials {
            session_token: None,
            ..creds
        };
        assert!(Session::of(&long_term).is_none());
        assert!(Endpoint::new(Partition::of_region("us-east-1"), Some("file:///etc")).is_err());
        assert!(Endpoint::new(Partition::of_region("us-east-1"), Some("not a url")).is_err());
    }
}
