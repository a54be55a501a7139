//! Scanning a streamed answer's text, which comes a few characters an event:
//! a value the provider writes (`zed.lane@example.com`, `138 0013 8000`) is
//! split across events as often as not, and no event alone holds it.
//!
//! Each channel's text is scanned as it comes, but the tail that may be the
//! start of a value (the characters after the last one that ends a value, and
//! a number's groups joined by single spaces) is held back and scanned with
//! the text that follows it. Each scan also reads the text sent just before,
//! as context only, so that a value named there (`password: `) is still read
//! as one; what the context holds has been sent and is never changed.
//!
//! A held tail is bounded ([`MAX_HOLD`]): a longer run of value characters
//! goes out in part. The stream's events are not merged: an event whose text
//! is held goes out with less text (perhaps none), and the held text goes out
//! in the next one, or in an event of its own at the end.

use crate::detect::may_stand_in_value;

/// The most text a channel holds back, in bytes: longer than any value the
/// detectors read but a key or a token.
pub const MAX_HOLD: usize = 256;

/// How much of the text already sent each scan reads before the new text,
/// in bytes: more than the farthest a value's name stands from it.
const CONTEXT: usize = 96;

/// One channel's scan state.
#[derive(Debug, Default)]
pub struct StreamScan {
    /// Text not yet scanned nor sent.
    held: String,
    /// The end of the text already sent, as it came (before redaction).
    context: String,
}

impl StreamScan {
    /// The channel's next `text`: what to send now. `redact(text, from)` is
    /// the redacted form of `text[from..]` (`None` when unchanged), reading
    /// `text[..from]` as context only.
    pub fn push(
        &mut self,
        text: &str,
        redact: impl FnMut(&str, usize) -> Option<String>,
    ) -> String {
        let mut pending = std::mem::take(&mut self.held);
        let known = pending.len();
        pending.push_str(text);
        let cut = open_tail(&pending, known);
        self.held = pending.get(cut..).unwrap_or_default().to_string();
        pending.truncate(cut);
        self.scan(&pending, redact)
    }

    /// The end of the channel: the held text, scanned.
    pub fn finish(&mut self, redact: impl FnMut(&str, usize) -> Option<String>) -> String {
        let pending = std::mem::take(&mut self.held);
        self.scan(&pending, redact)
    }

    /// Whether text is being held back.
    pub fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    fn scan(
        &mut self,
        text: &str,
        mut redact: impl FnMut(&str, usize) -> Option<String>,
    ) -> String {
        if text.is_empty() {
            return String::new();
        }
        let from = self.context.len();
        self.context.push_str(text);
        let out = redact(&self.context, from).unwrap_or_else(|| text.to_string());
        let keep = floor_boundary(&self.context, self.context.len().saturating_sub(CONTEXT));
        self.context.drain(..keep);
        out
    }
}

/// Where the tail of `text` that may still grow into a value starts: after
/// the last character that ends a value, but across single spaces between a
/// number's groups (`+86 138 0013 8000`, `(415) 555-2671`); never more than
/// [`MAX_HOLD`] bytes from the end. `text[..known]` is known to be such a
/// tail (the text held before): it is not read again (but for a space at its
/// end), so that a stream of tiny events costs no more per byte than a
/// stream of long ones.
pub fn open_tail(text: &str, known: usize) -> usize {
    // A space at the end of the known tail is read again: what follows it
    // decides whether it joins a number's groups.
    let known = known.saturating_sub(usize::from(
        text.get(..known).is_some_and(|k| k.ends_with(' ')),
    ));
    let limit = text.len().saturating_sub(MAX_HOLD);
    let mut start = text.len();
    let mut chars = text.char_indices().rev().peekable();
    while let Some((at, c)) = chars.next() {
        if at < limit {
            break;
        }
        if at < known {
            // Into the tail held before: all of it may stand in a value.
            return ceil_boundary(text, limit);
        }
        if may_stand_in_value(c) {
            start = at;
            continue;
        }
        // A space between a number's groups: a digit after it (or nothing
        // yet: the next event may bring the next group), and before it a
        // digit or a number's closing mark.
        let digit_after = text
            .get(at + c.len_utf8()..)
            .and_then(|rest| rest.chars().next())
            .is_none_or(|next| next.is_ascii_digit());
        let number_before = chars
            .peek()
            .is_some_and(|(_, before)| before.is_ascii_digit() || matches!(before, ')' | '+'));
        if c == ' ' && digit_after && number_before {
            start = at;
            continue;
        }
        break;
    }
    start
}

/// The least char boundary of `text` at or after `at`.
fn ceil_boundary(text: &str, at: usize) -> usize {
    (at..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len())
}

/// The greatest char boundary of `text` at or before `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn the_open_tail_is_what_may_still_grow_into_a_value() {
        let cases: &[(&str, &str)] = &[
            ("Write to zed.la", "zed.la"),
            ("Write to ", ""),
            ("call +86 138 0013", "+86 138 0013"),
            ("call (415) 555-26", "(415) 555-26"),
            ("call +86 ", "+86 "),
            ("call (415) ", "(415) "),
            ("the end. ", ""),
            ("card 4539 1488", "4539 1488"),
            ("手机号1381", "1381"),
            ("手机幺三八", "幺三八"),
            ("我有一个问题。", ""),
            ("email müller@exa", "müller@exa"),
            ("the end.", "end."),
            ("1381\u{200B}23", "1381\u{200B}23"),
            ("two  spaces 12", "12"),
            ("", ""),
        ];
        for (text, tail) in cases {
            assert_eq!(&text[open_tail(text, 0)..], *tail, "{text:?}");
        }
    }

    #[test]
    fn the_open_tail_is_bounded() {
        let text = "x".repeat(MAX_HOLD * 3);
        assert_eq!(text.len() - open_tail(&text, 0), MAX_HOLD);
        let wide = "１".repeat(MAX_HOLD);
        let tail = wide.len() - open_tail(&wide, 0);
        assert!(tail <= MAX_HOLD && tail > MAX_HOLD - 3, "{tail}");
    }

    #[test]
    fn a_tail_known_before_is_not_read_again_and_gives_the_same_cut() {
        // Every text over a small alphabet of value characters, breaks and
        // digits, and every prefix of it that is an open tail itself.
        let alphabet = ['a', '1', ' ', '@', '，', '１', ')'];
        let mut texts = vec![String::new()];
        for _ in 0..6 {
            texts = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            for text in &texts {
                for known in (0..=text.len()).filter(|&k| text.is_char_boundary(k)) {
                    if open_tail(&text[..known], 0) == 0 {
                        assert_eq!(
                            open_tail(text, known),
                            open_tail(text, 0),
                            "{text:?} {known}"
                        );
                    }
                }
            }
        }
    }

    /// A stand-in for the redactor: every `secret` of the text after `from`
    /// becomes `[S]`, read on the whole text (so across the context).
    fn redact(text: &str, from: usize) -> Option<String> {
        let mut out = String::new();
        let mut at = from;
        let mut changed = false;
        for (i, _) in text.match_indices("secret") {
            if i < from {
                continue;
            }
            out.push_str(&text[at..i]);
            out.push_str("[S]");
            at = i + "secret".len();
            changed = true;
        }
        out.push_str(&text[at..]);
        changed.then_some(out)
    }

    #[test]
    fn a_value_split_anywhere_is_found_whole() {
        let answer = "keep the secret, the secret word is secret.";
        let want = "keep the [S], the [S] word is [S].";
        for a in 0..=answer.len() {
            for b in a..=answer.len() {
                let mut scan = StreamScan::default();
                let mut out = String::new();
                for piece in [&answer[..a], &answer[a..b], &answer[b..]] {
                    out.push_str(&scan.push(piece, redact));
                }
                out.push_str(&scan.finish(redact));
                assert_eq!(out, want, "split at {a},{b}");
            }
        }
    }

    #[test]
    fn text_goes_out_up_to_the_open_tail() {
        let mut scan = StreamScan::default();
        assert_eq!(scan.push("a quiet sec", redact), "a quiet ");
        assert!(scan.is_holding());
        assert_eq!(scan.push("ret and more", redact), "[S] and ");
        assert_eq!(scan.finish(redact), "more");
        assert!(!scan.is_holding());
    }

    #[test]
    fn the_context_is_read_but_never_changed() {
        let mut seen = Vec::new();
        let mut scan = StreamScan::default();
        let mut record = |text: &str, from: usize| {
            seen.push((text.to_string(), from));
            None
        };
        scan.push("one two ", &mut record);
        scan.push("three ", &mut record);
        assert_eq!(
            seen,
            [
                ("one two ".to_string(), 0),
                ("one two three ".to_string(), 8)
            ]
        );
    }
}
