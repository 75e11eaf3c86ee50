//! The STS calls: GetSessionToken (MFA sessions), AssumeRole, AssumeRoleWithWebIdentity,
//! GetCallerIdentity and GetFederationToken.

use std::time::Duration;

use anyhow::{anyhow, Result};
use aws_sdk_sts::config::{BehaviorVersion, Region};

use super::{to_sdk, Network};
use crate::creds::{Credentials, Secret};
use crate::os::log::debug;

impl Network {
    /// Where STS is: the configured endpoint, else the SDK's rules for this run's settings.
    pub fn sts_at(&self, region: &str, endpoint: Option<&str>) -> String {
        match endpoint {
            Some(e) => e.to_string(),
            None => super::endpoints::sts(region, self.reach().variants, self.reach().sts_legacy)
                .unwrap_or_else(|e| format!("STS in {region} ({e})")),
        }
    }

    fn sts(
        &self,
        creds: Option<&Credentials>,
        region: &str,
        endpoint: Option<&str>,
    ) -> aws_sdk_sts::Client {
        let at = self.sts_at(region, endpoint);
        debug!("STS endpoint: {at}");
        // A configured endpoint wins and takes no variant (botocore drops FIPS and
        // dual-stack when one is given; the SDK's rules would refuse the pair).
        let v = self.reach().variants;
        let mut b = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .http_client(self.http_client_for(&at))
            .timeout_config(self.timeouts())
            .retry_config(self.retries())
            .use_fips(v.fips && endpoint.is_none())
            .use_dual_stack(v.dual_stack && endpoint.is_none());
        if let Some(c) = creds {
            b = b.credentials_provider(to_sdk(c));
        }
        match endpoint {
            Some(e) => b = b.endpoint_url(e),
            None if self.reach().sts_legacy => b = b.endpoint_resolver(super::endpoints::LegacySts),
            None => {}
        }
        aws_sdk_sts::Client::from_conf(b.build())
    }

    pub fn get_session_token(
        &self,
        source: &Credentials,
        region: &str,
        endpoint: Option<&str>,
        serial: &str,
        code: &str,
        duration: Duration,
    ) -> Result<Credentials> {
        let step = format!("GetSessionToken with MFA device {serial}");
        self.check_time(&step, &self.sts_at(region, endpoint))?;
        let client = self.sts(Some(source), region, endpoint);
        let out = self
            .call(
                &format!("STS {step}"),
                &self.sts_at(region, endpoint),
                client
                    .get_session_token()
                    .serial_number(serial)
                    .token_code(code)
                    .duration_seconds(clamp_secs(duration))
                    .send(),
            )
            .map_err(|e| self.call_error(&step, &self.sts_at(region, endpoint), &e))?;
        from_sts(out.credentials(), "GetSessionToken", None)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn assume_role(
        &self,
        source: &Credentials,
        region: &str,
        endpoint: Option<&str>,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
        duration: Option<Duration>,
        mfa: Option<(&str, &str)>,
    ) -> Result<Credentials> {
        let step = format!("AssumeRole {role_arn}");
        self.check_time(&step, &self.sts_at(region, endpoint))?;
        let client = self.sts(Some(source), region, endpoint);
        let mut req = client
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .set_external_id(external_id.map(str::to_string))
            .set_duration_seconds(duration.map(clamp_secs));
        if let Some((serial, code)) = mfa {
            req = req.serial_number(serial).token_code(code);
        }
        let out = self
            .call(
                &format!("STS {step}"),
                &self.sts_at(region, endpoint),
                req.send(),
            )
            .map_err(|e| self.call_error(&step, &self.sts_at(region, endpoint), &e))?;
        from_sts(
            out.credentials(),
            "AssumeRole",
            out.assumed_role_user().map(|u| u.arn()),
        )
    }

    pub fn assume_role_with_web_identity(
        &self,
        region: &str,
        endpoint: Option<&str>,
        role_arn: &str,
        session_name: &str,
        token: &str,
    ) -> Result<Credentials> {
        let step = format!("AssumeRoleWithWebIdentity {role_arn}");
        self.check_time(&step, &self.sts_at(region, endpoint))?;
        let client = self.sts(None, region, endpoint);
        let out = self
            .call(
                &format!("STS {step}"),
                &self.sts_at(region, endpoint),
                client
                    .assume_role_with_web_identity()
                    .role_arn(role_arn)
                    .role_session_name(session_name)
                    .web_identity_token(token)
                    .send(),
            )
            .map_err(|e| self.call_error(&step, &self.sts_at(region, endpoint), &e))?;
        from_sts(
            out.credentials(),
            "AssumeRoleWithWebIdentity",
            out.assumed_role_user().map(|u| u.arn()),
        )
    }

    /// The ARN of the identity `creds` belong to (GetCallerIdentity).
    pub fn caller_arn(
        &self,
        creds: &Credentials,
        region: &str,
        endpoint: Option<&str>,
    ) -> Result<String> {
        self.check_time("GetCallerIdentity", &self.sts_at(region, endpoint))?;
        let client = self.sts(Some(creds), region, endpoint);
        let out = self
            .call(
                "STS GetCallerIdentity",
                &self.sts_at(region, endpoint),
                client.get_caller_identity().send(),
            )
            .map_err(|e| {
                self.call_error("GetCallerIdentity", &self.sts_at(region, endpoint), &e)
            })?;
        out.arn
            .ok_or_else(|| anyhow!("GetCallerIdentity returned no ARN"))
    }

    /// Federated-user credentials made from an IAM user's long-term keys. The policy allows
    /// everything, so the session has exactly the user's permissions (the intersection).
    pub fn get_federation_token(
        &self,
        source: &Credentials,
        region: &str,
        endpoint: Option<&str>,
        name: &str,
        duration: Option<Duration>,
    ) -> Result<Credentials> {
        const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        self.check_time("GetFederationToken", &self.sts_at(region, endpoint))?;
        let client = self.sts(Some(source), region, endpoint);
        let out = self
            .call(
                "STS GetFederationToken",
                &self.sts_at(region, endpoint),
                client
                    .get_federation_token()
                    .name(name)
                    .policy(ALLOW_ALL)
                    .set_duration_seconds(duration.map(clamp_secs))
                    .send(),
            )
            .map_err(|e| {
                self.call_error("GetFederationToken", &self.sts_at(region, endpoint), &e)
            })?;
        if let Some(user) = out.federated_user() {
            debug!("signed in as {}", user.arn());
        }
        from_sts(
            out.credentials(),
            "GetFederationToken",
            out.federated_user().map(|u| u.arn()),
        )
    }
}

fn clamp_secs(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

/// The account in an ARN (`arn:PARTITION:sts::ACCOUNT:assumed-role/…`).
pub fn arn_account(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

/// `arn`: the identity STS says the credentials are (its account is `AWS_ACCOUNT_ID`).
fn from_sts(
    c: Option<&aws_sdk_sts::types::Credentials>,
    call: &str,
    arn: Option<&str>,
) -> Result<Credentials> {
    let c = c.ok_or_else(|| anyhow!("{call} returned no credentials"))?;
    let expiration = time::OffsetDateTime::from_unix_timestamp(c.expiration().secs())
        .map_err(|_| anyhow!("{call} returned an invalid expiration"))?;
    Ok(Credentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Some(Secret::new(c.session_token())),
        expiration: Some(expiration),
        account_id: arn.and_then(arn_account),
    })
}
