//! Putting pseudonymised values back into the answer the client receives.
//!
//! In a stream a placeholder can be split across any number of deltas
//! (`[EMA` then `IL_1]`). The restorer passes text on as it comes and holds back
//! only a tail that could still become a placeholder, so the stream stays a stream.

use std::collections::HashSet;

use super::literals::Literals;

/// The placeholder table of one request.
#[derive(Debug, Clone)]
pub struct Restorer {
    finder: Option<Literals>,
    originals: Vec<String>,
    /// The originals again, to tell at once whether a value is one.
    original_set: HashSet<String>,
    placeholders: Vec<String>,
    longest: usize,
}

impl Restorer {
    /// From (placeholder, original) pairs. An empty table restores nothing.
    pub fn new(pseudonyms: &[(String, String)]) -> Restorer {
        let placeholders: Vec<String> = pseudonyms.iter().map(|(p, _)| p.clone()).collect();
        let originals: Vec<String> = pseudonyms.iter().map(|(_, o)| o.clone()).collect();
        let original_set = originals.iter().cloned().collect();
        let finder = Literals::new(&placeholders);
        let longest = placeholders.iter().map(String::len).max().unwrap_or(0);
        Restorer {
            finder,
            originals,
            original_set,
            placeholders,
            longest,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.finder.is_none()
    }

    /// Whether `value` is one of the values this table puts back: the
    /// client's own, which an answer scanned after restoring may hold.
    pub fn puts_back(&self, value: &str) -> bool {
        self.original_set.contains(value)
    }

    /// Every placeholder in `text` replaced; `None` when there is none.
    pub fn restore(&self, text: &str) -> Option<String> {
        let set = self.finder.as_ref()?;
        set.replace_all(text, &self.originals)
            .map(|(restored, _)| restored)
    }

    /// The length of the longest tail of `text` that is a proper prefix of some
    /// placeholder. Only tails starting at a `[` within the last `longest` bytes
    /// can be, so this is bounded by the placeholder length, not the text length.
    fn open_tail(&self, text: &str) -> usize {
        let window_start = text.len().saturating_sub(self.longest);
        let mut i = text.len();
        while let Some(pos) = text.get(..i).and_then(|t| t.rfind('[')) {
            if pos < window_start {
                break;
            }
            let tail = text.get(pos..).unwrap_or_default();
            if self
                .placeholders
                .iter()
                .any(|p| p.len() > tail.len() && p.starts_with(tail))
            {
                return tail.len();
            }
            i = pos;
        }
        0
    }
}

/// Restores one channel of streamed text (one choice, one content block) with
/// the table of its request.
#[derive(Debug, Default)]
pub struct StreamRestorer {
    held: String,
}

impl StreamRestorer {
    /// Takes the next piece of text and returns what can go out now.
    pub fn push(&mut self, table: &Restorer, piece: &str) -> String {
        if table.is_empty() {
            return piece.to_string();
        }
        let mut text = std::mem::take(&mut self.held);
        text.push_str(piece);
        let open = table.open_tail(&text);
        let cut = text.len() - open;
        self.held = text.get(cut..).unwrap_or_default().to_string();
        text.truncate(cut);
        table.restore(&text).unwrap_or(text)
    }

    /// Whether text is being held back.
    pub fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// The end of the channel: whatever was held goes out as it is.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn table() -> Restorer {
        Restorer::new(&[
            ("[EMAIL_1]".into(), "ann@example.com".into()),
            ("[PHONE_1]".into(), "13812345678".into()),
            ("[PHONE_10]".into(), "13900000000".into()),
        ])
    }

    #[test]
    fn restores_whole_text() {
        let t = table();
        assert_eq!(
            t.restore("mail [EMAIL_1], call [PHONE_10] or [PHONE_1]")
                .unwrap(),
            "mail ann@example.com, call 13900000000 or 13812345678"
        );
        assert_eq!(t.restore("nothing [EMAIL_2] here"), None);
    }

    #[test]
    fn every_split_point_gives_the_same_text() {
        let t = table();
        let answer = "Write to [EMAIL_1] [or] [PHONE_1][PHONE_10] [EMA";
        let want = "Write to ann@example.com [or] 1381234567813900000000 [EMA";
        for a in 0..=answer.len() {
            for b in a..=answer.len() {
                let mut s = StreamRestorer::default();
                let mut out = String::new();
                for piece in [&answer[..a], &answer[a..b], &answer[b..]] {
                    out.push_str(&s.push(&t, piece));
                }
                out.push_str(&s.finish());
                assert_eq!(out, want, "split at {a},{b}");
            }
        }
    }

    #[test]
    fn holds_back_only_a_possible_placeholder() {
        let t = table();
        let mut s = StreamRestorer::default();
        assert_eq!(s.push(&t, "hello [EM"), "hello ");
        assert!(s.is_holding());
        assert_eq!(s.push(&t, "AIL_1] and [x"), "ann@example.com and [x");
        assert!(!s.is_holding());
    }
}
