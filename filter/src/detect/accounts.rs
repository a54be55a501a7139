//! Bank account numbers, known by the name written before them.
//!
//! An IBAN carries its country and a check; a domestic account number has
//! neither: `12345678` under a British sort code, `000123456789` in the
//! United States, `6228 4800 1234 5678 9` or a company's `1100 1234 5678
//! 0000 1234` in China are any number by their shape. After `account no.`,
//! `acct #`, `bank account`, `Kontonummer`, `numéro de compte`, `银行账号`,
//! `收款账户`, `口座番号` or `계좌번호` (perhaps then a few filler words and
//! marks) such a number is the key to someone's money. So the scanner asks
//! here at the first digit of a word, and the number counts only when such
//! a name stands right before it; a JSON key, a table's column or an XML
//! element named so (`account_number`, `acctNo`, `bank_account`, `银行账号`,
//! `<AccountNumber>`) names its value alike.
//!
//! `account` alone is not such a name: `in account 123456789012`,
//! `"OwnerAccount": "111122223333"` and `--owner-account` are a cloud's, `user
//! account 100234` a login's, as `QQ账号` is in Chinese. It counts with a
//! number's word after it (`account no.`, `account number`, `account #`) or a
//! bank's before it (`bank`, `checking`, `savings`, `payee`; `numéro de`).
//!
//! The shape: six to twenty digits, in groups joined by one space or dash.
//! What another detector knows better is left to it: a card number that
//! passes Luhn with a card's length and prefix, a mainland resident ID whose
//! check holds, a date.

use super::birth_dates;
use super::bytes::{at, before, is, ALNUM, DIGIT};
use super::checks;
use super::lead::{key_ends_with_name, one_of, strip_suffix_ignore_case, word_before, Lead};

/// Names of a bank account in ASCII (any case) that say so alone: the
/// abbreviation `acct`, and the compounds with `number` (German, Dutch).
const NAMES: &[&[u8]] = &[b"acct", b"kontonummer", b"rekeningnummer"];

/// Words for an account in English, German, French, Spanish, Italian and
/// Dutch that name a bank's only with a number's word after them (`account
/// no.`, `account number`, `numéro de compte`) or a bank's word before them
/// (`bank account`, `checking account`, `Bankkonto`): alone, `account
/// 123456789012` is as often a cloud's or a user's.
const ACCOUNT_WORDS: &[&[u8]] = &[
    b"account",
    b"konto",
    b"compte",
    b"cuenta",
    b"conto",
    b"rekening",
];

/// Words before an account's word that make it a bank's: `bank account`,
/// `savings account`, `payee account`; and `de`, `di`, `del` after a
/// number's word (`numéro de compte`, `número de cuenta`, `numero di conto`).
const BANK_WORDS: &[&[u8]] = &[
    b"bank",
    b"banking",
    b"checking",
    b"chequing",
    b"savings",
    b"current",
    b"deposit",
    b"payee",
    b"payer",
    b"beneficiary",
    b"recipient",
    b"receiving",
    b"salary",
    b"settlement",
    b"debtor",
    b"creditor",
    b"de",
    b"di",
    b"del",
];

/// Words after an account's word that make it a bank's: `account no.`,
/// `account number`, `account #`.
const NUMBER_WORDS: &[&[u8]] = &[b"no", b"nr", b"num", b"number", b"nummer"];

/// Names in Chinese, Japanese and Korean: a bank's account (`银行账号`,
/// `收款账户`, `对公账号`, `账户`), a bank card's number (`银行卡号`), Japan's
/// `口座番号`, Korea's `계좌번호`. Not `账号` alone, which as often names a
/// login (`QQ账号`, `游戏账号`). Asked before the filler marks, since
/// `番号` and `번호` end some.
const CJK_NAMES: &[&str] = &[
    "银行账号",
    "銀行帳號",
    "收款账号",
    "付款账号",
    "对公账号",
    "对私账号",
    "账户",
    "帐户",
    "賬戶",
    "帳戶",
    "银行卡号",
    "銀行卡號",
    "口座番号",
    "口座",
    "계좌번호",
    "계좌",
];

/// Words that may stand between a name and its number (any case): `account
/// number is`, `acct no.`, `bank account of Li Wei`.
const FILLER_WORDS: &[&[u8]] = &[
    b"no", b"nr", b"num", b"number", b"is", b"was", b"of", b"my", b"her", b"his", b"our",
];

/// Marks that may stand between a name and its number: `号码`, `是`, `为`,
/// `は`, `는`.
const FILLER_MARKS: &[&str] = &["号码", "號碼", "是", "为", "為", "的", "は", "는", "은"];

/// How far before the number its name may end.
const MAX_LEAD: usize = 32;
/// An account number's fewest and most digits: six (shorter ones are counts
/// and codes), twenty (China's company accounts).
const MIN_DIGITS: usize = 6;
const MAX_DIGITS: usize = 20;
/// No number has more groups than this (`6228 4800 1234 5678 9` has five).
const MAX_GROUPS: usize = 6;

/// The account number whose first digit is at `digit` (the first of its
/// word), when an account's name stands before it: its span.
pub(crate) fn bank_account(t: &[u8], digit: usize) -> Option<(usize, usize)> {
    if is(t, digit.wrapping_sub(1), ALNUM) || before(t, digit) == b'+' {
        return None;
    }
    // `2024-123456`: no account joined to digits before it.
    if matches!(before(t, digit), b'-' | b'.' | b'/') && is(t, digit.wrapping_sub(2), DIGIT) {
        return None;
    }
    let end = number_end(t, digit)?;
    named_before(t, digit).then_some((digit, end))
}

/// Whether the whole of `value` (under a JSON key or a table's column that
/// names an account) is an account number.
pub(crate) fn is_value(value: &[u8]) -> bool {
    // A table's cells come here whatever they hold: most hold a letter,
    // refused where it stands.
    let account_bytes = value
        .iter()
        .all(|&b| b.is_ascii_digit() || matches!(b, b' ' | b'-'));
    value.len() >= MIN_DIGITS && account_bytes && number_end(value, 0) == Some(value.len())
}

/// Whether a JSON key, a column's name or an element's names a bank account:
/// it ends in `acct` or an account's word with a number's word after it or a
/// bank's before it, as words of their own (`acct`, `acctNo`,
/// `account_number`, `bank_account`, `payeeAccount`, `银行账号`); not
/// `Account`, `OwnerAccount` (a cloud's), `account_id`.
pub(crate) fn is_account_key(key: &str) -> bool {
    let numbered = NUMBER_WORDS.iter().any(|w| {
        let key = key.trim_end_matches(['.', ':', ' ', '#']).as_bytes();
        key.len()
            .checked_sub(w.len())
            .and_then(|at| key.get(at..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(w))
    });
    // `bank_account`, `payeeAccount`: a bank's word (not `de`, `di`).
    let bank_before = |head: &[u8]| {
        BANK_WORDS
            .iter()
            .any(|w| w.len() > 3 && strip_suffix_ignore_case(head, w).is_some())
    };
    key_ends_with_name(key, NAMES, CJK_NAMES, |_| false)
        || key_ends_with_name(key, ACCOUNT_WORDS, &[], |head| {
            !(numbered || bank_before(head))
        })
}

/// The end of the account number that starts at the digit `start`, when the
/// digits and groups there have its shape and no other detector's.
fn number_end(t: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    let (mut digits, mut groups) = (0, 0);
    loop {
        let group_start = i;
        while is(t, i, DIGIT) {
            i += 1;
            if digits + (i - group_start) > MAX_DIGITS {
                return None;
            }
        }
        if i == group_start {
            return None;
        }
        digits += i - group_start;
        groups += 1;
        if groups > MAX_GROUPS {
            return None;
        }
        if matches!(at(t, i), b' ' | b'-') && is(t, i + 1, DIGIT) {
            i += 1;
            continue;
        }
        break;
    }
    // Part of something longer: `123456-`, `123456A`, `123456.78`.
    let joined = matches!(at(t, i), b'-' | b'.' | b'/' | b',') && is(t, i + 1, ALNUM);
    if joined || is(t, i, ALNUM) || digits < MIN_DIGITS {
        return None;
    }
    let value = t.get(start..i)?;
    let mut packed = [0u8; MAX_DIGITS];
    let mut n = 0;
    for &b in value.iter().filter(|b| b.is_ascii_digit()) {
        *packed.get_mut(n)? = b;
        n += 1;
    }
    let packed = packed.get(..n)?;
    // A card, a resident ID, a date written as one: another detector's, by
    // their checks. Eight bare digits after an account's name are its
    // number, whether or not they would read as a date (`acct 19610516`).
    let card = checks::payment_card(packed);
    let resident = n == 18 && checks::resident_id(packed);
    let dated = n < value.len() && birth_dates::is_date(value);
    if card || resident || dated {
        return None;
    }
    Some(i)
}

/// Whether an account's name ends before `start`, perhaps followed by filler
/// words, marks, separators and a person's name, within [`MAX_LEAD`] bytes.
fn named_before(t: &[u8], start: usize) -> bool {
    const LEAD: Lead = Lead {
        fillers: FILLER_WORDS,
        cjk_names: CJK_NAMES,
        marks: FILLER_MARKS,
        max_lead: MAX_LEAD,
    };
    let is_name = |word_start: usize, word: &[u8]| {
        if one_of(word, NAMES) || std::str::from_utf8(word).is_ok_and(is_account_key) {
            return true;
        }
        if !one_of(word, ACCOUNT_WORDS) {
            return false;
        }
        // `account no. 1...`, `account number: 1...`, `account # 1...`.
        let after = t.get(word_start + word.len()..start).unwrap_or_default();
        let numbered = after.contains(&b'#')
            || after
                .split(|b| !b.is_ascii_alphabetic())
                .any(|w| one_of(w, NUMBER_WORDS));
        // `bank account 1...`, `numéro de compte 1...`.
        let banked = before(t, word_start) == b' '
            && word_before(t, word_start - 1)
                .and_then(|w| t.get(w..word_start - 1))
                .is_some_and(|w| one_of(w, BANK_WORDS));
        numbered || banked
    };
    LEAD.named_before(t, start, is_name, is_account_key)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
    use super::{is_account_key, is_value};
    use crate::detect::testing::{card, expect_none, expect_only};

    #[test]
    fn account_numbers_after_their_name() {
        let cases = [
            ("sort code 20-00-00, account no. 12345678", "12345678"),
            ("Account number: 000123456789", "000123456789"),
            ("please wire it to acct #4400 1234 5678.", "4400 1234 5678"),
            ("my bank account is 1100-1234-5678", "1100-1234-5678"),
            ("the checking account of Li Wei is 987654321", "987654321"),
            ("Kontonummer 0532013000", "0532013000"),
            ("numéro de compte 12345678901", "12345678901"),
            (
                "银行账号：1100 1234 5678 0000 1234",
                "1100 1234 5678 0000 1234",
            ),
            ("对公账户为 110912345610201", "110912345610201"),
            ("收款账号是6228480012345678", "6228480012345678"),
            ("口座番号 1234567", "1234567"),
            ("계좌번호 110-123-456789", "110-123-456789"),
            ("<AccountNumber>12345678</AccountNumber>", "12345678"),
            ("\"acctNo\": \"12345678\"", "12345678"),
            // Eight digits that would read as a date are the number still.
            ("acct # 19610516, please confirm", "19610516"),
            (
                "收款信息是 acct # １９６１０５１６ ，请确认",
                "１９６１０５１６",
            ),
        ];
        for (text, span) in cases {
            expect_only(text, "bank_account", span);
        }
    }

    #[test]
    fn numbers_no_account_names_stay() {
        expect_none(&[
            "order 12345678 shipped",
            "AWS account 123456789012",
            "the access point in account 123456789012",
            "aws s3control list-access-points --account-id 123456789012",
            "--owner-account 123456789111",
            "transfer to account 12345678",
            "user account 100234 was locked",
            "QQ账号 123456789",
            "游戏账号：12345678",
            "account 12345",
            "account 2024-03-12",
            "account 123456.78",
            "account 123456A",
            "accounts receivable 1234567 USD",
            "1234567 accounts",
        ]);
        // What another detector knows better keeps its own category.
        let visa = card("4", 16);
        expect_only(&format!("account {visa}"), "payment_card", &visa);
        expect_only(
            "account 11010519491231002X",
            "cn_resident_id",
            "11010519491231002X",
        );
        expect_only(
            "account DE89 3704 0044 0532 0130 00",
            "iban",
            "DE89 3704 0044 0532 0130 00",
        );
    }

    #[test]
    fn columns_named_for_an_account() {
        let cases = [
            ("name,account_number\nLi Wei,12345678\n", "12345678"),
            (
                "| Name | 银行账号 |\n|---|---|\n| 李伟 | 1100 1234 5678 0000 1234 |",
                "1100 1234 5678 0000 1234",
            ),
            (
                "INSERT INTO payees (name, acct_no) VALUES ('Li Wei', '000123456789');",
                "000123456789",
            ),
        ];
        for (text, span) in cases {
            expect_only(text, "bank_account", span);
        }
        expect_none(&["name,aws_account\nprod,123456789012\n"]);
    }

    #[test]
    fn keys_that_name_an_account() {
        for key in [
            "acct",
            "bank_account",
            "payeeAccount",
            "bank_account_number",
            "bankAccount",
            "account_number",
            "accountNumber",
            "acct_no",
            "ACCT_NO",
            "Account No.",
            "银行账号",
            "收款账户",
            "口座番号",
            "계좌번호",
        ] {
            assert!(is_account_key(key), "{key}");
        }
        for key in [
            "account",
            "Account",
            "OwnerAccount",
            "CreatedByAccount",
            "codeAccount",
            "账号",
            "account_id",
            "accounts",
            "aws_account",
            "awsAccount",
            "user_account",
            "account_type",
            "discount",
            "accountant",
            "total",
            "",
        ] {
            assert!(!is_account_key(key), "{key}");
        }
    }

    #[test]
    fn whole_values() {
        for value in ["12345678", "1100 1234 5678 0000 1234", "110-123-456789"] {
            assert!(is_value(value.as_bytes()), "{value}");
        }
        for value in [
            "",
            "12345",
            "checking",
            "2024-03-12",
            "12345678 x",
            "+12345678",
        ] {
            assert!(!is_value(value.as_bytes()), "{value}");
        }
    }
}
