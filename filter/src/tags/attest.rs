//! The signed attestation: an HMAC, under a key the policy names by id, over what
//! customs decided and the exact body it forwarded. The receiving side checks it
//! with `customs verify` (or any HMAC-SHA256) without trusting the network between.
//!
//! Header value: `v1;kid=<key id>;ts=<unix ms>;policy=<id@version>;tenant=<t>;
//! rid=<request id>;body=<sha256 hex of the forwarded body>;sig=<hmac hex>`.
//! The signed message is the same fields, each on its own line, in that order,
//! after the line `customs-attestation-v1`.

use crate::keyed;
use std::fmt;

/// The fields an attestation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub key_id: String,
    pub timestamp_ms: u64,
    pub policy: String,
    pub tenant: String,
    pub request_id: String,
    /// Lower-case hex SHA-256 of the body as forwarded.
    pub body_sha256: String,
}

impl Claims {
    fn message(&self) -> String {
        format!(
            "customs-attestation-v1\n{}\n{}\n{}\n{}\n{}\n{}",
            self.key_id,
            self.timestamp_ms,
            self.policy,
            self.tenant,
            self.request_id,
            self.body_sha256
        )
    }
}

/// Signs `claims` with `secret`, giving the header value.
pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let sig = keyed::hmac_sha256(secret, claims.message().as_bytes());
    format!(
        "v1;kid={};ts={};policy={};tenant={};rid={};body={};sig={}",
        claims.key_id,
        claims.timestamp_ms,
        claims.policy,
        claims.tenant,
        claims.request_id,
        claims.body_sha256,
        keyed::hex(&sig, 32)
    )
}

/// The body hash as attestations carry it.
pub fn body_digest(body: &[u8]) -> String {
    keyed::hex(&keyed::sha256(body), 32)
}

/// Why an attestation did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    Malformed(String),
    UnknownKey(String),
    BodyMismatch,
    BadSignature,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Malformed(why) => write!(f, "malformed attestation: {why}"),
            VerifyError::UnknownKey(kid) => write!(f, "no key with id `{kid}`"),
            VerifyError::BodyMismatch => f.write_str("the body is not the one that was attested"),
            VerifyError::BadSignature => f.write_str("the signature does not match"),
        }
    }
}

/// Parses a header value into its claims and signature.
pub fn parse(header: &str) -> Result<(Claims, Vec<u8>), VerifyError> {
    let mut parts = header.trim().split(';');
    if parts.next() != Some("v1") {
        return Err(VerifyError::Malformed("expected version `v1`".into()));
    }
    let mut field = |name: &str| -> Result<String, VerifyError> {
        let part = parts
            .next()
            .ok_or_else(|| VerifyError::Malformed(format!("missing `{name}`")))?;
        part.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .map(str::to_string)
            .ok_or_else(|| VerifyError::Malformed(format!("expected `{name}=`")))
    };
    let key_id = field("kid")?;
    let timestamp_ms = field("ts")?
        .parse()
        .map_err(|_| VerifyError::Malformed("`ts` is not a number".into()))?;
    let claims = Claims {
        key_id,
        timestamp_ms,
        policy: field("policy")?,
        tenant: field("tenant")?,
        request_id: field("rid")?,
        body_sha256: field("body")?,
    };
    let sig = keyed::unhex(&field("sig")?)
        .ok_or_else(|| VerifyError::Malformed("`sig` is not hex".into()))?;
    Ok((claims, sig))
}

/// Verifies `header` against `body` with the key its `kid` names among `keys`
/// (key id, secret): several keys so that keys can rotate.
pub fn verify(
    header: &str,
    body: &[u8],
    keys: &[(String, Vec<u8>)],
) -> Result<Claims, VerifyError> {
    let (claims, sig) = parse(header)?;
    let secret = keys
        .iter()
        .find(|(kid, _)| *kid == claims.key_id)
        .map(|(_, s)| s)
        .ok_or_else(|| VerifyError::UnknownKey(claims.key_id.clone()))?;
    if !keyed::verify_hmac_sha256(secret, claims.message().as_bytes(), &sig) {
        return Err(VerifyError::BadSignature);
    }
    if body_digest(body) != claims.body_sha256 {
        return Err(VerifyError::BodyMismatch);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::expect_used,
        clippy::panic
    )]
    use super::*;

    fn claims(body: &[u8], kid: &str) -> Claims {
        Claims {
            key_id: kid.into(),
            timestamp_ms: 1_764_000_000_000,
            policy: "bank@7".into(),
            tenant: "payments".into(),
            request_id: "r-1".into(),
            body_sha256: body_digest(body),
        }
    }

    #[test]
    fn sign_then_verify_and_every_way_it_fails() {
        let body = br#"{"model":"m"}"#;
        let keys = vec![
            ("k1".to_string(), b"old-secret".to_vec()),
            ("k2".to_string(), b"new-secret".to_vec()),
        ];
        let header = sign(&claims(body, "k2"), b"new-secret");
        assert_eq!(verify(&header, body, &keys).unwrap().tenant, "payments");
        // A rotated key: k1 still verifies what it signed.
        let old = sign(&claims(body, "k1"), b"old-secret");
        assert!(verify(&old, body, &keys).is_ok());
        // Tampered body, tampered claim, unknown key, wrong secret, garbage.
        assert_eq!(
            verify(&header, br#"{"model":"x"}"#, &keys),
            Err(VerifyError::BodyMismatch)
        );
        let forged = header.replace("tenant=payments", "tenant=risk");
        assert_eq!(verify(&forged, body, &keys), Err(VerifyError::BadSignature));
        let unknown = sign(&claims(body, "k9"), b"x");
        assert_eq!(
            verify(&unknown, body, &keys),
            Err(VerifyError::UnknownKey("k9".into()))
        );
        let wrong = sign(&claims(body, "k2"), b"not-the-secret");
        assert_eq!(verify(&wrong, body, &keys), Err(VerifyError::BadSignature));
        assert!(matches!(
            verify("v2;x", body, &keys),
            Err(VerifyError::Malformed(_))
        ));
    }
}
