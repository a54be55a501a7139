//! Whether a text is German, as far as the prompt estimate needs to know: its
//! word costs are calibrated on English, whose words `o200k_base` mostly holds
//! whole, while German compounds split into several tokens
//! (`Kündigungsfristen`: four). Left alone the estimate runs about 15 % short
//! on German prose; French and Spanish stay within a few percent and need
//! nothing.
//!
//! German is told by its umlauts and `ß` in words that start in lower case
//! (`für`, `können`, `möchte`, `gemäß`): an English text that names a person
//! or a place (`Jürgen Müller`, `Düsseldorf`) has them only in capitalised
//! words, which are not counted.

/// Umlauts and `ß` seen inside words that start in lower case.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct German {
    markers: u32,
}

/// Markers per thousand estimated tokens at which a text counts as wholly
/// German (German prose in `corpus/estimator/` has 0 to 75; most of it
/// 25 to 75).
const FULL_PER_THOUSAND: u64 = 40;
/// Below this many per thousand tokens nothing is added: one `über` or
/// `Gemütlichkeit` in an English text is no reason to scale it.
const LEAST_PER_THOUSAND: u64 = 10;
/// What is added to the estimate of a wholly German text, in thousandths
/// (calibrated on `corpus/estimator/`, see its README).
const EXTRA_MILLI: u64 = 200;

impl German {
    /// Whether `c` is a marker: an umlaut or `ß`, in lower case.
    #[inline]
    pub(super) fn is_marker(c: char) -> bool {
        matches!(c, 'ä' | 'ö' | 'ü' | 'ß')
    }

    /// Counts a marker, if the word it is in started with a lower-case letter
    /// (or starts with the marker).
    #[inline]
    pub(super) fn count(&mut self, lower_word: bool) {
        if lower_word {
            self.markers = self.markers.saturating_add(1);
        }
    }

    /// The factor, in thousandths, for a text whose estimate is `milli`
    /// thousandths of a token: 1000 for a text that is not German, up to
    /// `1000 + EXTRA_MILLI` the more markers per token.
    pub(super) fn factor_milli(&self, milli: u64) -> u64 {
        let tokens = (milli / 1000).max(1);
        let per_thousand = u64::from(self.markers).saturating_mul(1000) / tokens;
        if per_thousand < LEAST_PER_THOUSAND {
            return 1000;
        }
        1000 + EXTRA_MILLI * per_thousand.min(FULL_PER_THOUSAND) / FULL_PER_THOUSAND
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn german(markers: u32) -> German {
        German { markers }
    }

    #[test]
    fn factors() {
        // (markers, estimate in tokens, factor in thousandths)
        let cases = [
            (0, 0, 1000),
            (0, 100, 1000),
            // Under ten per thousand tokens: not German.
            (1, 101, 1000),
            (1, 100, 1050),
            // Half way, full, and no more past full.
            (2, 100, 1100),
            (4, 100, 1200),
            (8, 100, 1200),
            // A short text: one marker in a few tokens.
            (1, 3, 1200),
        ];
        for (markers, tokens, want) in cases {
            assert_eq!(
                german(markers).factor_milli(tokens * 1000),
                want,
                "{markers} in {tokens}"
            );
        }
    }

    #[test]
    fn markers_are_lower_case_umlauts_and_eszett() {
        let markers: String = "aäöüßÄÖÜẞéèñçÿ"
            .chars()
            .filter(|&c| German::is_marker(c))
            .collect();
        assert_eq!(markers, "äöüß");
    }

    #[test]
    fn only_markers_in_lower_case_words_count() {
        let mut g = German::default();
        for lower_word in [true, false, true] {
            g.count(lower_word);
        }
        assert_eq!(g, german(2));
    }
}
