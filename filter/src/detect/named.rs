//! What a JSON key names, when the whole string or number it holds is
//! sensitive as such: `{"password": "..."}`, `{"card_pin": 4829}`,
//! `{"passport_no": "E12345678"}` in a tool call's arguments or a tool-use
//! block's input, where no `:`, `=` or name stands in any text for the text
//! detectors to find.

use super::accounts;
use super::birth_dates;
use super::category::Category;
use super::credentials::CredentialKey;
use super::documents::{self, Document};
use super::phones;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named(Held);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Credential(CredentialKey),
    DocumentNumber(Document),
    BirthDate,
    Phone,
    BankAccount,
}

impl Named {
    /// `Some` for a key such as `password`, `client_secret`, `x-api-key`,
    /// `passport_no`, `passportNumber`, `护照号码`, `phone_number`, `联系电话`,
    /// `account_number`, `银行账号`.
    pub fn key(key: &str) -> Option<Named> {
        if API_WORDS.binary_search(&key).is_ok() {
            return None;
        }
        Named::by_names(key)
    }

    /// `key` read against every detector's names.
    fn by_names(key: &str) -> Option<Named> {
        if let Some(credential) = CredentialKey::of(key) {
            return Some(Named(Held::Credential(credential)));
        }
        if let Some(document) = documents::document_key(key) {
            return Some(Named(Held::DocumentNumber(document)));
        }
        if birth_dates::is_birth_date_key(key) {
            return Some(Named(Held::BirthDate));
        }
        if phones::is_phone_key(key) {
            return Some(Named(Held::Phone));
        }
        accounts::is_account_key(key).then_some(Named(Held::BankAccount))
    }

    /// The category of what the key holds.
    pub(crate) fn category(self) -> Category {
        match self.0 {
            Held::Credential(_) => Category::Credential,
            Held::DocumentNumber(document) => document.category(),
            Held::BirthDate => Category::DateOfBirth,
            Held::Phone => Category::Phone,
            Held::BankAccount => Category::BankAccount,
        }
    }

    /// The span of the sensitive value in `value`, the whole (normalised)
    /// string the key holds, when it is one.
    pub(crate) fn value_span(self, value: &[u8]) -> Option<(usize, usize)> {
        match self.0 {
            Held::Credential(key) => key.value_span(value),
            Held::DocumentNumber(document) => {
                documents::is_value(value, document).then_some((0, value.len()))
            }
            Held::BirthDate => birth_dates::is_date(value).then_some((0, value.len())),
            Held::Phone => phones::is_value(value).then_some((0, value.len())),
            Held::BankAccount => accounts::is_value(value).then_some((0, value.len())),
        }
    }
}

/// The keys the chat APIs repeat in every request (`"role"` and `"content"`
/// in each message), none of which names a value, in byte order: told by a
/// binary search instead of through every detector's names, which cost a few
/// thousand instructions a key (a sixth of a 2 KB request's work).
const API_WORDS: &[&str] = &[
    "arguments",
    "budget_tokens",
    "cache_control",
    "content",
    "data",
    "description",
    "detail",
    "enum",
    "frequency_penalty",
    "function",
    "id",
    "image_url",
    "include_usage",
    "input",
    "instructions",
    "items",
    "json_schema",
    "logprobs",
    "max_completion_tokens",
    "max_tokens",
    "media_type",
    "messages",
    "metadata",
    "model",
    "n",
    "name",
    "parameters",
    "presence_penalty",
    "prompt",
    "properties",
    "reasoning_effort",
    "required",
    "response_format",
    "role",
    "schema",
    "seed",
    "source",
    "stop",
    "stop_sequences",
    "stream",
    "stream_options",
    "strict",
    "system",
    "temperature",
    "text",
    "thinking",
    "title",
    "tool_calls",
    "tool_choice",
    "tools",
    "top_k",
    "top_logprobs",
    "top_p",
    "type",
    "url",
    "user",
    "value",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_words_are_sorted_and_name_nothing() {
        assert!(
            API_WORDS.windows(2).all(|w| matches!(w, [a, b] if a < b)),
            "not in byte order"
        );
        for word in API_WORDS {
            assert_eq!(Named::by_names(word), None, "{word}");
        }
        // The shortcut answers only for the exact words.
        assert!(Named::key("password").is_some());
        assert!(Named::key("phone").is_some());
        assert!(Named::key("user_phone").is_some());
    }
}
