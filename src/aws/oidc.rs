//! IAM Identity Center's OIDC API (RegisterClient, StartDeviceAuthorization, CreateToken) through
//! aws-sdk-ssooidc. These calls are unsigned: the client and device code are the credentials.
//! The authorization-code grant (PKCE) adds the browser's `/authorize` page on the same host.

use std::time::Duration;

use anyhow::{anyhow, Result};
use aws_sdk_ssooidc::config::{BehaviorVersion, Region};
use aws_sdk_ssooidc::operation::create_token::CreateTokenError;

use crate::aws::{sdk_error, Network};
use crate::creds::Secret;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628: wait this much longer after each `slow_down`.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

pub struct Oidc<'n> {
    net: &'n Network,
    client: aws_sdk_ssooidc::Client,
    /// Where the service is: the override, else the region's own host.
    base: String,
}

/// The grants a client registered for the authorization-code flow asks for (as the CLI v2 does).
pub const CODE_GRANTS: [&str; 2] = ["authorization_code", "refresh_token"];

/// A registered OIDC client.
#[derive(Debug, Clone)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: Secret,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A pending device authorization: what the user must open and type.
#[derive(Debug)]
pub struct Device {
    code: Secret,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    expires_in: Duration,
    interval: Duration,
}

/// A token from CreateToken.
#[derive(Debug)]
pub struct Token {
    pub access_token: Secret,
    pub expires_in: Duration,
    pub refresh_token: Option<Secret>,
}

impl<'n> Oidc<'n> {
    /// `endpoint`: AWS_ENDPOINT_URL_SSO_OIDC (or the general override), else the region's.
    pub fn new(net: &'n Network, region: &str, endpoint: Option<&str>) -> Oidc<'n> {
        // The SDK's rules for the run's settings, unless an endpoint is configured.
        let v = net.reach().variants;
        let base = match endpoint {
            Some(e) => e.trim_end_matches('/').to_string(),
            None => crate::aws::endpoints::oidc(region, v)
                .unwrap_or_else(|_| format!("https://oidc.{region}.amazonaws.com")),
        };
        crate::os::log::debug!("SSO-OIDC endpoint: {base}");
        let mut b = aws_sdk_ssooidc::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .http_client(net.http_client_for(&base))
            .timeout_config(net.timeouts())
            .retry_config(net.retries())
            .use_fips(v.fips && endpoint.is_none())
            .use_dual_stack(v.dual_stack && endpoint.is_none());
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        Oidc {
            net,
            client: aws_sdk_ssooidc::Client::from_conf(b.build()),
            base,
        }
    }

    /// The browser's page of the authorization-code grant, with the PKCE challenge (S256).
    pub fn authorize_url(
        &self,
        reg: &Registration,
        redirect_uri: &str,
        state: &str,
        code_challenge: &str,
        scopes: &[String],
    ) -> Result<url::Url> {
        let mut u = url::Url::parse(&format!("{}/authorize", self.base))
            .map_err(|_| anyhow!("the OIDC endpoint {} is not a URL", self.base))?;
        u.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &reg.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("code_challenge_method", "S256")
            .append_pair("scopes", &scopes.join(" "))
            .append_pair("code_challenge", code_challenge);
        Ok(u)
    }

    /// RegisterClient for the authorization-code grant: a public client with a loopback
    /// redirect, issued for the start URL.
    pub fn register_for_code(
        &self,
        name: &str,
        scopes: Option<&[String]>,
        redirect_uri: &str,
        issuer_url: &str,
    ) -> Result<Registration> {
        let mut req = self
            .client
            .register_client()
            .client_name(name)
            .client_type("public")
            .set_scopes(scopes.map(<[String]>::to_vec))
            .redirect_uris(redirect_uri)
            .issuer_url(issuer_url);
        for g in CODE_GRANTS {
            req = req.grant_types(g);
        }
        let out = self
            .net
            .call("SSO-OIDC RegisterClient", &self.base, req.send())
            .map_err(|e| anyhow!("RegisterClient failed: {}", sdk_error(&e)))?;
        registration(out)
    }

    /// CreateToken with the authorization code and the PKCE verifier.
    pub fn token_for_code(
        &self,
        reg: &Registration,
        code: &Secret,
        verifier: &Secret,
        redirect_uri: &str,
    ) -> Result<Token> {
        let out = self
            .net
            .call(
                "SSO-OIDC CreateToken",
                &self.base,
                self.client
                    .create_token()
                    .grant_type("authorization_code")
                    .client_id(&reg.client_id)
                    .client_secret(reg.client_secret.expose())
                    .code(code.expose())
                    .code_verifier(verifier.expose())
                    .redirect_uri(redirect_uri)
                    .send(),
            )
            .map_err(|e| anyhow!("CreateToken failed: {}", sdk_error(&e)))?;
        token(out)
    }

    pub fn register(&self, name: &str, scopes: Option<&[String]>) -> Result<Registration> {
        let out = self
            .net
            .call(
                "SSO-OIDC RegisterClient",
                &self.base,
                self.client
                    .register_client()
                    .client_name(name)
                    .client_type("public")
                    .set_scopes(scopes.map(<[String]>::to_vec))
                    .send(),
            )
            .map_err(|e| anyhow!("RegisterClient failed: {}", sdk_error(&e)))?;
        registration(out)
    }

    pub fn start_device(&self, reg: &Registration, start_url: &str) -> Result<Device> {
        let out = self
            .net
            .call(
                "SSO-OIDC StartDeviceAuthorization",
                &self.base,
                self.client
                    .start_device_authorization()
                    .client_id(&reg.client_id)
                    .client_secret(reg.client_secret.expose())
                    .start_url(start_url)
                    .send(),
            )
            .map_err(|e| anyhow!("StartDeviceAuthorization failed: {}", sdk_error(&e)))?;
        let missing = |f: &str| anyhow!("StartDeviceAuthorization returned no {f}");
        Ok(Device {
            code: Secret::new(out.device_code.ok_or_else(|| missing("deviceCode"))?),
            user_code: out.user_code.ok_or_else(|| missing("userCode"))?,
            verification_uri: out
                .verification_uri
                .ok_or_else(|| missing("verificationUri"))?,
            verification_uri_complete: out.verification_uri_complete,
            expires_in: Duration::from_secs(out.expires_in.max(0) as u64),
            // RFC 8628's default when the server names none.
            interval: Duration::from_secs(if out.interval > 0 {
                out.interval as u64
            } else {
                5
            }),
        })
    }

    /// Polls CreateToken until the user approves, refuses, or the code expires.
    pub fn wait_for_token(&self, reg: &Registration, device: &Device) -> Result<Token> {
        let deadline = std::time::Instant::now() + device.expires_in;
        let mut interval = device.interval;
        loop {
            let sent = self.net.call(
                "SSO-OIDC CreateToken",
                &self.base,
                self.client
                    .create_token()
                    .grant_type(DEVICE_GRANT)
                    .client_id(&reg.client_id)
                    .client_secret(reg.client_secret.expose())
                    .device_code(device.code.expose())
                    .send(),
            );
            match sent {
                Ok(out) => return token(out),
                Err(e) => match e.as_service_error() {
                    Some(CreateTokenError::AuthorizationPendingException(_)) => {}
                    Some(CreateTokenError::SlowDownException(_)) => interval += SLOW_DOWN_STEP,
                    Some(CreateTokenError::ExpiredTokenException(_)) => {
                        return Err(anyhow!("the sign-in code expired before it was approved"))
                    }
                    Some(CreateTokenError::AccessDeniedException(_)) => {
                        return Err(anyhow!("the sign-in was denied in the browser"))
                    }
                    _ => return Err(anyhow!("CreateToken failed: {}", sdk_error(&e))),
                },
            }
            if std::time::Instant::now() + interval > deadline {
                return Err(anyhow!("the sign-in code expired before it was approved"));
            }
            // The sleep is made inside the runtime: tokio timers need its context.
            self.net
                .block_on(async { tokio::time::sleep(interval).await });
        }
    }

    /// The refresh_token grant.
    pub fn refresh(
        &self,
        client_id: &str,
        client_secret: &Secret,
        refresh_token: &Secret,
    ) -> Result<Token> {
        let out = self
            .net
            .call(
                "SSO-OIDC CreateToken (refresh)",
                &self.base,
                self.client
                    .create_token()
                    .grant_type("refresh_token")
                    .client_id(client_id)
                    .client_secret(client_secret.expose())
                    .refresh_token(refresh_token.expose())
                    .send(),
            )
            .map_err(|e| anyhow!("CreateToken (refresh) failed: {}", sdk_error(&e)))?;
        token(out)
    }
}

/// The client RegisterClient made, whichever grants it was registered for.
fn registration(
    out: aws_sdk_ssooidc::operation::register_client::RegisterClientOutput,
) -> Result<Registration> {
    Ok(Registration {
        client_id: out
            .client_id
            .ok_or_else(|| anyhow!("RegisterClient returned no clientId"))?,
        client_secret: Secret::new(
            out.client_secret
                .ok_or_else(|| anyhow!("RegisterClient returned no clientSecret"))?,
        ),
        expires_at: out.client_secret_expires_at,
    })
}

fn token(out: aws_sdk_ssooidc::operation::create_token::CreateTokenOutput) -> Result<Token> {
    Ok(Token {
        access_token: Secret::new(
            out.access_token
                .ok_or_else(|| anyhow!("CreateToken returned no accessToken"))?,
        ),
        expires_in: Duration::from_secs(out.expires_in.max(0) as u64),
        refresh_token: out.refresh_token.map(Secret::new),
    })
}
