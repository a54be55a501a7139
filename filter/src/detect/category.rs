//! What a finding is: one of the built-in kinds, or a category the policy defines
//! for its own dictionaries and patterns.

use std::fmt;
use std::sync::Arc;

/// The kind of a finding. Built-in kinds have stable snake_case names used in
/// policies, tags, metrics and audit records; a customer category carries the name
/// the policy gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Email,
    Phone,
    CnResidentId,
    CnCreditCode,
    UsSsn,
    /// A passport or travel-permit number, after the document's name.
    Passport,
    /// A Hong Kong, Taiwan or Singapore identity number, by its check character;
    /// or an identity number after its name (`HKID`, `NINO`, `マイナンバー`,
    /// `주민등록번호`, `澳門身份證`).
    NationalId,
    /// A date of birth, after its name.
    DateOfBirth,
    PaymentCard,
    Iban,
    /// A domestic bank account number, after its name (`account no.`,
    /// `Kontonummer`, `银行账号`).
    BankAccount,
    Ipv4,
    Ipv6,
    OpenaiKey,
    AnthropicKey,
    AwsAccessKey,
    GithubToken,
    SlackToken,
    GoogleApiKey,
    StripeKey,
    PrivateKey,
    Jwt,
    Credential,
    /// A dictionary or pattern category defined by the policy.
    Custom(Arc<str>),
}

/// Every built-in category, in a stable order.
pub const BUILTIN_CATEGORIES: &[Category] = &[
    Category::Email,
    Category::Phone,
    Category::CnResidentId,
    Category::CnCreditCode,
    Category::UsSsn,
    Category::Passport,
    Category::NationalId,
    Category::DateOfBirth,
    Category::PaymentCard,
    Category::Iban,
    Category::BankAccount,
    Category::Ipv4,
    Category::Ipv6,
    Category::OpenaiKey,
    Category::AnthropicKey,
    Category::AwsAccessKey,
    Category::GithubToken,
    Category::SlackToken,
    Category::GoogleApiKey,
    Category::StripeKey,
    Category::PrivateKey,
    Category::Jwt,
    Category::Credential,
];

impl Category {
    /// A customer category under the given name (validated by the policy).
    pub fn custom(name: &str) -> Category {
        Category::Custom(Arc::from(name))
    }

    pub fn name(&self) -> &str {
        match self {
            Category::Email => "email",
            Category::Phone => "phone",
            Category::CnResidentId => "cn_resident_id",
            Category::CnCreditCode => "cn_credit_code",
            Category::UsSsn => "us_ssn",
            Category::Passport => "passport",
            Category::NationalId => "national_id",
            Category::DateOfBirth => "date_of_birth",
            Category::PaymentCard => "payment_card",
            Category::Iban => "iban",
            Category::BankAccount => "bank_account",
            Category::Ipv4 => "ipv4",
            Category::Ipv6 => "ipv6",
            Category::OpenaiKey => "openai_key",
            Category::AnthropicKey => "anthropic_key",
            Category::AwsAccessKey => "aws_access_key",
            Category::GithubToken => "github_token",
            Category::SlackToken => "slack_token",
            Category::GoogleApiKey => "google_api_key",
            Category::StripeKey => "stripe_key",
            Category::PrivateKey => "private_key",
            Category::Jwt => "jwt",
            Category::Credential => "credential",
            Category::Custom(name) => name,
        }
    }

    /// The built-in category of that name; customer names are not known here.
    pub fn from_name(name: &str) -> Option<Category> {
        BUILTIN_CATEGORIES
            .iter()
            .find(|c| c.name() == name)
            .cloned()
    }

    /// The data class a policy applies when it says nothing else: "secret" for
    /// credentials, "restricted" for identifiers whose leak is regulated,
    /// "confidential" for contact data, addresses and customer categories.
    pub fn default_class(&self) -> &'static str {
        if self.is_secret() {
            "secret"
        } else if self.is_checksummed()
            || matches!(
                self,
                Category::UsSsn | Category::Passport | Category::BankAccount
            )
        {
            "restricted"
        } else {
            "confidential"
        }
    }

    pub fn is_builtin(&self) -> bool {
        !matches!(self, Category::Custom(_))
    }

    pub(crate) fn is_secret(&self) -> bool {
        matches!(
            self,
            Category::OpenaiKey
                | Category::AnthropicKey
                | Category::AwsAccessKey
                | Category::GithubToken
                | Category::SlackToken
                | Category::GoogleApiKey
                | Category::StripeKey
                | Category::PrivateKey
                | Category::Jwt
                | Category::Credential
        )
    }

    fn is_checksummed(&self) -> bool {
        matches!(
            self,
            Category::CnResidentId
                | Category::CnCreditCode
                | Category::NationalId
                | Category::PaymentCard
                | Category::Iban
        )
    }

    /// How much a finding of this category is trusted when two overlap:
    /// secrets known by their shape, then a credential known only by its
    /// name (`API_KEY=sk-...` is an OpenAI key), then checksummed
    /// identifiers, then the rest.
    pub(crate) fn strength(&self) -> u8 {
        if *self == Category::Credential {
            2
        } else if self.is_secret() {
            3
        } else if self.is_checksummed() {
            1
        } else {
            0
        }
    }

    /// A bit per built-in category, for the set of enabled detectors (checked
    /// in the scanner's inner loop, hence a plain match).
    pub(crate) fn bit(&self) -> u32 {
        let index = match self {
            Category::Email => 0,
            Category::Phone => 1,
            Category::CnResidentId => 2,
            Category::CnCreditCode => 3,
            Category::UsSsn => 4,
            Category::PaymentCard => 5,
            Category::Iban => 6,
            Category::Ipv4 => 7,
            Category::Ipv6 => 8,
            Category::OpenaiKey => 9,
            Category::AnthropicKey => 10,
            Category::AwsAccessKey => 11,
            Category::GithubToken => 12,
            Category::SlackToken => 13,
            Category::GoogleApiKey => 14,
            Category::StripeKey => 15,
            Category::PrivateKey => 16,
            Category::Jwt => 17,
            Category::Credential => 18,
            Category::Passport => 19,
            Category::NationalId => 20,
            Category::DateOfBirth => 21,
            Category::BankAccount => 22,
            Category::Custom(_) => return 0,
        };
        1 << index
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The set of built-in detectors switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Enabled(u32);

impl Enabled {
    pub(crate) const ALL: Enabled = Enabled(u32::MAX);

    pub(crate) fn without(self, c: &Category) -> Enabled {
        Enabled(self.0 & !c.bit())
    }

    pub(crate) fn has(self, c: &Category) -> bool {
        self.0 & c.bit() != 0
    }

    /// Whether any built-in category is on.
    pub(crate) fn any_builtin(self) -> bool {
        BUILTIN_CATEGORIES.iter().any(|c| self.has(c))
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(BUILTIN_CATEGORIES.len(), 23);
        let mut bits = 0;
        for c in BUILTIN_CATEGORIES {
            assert_eq!(Category::from_name(c.name()).as_ref(), Some(c));
            assert!(c.is_builtin());
            assert_eq!(bits & c.bit(), 0, "{c}");
            bits |= c.bit();
        }
        assert_eq!(bits.count_ones(), 23);
        assert_eq!(Category::from_name("emial"), None);
        assert_eq!(Category::custom("project_names").name(), "project_names");
        assert!(!Category::custom("x").is_builtin());
    }

    #[test]
    fn default_classes() {
        let cases = [
            ("email", "confidential"),
            ("phone", "confidential"),
            ("ipv4", "confidential"),
            ("ipv6", "confidential"),
            ("cn_resident_id", "restricted"),
            ("cn_credit_code", "restricted"),
            ("us_ssn", "restricted"),
            ("passport", "restricted"),
            ("national_id", "restricted"),
            ("date_of_birth", "confidential"),
            ("payment_card", "restricted"),
            ("iban", "restricted"),
            ("openai_key", "secret"),
            ("private_key", "secret"),
            ("jwt", "secret"),
            ("credential", "secret"),
        ];
        for (name, class) in cases {
            assert_eq!(
                Category::from_name(name).unwrap().default_class(),
                class,
                "{name}"
            );
        }
        assert_eq!(
            Category::custom("codenames").default_class(),
            "confidential"
        );
    }

    #[test]
    fn enabled_set() {
        let e = Enabled::ALL.without(&Category::Email);
        assert!(!e.has(&Category::Email));
        assert!(e.has(&Category::Phone));
        assert!(!e.has(&Category::custom("x")));
    }
}
