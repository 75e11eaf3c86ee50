//! The IAM calls of `awsenv rotate`: CreateAccessKey and DeleteAccessKey, on the shared runtime
//! and HTTPS client of [`Network`]. IAM is global: requests are signed for us-east-1.

use anyhow::{anyhow, Result};
use aws_sdk_iam::config::{BehaviorVersion, Region};

use crate::aws::{sdk_error, to_sdk, Network};
use crate::creds::{Credentials, Secret};

pub struct Iam<'n> {
    net: &'n Network,
    client: aws_sdk_iam::Client,
    /// Where IAM is, for the notice of a slow call.
    at: String,
}

impl<'n> Iam<'n> {
    /// IAM for a profile in `region`: the partition's IAM endpoint, as the SDK's rules (and
    /// botocore) give it — `iam.amazonaws.com`, `iam.us-gov.amazonaws.com`,
    /// `iam.cn-north-1.amazonaws.com.cn` — signed for the region the rules name.
    pub fn new(
        net: &'n Network,
        creds: &Credentials,
        region: &str,
        endpoint: Option<&str>,
    ) -> Iam<'n> {
        let v = net.reach().variants;
        let at = match endpoint {
            Some(e) => e.to_string(),
            None => crate::aws::endpoints::iam(region, v)
                .unwrap_or_else(|e| format!("IAM in {region} ({e})")),
        };
        crate::os::log::debug!("IAM endpoint: {at}");
        let mut b = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .http_client(net.http_client_for(&at))
            .timeout_config(net.timeouts())
            .retry_config(net.retries())
            .use_fips(v.fips && endpoint.is_none())
            .use_dual_stack(v.dual_stack && endpoint.is_none())
            .credentials_provider(to_sdk(creds));
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        Iam {
            net,
            client: aws_sdk_iam::Client::from_conf(b.build()),
            at,
        }
    }

    /// A new access key for `user`: its id and secret.
    pub fn create_access_key(&self, user: &str) -> Result<(String, Secret)> {
        let out = self
            .net
            .call(
                &format!("IAM CreateAccessKey for {user}"),
                &self.at,
                self.client.create_access_key().user_name(user).send(),
            )
            .map_err(|e| {
                anyhow!(
                    "CreateAccessKey for IAM user {user} failed: {}",
                    sdk_error(&e)
                )
            })?;
        let key = out
            .access_key()
            .ok_or_else(|| anyhow!("CreateAccessKey returned no key"))?;
        Ok((
            key.access_key_id().to_string(),
            Secret::new(key.secret_access_key()),
        ))
    }

    pub fn delete_access_key(&self, user: &str, access_key_id: &str) -> Result<()> {
        self.net
            .call(
                &format!("IAM DeleteAccessKey {access_key_id} of {user}"),
                &self.at,
                self.client
                    .delete_access_key()
                    .user_name(user)
                    .access_key_id(access_key_id)
                    .send(),
            )
            .map_err(|e| {
                anyhow!(
                    "DeleteAccessKey {access_key_id} of IAM user {user} failed: {}",
                    sdk_error(&e)
                )
            })?;
        Ok(())
    }
}

/// The user name in an IAM user ARN (`arn:aws:iam::123456789012:user/path/alice` → `alice`).
pub fn user_name_of(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let rest = resource.strip_prefix("user/")?;
    rest.rsplit('/').next().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_from_arns() {
        assert_eq!(
            user_name_of("arn:aws:iam::123456789012:user/alice"),
            Some("alice")
        );
        assert_eq!(
            user_name_of("arn:aws:iam::123456789012:user/division/team/bob"),
            Some("bob")
        );
        assert_eq!(
            user_name_of("arn:aws:sts::123456789012:assumed-role/r/s"),
            None
        );
        assert_eq!(user_name_of("arn:aws:iam::123456789012:root"), None);
        assert_eq!(user_name_of("nonsense"), None);
    }
}
