//! Recognising the API shape of a request from its method and path.

use super::Provider;

/// What kind of request a route carries. The shape decides where the texts that go
/// to a model live in the body, which usage format the answer has, and which
/// error envelope a refusal uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    ChatCompletions,
    Completions,
    Responses,
    Embeddings,
    AnthropicMessages,
    /// A route customs does not know; the policy decides (inspect every string
    /// leaf, or refuse).
    Unknown,
}

impl Shape {
    /// The stable name used in tags, metrics and audit lines.
    pub fn name(self) -> &'static str {
        match self {
            Shape::ChatCompletions => "chat_completions",
            Shape::Completions => "completions",
            Shape::Responses => "responses",
            Shape::Embeddings => "embeddings",
            Shape::AnthropicMessages => "anthropic_messages",
            Shape::Unknown => "unknown",
        }
    }
}

/// A recognised route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub shape: Shape,
    /// Whose error envelope and rate-limit header style answers on this route.
    pub provider: Provider,
    /// The Azure OpenAI deployment named in the path, if any (it plays the part of
    /// the model, since Azure bodies need not carry one).
    pub azure_deployment: Option<String>,
}

/// Recognises the route from the method and the `:path` (query string allowed).
///
/// Paths match by suffix so that gateways mounting the API under a prefix
/// (`/openai/v1/chat/completions`) are recognised too.
pub fn recognize(method: &str, path: &str) -> Route {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.trim_end_matches('/');
    let azure_deployment = azure_deployment(path);
    let anthropic = path.ends_with("/v1/messages") || path == "/messages";
    let provider = if anthropic {
        Provider::Anthropic
    } else {
        Provider::OpenAi
    };
    let shape = if !method.eq_ignore_ascii_case("POST") {
        Shape::Unknown
    } else if anthropic {
        Shape::AnthropicMessages
    } else if path.ends_with("/chat/completions") {
        Shape::ChatCompletions
    } else if path.ends_with("/completions") {
        Shape::Completions
    } else if path.ends_with("/responses") {
        Shape::Responses
    } else if path.ends_with("/embeddings") {
        Shape::Embeddings
    } else {
        Shape::Unknown
    };
    Route {
        shape,
        provider,
        azure_deployment,
    }
}

/// `/openai/deployments/{name}/...` names an Azure OpenAI deployment.
fn azure_deployment(path: &str) -> Option<String> {
    let rest = path.split("/openai/deployments/").nth(1)?;
    let name = rest.split('/').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn recognises_every_known_route() {
        let cases: &[(&str, &str, Shape, Provider, Option<&str>)] = &[
            (
                "POST",
                "/v1/chat/completions",
                Shape::ChatCompletions,
                Provider::OpenAi,
                None,
            ),
            (
                "POST",
                "/openai/v1/chat/completions/",
                Shape::ChatCompletions,
                Provider::OpenAi,
                None,
            ),
            (
                "POST",
                "/v1/completions",
                Shape::Completions,
                Provider::OpenAi,
                None,
            ),
            (
                "POST",
                "/v1/responses",
                Shape::Responses,
                Provider::OpenAi,
                None,
            ),
            (
                "POST",
                "/v1/embeddings?x=1",
                Shape::Embeddings,
                Provider::OpenAi,
                None,
            ),
            (
                "POST",
                "/v1/messages",
                Shape::AnthropicMessages,
                Provider::Anthropic,
                None,
            ),
            (
                "POST",
                "/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21",
                Shape::ChatCompletions,
                Provider::OpenAi,
                Some("gpt4o"),
            ),
            (
                "POST",
                "/openai/deployments/emb/embeddings?api-version=2024-10-21",
                Shape::Embeddings,
                Provider::OpenAi,
                Some("emb"),
            ),
            ("GET", "/v1/models", Shape::Unknown, Provider::OpenAi, None),
            ("POST", "/v1/files", Shape::Unknown, Provider::OpenAi, None),
            (
                "GET",
                "/v1/chat/completions",
                Shape::Unknown,
                Provider::OpenAi,
                None,
            ),
        ];
        for (method, path, shape, provider, deployment) in cases {
            let route = recognize(method, path);
            assert_eq!(route.shape, *shape, "{method} {path}");
            assert_eq!(route.provider, *provider, "{method} {path}");
            assert_eq!(
                route.azure_deployment.as_deref(),
                *deployment,
                "{method} {path}"
            );
        }
    }
}
