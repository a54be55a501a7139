//! The ways people slip a value past a detector, applied to a written value or
//! to the serialised body.

use crate::rng::Rng;

/// Every evasion, in the order lines are generated. `separators` applies only
/// to values people write in digit groups; `cjk_adjacent` only to Chinese text.
pub const EVASIONS: &[&str] = &[
    "plain",
    "json_escape",
    "full_width",
    "zero_width",
    "separators",
    "cjk_adjacent",
    "script_digits",
    "chinese_numerals",
];

/// The zeros of the digit scripts `script_digits` writes in: Arabic-Indic,
/// Extended Arabic-Indic (Persian), Devanagari, Thai, mathematical bold.
const DIGIT_ZEROS: &[u32] = &[0x660, 0x6F0, 0x966, 0xE50, 0x1D7CE];

/// Every ASCII digit of `s` written in one other script's digits.
pub fn script_digits(s: &str, rng: &mut Rng) -> String {
    let zero = *rng.pick(DIGIT_ZEROS);
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// The Chinese numerals `chinese_numerals` writes in, for 0 to 9: everyday
/// ones, everyday with `零` and `幺` (one, as phone numbers are read out), and
/// the financial forms, simplified and traditional.
const NUMERAL_STYLES: [[char; 10]; 4] = [
    ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'],
    ['零', '幺', '二', '三', '四', '五', '六', '七', '八', '九'],
    ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'],
    ['零', '壹', '貳', '參', '肆', '伍', '陸', '柒', '捌', '玖'],
];

/// Every ASCII digit of `s` written as a Chinese numeral, in one style.
pub fn chinese_numerals(s: &str, rng: &mut Rng) -> String {
    let style = rng.pick(&NUMERAL_STYLES);
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => style[d as usize],
            None => c,
        })
        .collect()
}

/// Full-width forms (U+FF01..U+FF5E, ideographic space): every printable
/// character, only letters and digits, or a random half of those.
pub fn full_width(s: &str, rng: &mut Rng) -> String {
    let mode = rng.below(3);
    s.chars()
        .map(|c| {
            let convert = match mode {
                0 => c.is_ascii_graphic() || c == ' ',
                1 => c.is_ascii_alphanumeric(),
                _ => c.is_ascii_alphanumeric() && rng.chance(1, 2),
            };
            match c {
                ' ' if convert => '\u{3000}',
                '!'..='~' if convert => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
                _ => c,
            }
        })
        .collect()
}

const INVISIBLE: &[char] = &[
    '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}',
];

/// One to three invisible characters inside the value (never at its ends).
pub fn zero_width(s: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = rng.range(1, 3) as usize;
    let mut at: Vec<usize> = (0..n).map(|_| 1 + rng.below(chars.len() - 1)).collect();
    at.sort_unstable();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        for _ in at.iter().filter(|&&k| k == i) {
            out.push(*rng.pick(INVISIBLE));
        }
        out.push(*c);
    }
    out
}

/// A string's JSON encoding without the quotes.
pub fn json_inner(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted[1..quoted.len() - 1].to_string()
}

/// Where a value written with `\uXXXX` escapes sits in the body.
#[derive(Clone, Copy)]
pub enum Level {
    /// In a string of the body.
    Body,
    /// In a JSON document nested in a string (tool-call arguments), escaped
    /// for the outer string: the escapes are gone once the body is parsed.
    NestedOuter,
    /// Nested likewise, escaped for the inner document (`\\u0034` in the
    /// body): the escapes survive the outer parse and the inner one decodes them.
    NestedInner,
}

/// Rewrites the first occurrence of `value` in the serialised `body` with
/// `\uXXXX` escapes at `level`: every character, every other one, or only the
/// digits. False if the value is not in the body.
pub fn json_escape(body: &mut String, value: &str, level: Level, rng: &mut Rng) -> bool {
    let once = json_inner(value);
    let (found, replacement) = match level {
        Level::Body => (once.clone(), escape(&once, rng)),
        Level::NestedOuter => {
            let twice = json_inner(&once);
            let escaped = escape(&twice, rng);
            (twice, escaped)
        }
        Level::NestedInner => (json_inner(&once), json_inner(&escape(&once, rng))),
    };
    let Some(start) = body.find(&found) else {
        return false;
    };
    body.replace_range(start..start + found.len(), &replacement);
    true
}

/// `\uXXXX` escapes for the ASCII characters of a JSON-encoded string,
/// keeping the escape sequences already there whole.
fn escape(encoded: &str, rng: &mut Rng) -> String {
    let mode = rng.below(3);
    let mut out = String::new();
    let mut chars = encoded.chars().enumerate();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            // Copy an escape sequence whole: `\n`, `\\`, `\u1234`.
            out.push(c);
            if let Some((_, next)) = chars.next() {
                out.push(next);
                if next == 'u' {
                    for _ in 0..4 {
                        if let Some((_, h)) = chars.next() {
                            out.push(h);
                        }
                    }
                }
            }
            continue;
        }
        let escaped = c.is_ascii()
            && c != '"'
            && match mode {
                0 => true,
                1 => i % 2 == 0,
                _ => c.is_ascii_digit(),
            };
        if escaped {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_back() {
        let mut rng = Rng::new(1);
        let value = "a@b.co\nline 4111";
        for _ in 0..20 {
            let doc = serde_json::json!({"text": format!("x {value} y")}).to_string();
            let mut body = doc.clone();
            assert!(json_escape(&mut body, value, Level::Body, &mut rng));
            assert_ne!(body, doc);
            let back: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(back["text"], format!("x {value} y"));
            for level in [Level::NestedOuter, Level::NestedInner] {
                let inner = serde_json::json!({"q": value}).to_string();
                let mut body = serde_json::json!({"arguments": inner}).to_string();
                assert!(json_escape(&mut body, value, level, &mut rng));
                let outer: serde_json::Value = serde_json::from_str(&body).unwrap();
                let args: serde_json::Value =
                    serde_json::from_str(outer["arguments"].as_str().unwrap()).unwrap();
                assert_eq!(args["q"], value);
            }
        }
    }

    #[test]
    fn invisible_characters_stay_inside() {
        let mut rng = Rng::new(2);
        for _ in 0..50 {
            let s = zero_width("13812345678", &mut rng);
            assert!(s.starts_with('1') && s.ends_with('8'));
            assert_eq!(s.chars().filter(char::is_ascii_digit).count(), 11);
        }
    }
}
