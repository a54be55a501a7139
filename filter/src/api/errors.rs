//! Refusals in each provider's own error JSON, so that client SDKs surface them
//! as they would a provider's own error.

use crate::json::Json;

/// Whose conventions an answer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// OpenAI and Azure OpenAI, and OpenAI-compatible providers.
    OpenAi,
    Anthropic,
}

/// A refusal customs answers itself: nothing goes upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    pub status: u16,
    /// A stable machine-readable code, `customs_*`.
    pub code: &'static str,
    /// A human message. Never holds a sensitive value.
    pub message: String,
    /// Extra headers (`retry-after`, rate-limit headers).
    pub headers: Vec<(String, String)>,
}

impl ErrorReply {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ErrorReply {
        ErrorReply {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// The body in `provider`'s error envelope:
    /// OpenAI `{"error":{"message","type","param","code"}}`,
    /// Anthropic `{"type":"error","error":{"type","message"}}`.
    pub fn body(&self, provider: Provider) -> Vec<u8> {
        let envelope = match provider {
            Provider::OpenAi => Json::Object(vec![(
                "error".into(),
                Json::Object(vec![
                    ("message".into(), Json::String(self.message.clone())),
                    ("type".into(), openai_type(self.status).into()),
                    ("param".into(), Json::Null),
                    ("code".into(), self.code.into()),
                ]),
            )]),
            Provider::Anthropic => Json::Object(vec![
                ("type".into(), "error".into()),
                (
                    "error".into(),
                    Json::Object(vec![
                        ("type".into(), anthropic_type(self.status).into()),
                        ("message".into(), Json::String(self.message.clone())),
                    ]),
                ),
            ]),
        };
        envelope.to_bytes()
    }
}

fn openai_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_error",
        500..=599 => "server_error",
        _ => "invalid_request_error",
    }
}

fn anthropic_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "invalid_request_error",
    }
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

    #[test]
    fn envelopes_follow_each_provider() {
        let reply = ErrorReply::new(413, "customs_body_too_large", "body too large");
        let openai: serde_json::Value =
            serde_json::from_slice(&reply.body(Provider::OpenAi)).unwrap();
        assert_eq!(openai["error"]["type"], "invalid_request_error");
        assert_eq!(openai["error"]["code"], "customs_body_too_large");
        assert_eq!(openai["error"]["param"], serde_json::Value::Null);
        let anthropic: serde_json::Value =
            serde_json::from_slice(&reply.body(Provider::Anthropic)).unwrap();
        assert_eq!(anthropic["type"], "error");
        assert_eq!(anthropic["error"]["type"], "request_too_large");
        assert_eq!(anthropic["error"]["message"], "body too large");
    }
}
