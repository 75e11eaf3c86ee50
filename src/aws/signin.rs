//! The AWS sign-in service's token endpoint (`CreateOAuth2Token`, `POST /v1/token`), for the
//! console sessions `aws login` caches: a refresh token, proven with a DPoP proof (RFC 9449), is
//! traded for new temporary keys.
//!
//! The proof is an ES256 JWT whose header carries the public half of the P-256 key the AWS CLI
//! made at `aws login` and whose payload binds it to this one request (`htm`, `htu`, `iat`,
//! `jti`), as botocore's `_build_dpop_header` writes it. No SDK client: the call is one POST,
//! and the refresh token, keys and proof never reach a log or an error.

use std::time::Duration;

use anyhow::anyhow;
use base64ct::{Base64UrlUnpadded, Encoding};
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::SecretKey;
use serde::Deserialize;

use super::Network;
use crate::creds::Secret;

/// Why a refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    /// The service refused the refresh token or the proof (`AccessDeniedException` with
    /// `TOKEN_EXPIRED`, `USER_CREDENTIALS_CHANGED`, …, or a `ValidationException`).
    #[error("the sign-in service refused the refresh ({code}: {message})")]
    Refused { code: String, message: String },
    #[error("the sign-in service at {endpoint}: {problem}")]
    Other { endpoint: String, problem: String },
    /// A 200 answer that is not a whole token, but names a new refresh token: the old one is
    /// spent, so the caller must keep this one (the session lives on with it).
    #[error("the sign-in service at {endpoint}: the answer is not a token")]
    Partial {
        endpoint: String,
        refresh_token: Secret,
    },
}

/// The longest session the sign-in service gives (12 hours).
pub const MAX_LIFETIME_SECS: u64 = 12 * 3600;

/// New keys from a refresh.
pub struct Refreshed {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expires_in: Duration,
    pub refresh_token: Option<Secret>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenOutput {
    access_token: AccessToken,
    expires_in: u64,
    #[serde(default)]
    refresh_token: Option<Secret>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessToken {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Secret,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// `POST {endpoint}/v1/token` with the refresh grant and a fresh DPoP proof.
pub fn refresh(
    net: &Network,
    endpoint: &str,
    key: &SecretKey,
    client_id: &str,
    refresh_token: &Secret,
) -> Result<Refreshed, SigninError> {
    let url = format!("{}/v1/token", endpoint.trim_end_matches('/'));
    let other = |problem: String| SigninError::Other {
        endpoint: endpoint.to_string(),
        problem,
    };
    // A proof for each attempt: a server may refuse a proof (its `jti`) it has seen.
    let proof = || -> anyhow::Result<String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Ok(dpop_proof(
            key,
            &url,
            now,
            &random_jti().map_err(|e| anyhow!(e))?,
        ))
    };
    let body = serde_json::json!({
        "clientId": client_id,
        "grantType": "refresh_token",
        "refreshToken": refresh_token.expose(),
    });
    let (status, answer) = post_json(net, &url, proof, body.to_string().into_bytes())
        .map_err(|e| other(format!("{e:#}")))?;
    if status == 200 {
        let out: TokenOutput = serde_json::from_slice(&answer).map_err(|_| {
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct JustTheRefreshToken {
                refresh_token: Secret,
            }
            match serde_json::from_slice::<JustTheRefreshToken>(&answer) {
                Ok(t) => SigninError::Partial {
                    endpoint: endpoint.to_string(),
                    refresh_token: t.refresh_token,
                },
                Err(_) => other("the answer is not a token".into()),
            }
        })?;
        return Ok(Refreshed {
            access_key_id: out.access_token.access_key_id,
            secret_access_key: out.access_token.secret_access_key,
            session_token: out.access_token.session_token,
            // The service issues at most 12 hours; a larger (or absurd: 2^64 - 1) value from a
            // broken or hostile endpoint is cut to that instead of overflowing a date later,
            // after the refresh token was spent.
            expires_in: Duration::from_secs(out.expires_in.min(MAX_LIFETIME_SECS)),
            refresh_token: out.refresh_token,
        });
    }
    match serde_json::from_slice::<ErrorBody>(&answer) {
        Ok(ErrorBody {
            error: Some(code),
            message,
        }) if (400..500).contains(&status) => Err(SigninError::Refused {
            code,
            message: message.unwrap_or_default().replace('\n', " "),
        }),
        _ => Err(other(format!("HTTP {status}"))),
    }
}

/// The DPoP proof of one request: `header.payload.signature`, each base64url without padding;
/// the signature is ES256 (r‖s, 64 bytes) over the first two parts.
pub fn dpop_proof(key: &SecretKey, url: &str, iat: i64, jti: &str) -> String {
    let point = key.public_key().to_encoded_point(false);
    let coordinate = |c: Option<&p256::FieldBytes>| {
        Base64UrlUnpadded::encode_string(c.map(|b| b.as_slice()).unwrap_or_default())
    };
    let header = serde_json::json!({
        "typ": "dpop+jwt",
        "alg": "ES256",
        "jwk": {"kty": "EC", "x": coordinate(point.x()), "y": coordinate(point.y()), "crv": "P-256"},
    });
    let payload = serde_json::json!({"htm": "POST", "htu": url, "iat": iat, "jti": jti});
    let signing_input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(payload.to_string().as_bytes())
    );
    let signature: Signature = SigningKey::from(key).sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        Base64UrlUnpadded::encode_string(&signature.to_bytes())
    )
}

/// A random UUID (version 4), as the SDKs use for `jti`.
fn random_jti() -> Result<String, String> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|e| format!("no randomness for the proof: {e}"))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// One JSON POST through the same TLS stack as the SDK clients, `proof` giving each attempt its
/// DPoP proof. Returns the status and body.
fn post_json(
    net: &Network,
    url: &str,
    mut proof: impl FnMut() -> anyhow::Result<String>,
    body: Vec<u8>,
) -> anyhow::Result<(u16, Vec<u8>)> {
    use aws_smithy_runtime_api::http::Request;
    use aws_smithy_types::body::SdkBody;
    let len = body.len();
    net.send("the sign-in token refresh", || {
        let mut req = Request::new(SdkBody::from(body.clone()));
        req.set_uri(url)
            .map_err(|_| anyhow!("not a valid endpoint URL"))?;
        req.set_method("POST")
            .map_err(|_| anyhow!("not a valid method"))?;
        let headers = req.headers_mut();
        headers.insert("content-type", "application/json");
        headers.insert("accept", "application/json");
        headers.insert("content-length", len.to_string());
        headers.insert("dpop", proof()?);
        Ok(req)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::{signature::Verifier, VerifyingKey};

    #[test]
    fn the_proof_verifies_with_the_key_in_its_header() {
        let key = SecretKey::from_slice(&[7u8; 32]).unwrap();
        let proof = dpop_proof(&key, "http://127.0.0.1:1/v1/token", 1_700_000_000, "j-1");
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |s: &str| Base64UrlUnpadded::decode_vec(s).unwrap();
        let header: serde_json::Value = serde_json::from_slice(&decode(parts[0])).unwrap();
        let payload: serde_json::Value = serde_json::from_slice(&decode(parts[1])).unwrap();
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(payload["htu"], "http://127.0.0.1:1/v1/token");
        assert_eq!(payload["htm"], "POST");
        assert_eq!(payload["iat"], 1_700_000_000);
        assert_eq!(payload["jti"], "j-1");
        let mut sec1 = vec![4u8];
        sec1.extend(decode(header["jwk"]["x"].as_str().unwrap()));
        sec1.extend(decode(header["jwk"]["y"].as_str().unwrap()));
        let public = VerifyingKey::from_sec1_bytes(&sec1).unwrap();
        assert_eq!(public, *SigningKey::from(&key).verifying_key());
        let sig = Signature::from_slice(&decode(parts[2])).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        public.verify(input.as_bytes(), &sig).unwrap();
        assert!(public.verify(b"something else", &sig).is_err());
    }

    #[test]
    fn jti_is_a_v4_uuid_and_fresh() {
        let a = random_jti().unwrap();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, random_jti().unwrap());
    }
}
