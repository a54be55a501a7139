//! Prompt token estimation without a vocabulary.
//!
//! The exact OpenAI tokenizers embed a vocabulary of 200,000 entries, far too big for
//! the filter's .wasm. This module instead mimics the two stages of `o200k_base`:
//!
//! 1. The pre-tokenizer splits text into pieces: a word with at most one leading
//!    space or punctuation mark, digits in groups of up to three, a punctuation run
//!    with an optional leading space and trailing newlines, and whitespace runs
//!    whose last space goes to the following word. The state machine below follows
//!    those rules (closely, not exactly).
//! 2. Byte-pair encoding then turns each piece into one or more tokens. That stage
//!    needs the vocabulary, so each piece is given a cost instead, by character
//!    class and length, calibrated against `o200k_base` on English prose, Chinese
//!    prose, mixed text, code and JSON: a common word with its leading space is one
//!    token, long words cost more, a group of up to three digits is one token,
//!    whitespace runs are one token. Chinese is where a flat rate per character
//!    fails (from 0.7 token a character in technical text to 1.0 in a story), so
//!    Han characters are paired greedily against the 2,408 two-character tokens of
//!    `o200k_base` (a 10 KB table, [`super::cjk_pairs`]): a known pair is one
//!    token, any other character one token. German words split into more pieces
//!    than English ones of the same length; a text told as German by its umlauts
//!    ([`super::languages`]) is scaled up by as much as a fifth.
//!
//! Costs are kept in thousandths of a token so that fractional costs add up without
//! floating point. Counting is one pass over the characters, with no allocation, and
//! [`TokenCounter`] carries its state across chunks: feeding a text in pieces gives
//! the same count as feeding it whole, which lets a stream be counted as it flows.
//!
//! Anthropic publishes no tokenizer for its current models. For them the same
//! estimate is scaled by [`ANTHROPIC_FACTOR_MILLI`]: Claude's tokenizers have been
//! measured to produce noticeably more tokens than `o200k_base` for the same text,
//! and a budget is better served by reserving a little too much (settlement uses the
//! usage the provider reports) than too little.

use super::cjk_pairs::CJK_PAIRS;
use super::languages::German;
use crate::chunks;

/// Thousandths of a token per Han segment (a known pair or a single character).
const HAN_TOKEN_MILLI: u64 = 1000;

/// Which provider's tokenizer the estimate should approximate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenizerFamily {
    /// `o200k_base` (GPT-4o, GPT-4.1, o-series and later).
    OpenAi,
    /// Claude: the OpenAI estimate scaled by [`ANTHROPIC_FACTOR_MILLI`].
    Anthropic,
}

/// Anthropic estimate = OpenAI estimate × this / 1000 (an approximation that leans
/// high; see the module documentation).
pub const ANTHROPIC_FACTOR_MILLI: u64 = 1250;

/// Estimated tokens in `text` for the given tokenizer family.
pub fn estimate_tokens(text: &str, family: TokenizerFamily) -> u32 {
    let mut counter = TokenCounter::new(family);
    counter.push(text);
    counter.total()
}

/// Tokens a chat request spends on message framing, as OpenAI's cookbook counts
/// them: about 3 per message (role and separators) plus 3 priming the reply.
pub fn estimate_request_overhead(messages: usize) -> u32 {
    let messages = u32::try_from(messages).unwrap_or(u32::MAX);
    messages.saturating_mul(3).saturating_add(3)
}

/// A streaming token estimate: push text in any number of pieces, read the total
/// at any time. The result equals [`estimate_tokens`] on the concatenated text.
#[derive(Debug, Clone)]
pub struct TokenCounter {
    family: TokenizerFamily,
    /// Thousandths of a token for the pieces already closed.
    closed_milli: u64,
    run: Run,
    /// Whether the text is German (see `languages`).
    german: German,
}

impl TokenCounter {
    pub fn new(family: TokenizerFamily) -> TokenCounter {
        TokenCounter {
            family,
            closed_milli: 0,
            run: Run::Start,
            german: German::default(),
        }
    }

    /// Count more text.
    pub fn push(&mut self, text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            // Runs of ASCII lower-case letters, spaces and digits that extend the
            // open piece are counted in bulk: most of a prose or code body is
            // such runs, and the per-character state machine below costs several
            // times more per byte.
            let bulk = self.extend_run(rest.as_bytes());
            let mut chars = rest.get(bulk..).unwrap_or_default().chars();
            if let Some(c) = chars.next() {
                // The bulk paths take ASCII and CJK only: every umlaut passes
                // here. It counts inside a word that started in lower case, or
                // starting one (markers are lower-case letters).
                if German::is_marker(c) {
                    let lower_word = match &self.run {
                        Run::Word(word) if word.letters > 0 => word.upper == 0,
                        _ => true,
                    };
                    self.german.count(lower_word);
                }
                self.step(classify(c));
            }
            rest = chars.as_str();
        }
    }

    /// Counts the ASCII text `bytes` starts with for as long as it is made of
    /// the common cases (letters, spaces, digits, a punctuation mark between
    /// words), changing the open piece in place; how many bytes it took. Gives
    /// the same state as stepping through those bytes one by one (a test checks
    /// this against the state machine on the whole corpus).
    fn extend_run(&mut self, bytes: &[u8]) -> usize {
        fn count(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
            bytes.iter().take_while(|&&b| pred(b)).count()
        }
        fn is_space(b: u8) -> bool {
            matches!(b, b' ' | b'\t' | 0x0C)
        }
        fn ascii_letter(b: u8) -> Letter {
            let case = if b.is_ascii_uppercase() {
                Case::Upper
            } else {
                Case::Lower
            };
            Letter {
                script: Script::Alphabet(0),
                case,
            }
        }
        let mut i = 0;
        loop {
            let rest = bytes.get(i..).unwrap_or_default();
            let Some(&b) = rest.first() else {
                return i;
            };
            match &mut self.run {
                Run::Word(word) if b.is_ascii_lowercase() => {
                    let n = lower_run(rest);
                    word.push(ascii_letter(b));
                    word.letters = word.letters.saturating_add(saturating_u32(n - 1));
                    i += n;
                }
                // Lead bytes of U+4000..=U+9FFF: the main Han block, mostly.
                Run::Word(word) if (0xE4..=0xE9).contains(&b) => {
                    let n = word.push_han_run(rest);
                    if n == 0 {
                        return i;
                    }
                    i += n;
                }
                // A CJK mark after a word closes it, as `step` would: Chinese
                // text has one every dozen characters or so.
                Run::Word(word) if (0xE2..=0xEF).contains(&b) => {
                    let Some(Class::Symbol(c)) = three_byte_char(rest).map(classify) else {
                        return i;
                    };
                    let cost = word.cost();
                    self.close(cost);
                    // Han characters right after it take the mark as their
                    // prefix, as the branch below would, without a second
                    // pass through this loop (most marks in Chinese prose).
                    let after = rest.get(3..).unwrap_or_default();
                    if after.first().is_some_and(|b| (0xE4..=0xE9).contains(b)) {
                        let mut next = Word::new(Prefix::Mark(width(c)));
                        let n = next.push_han_run(after);
                        if n > 0 {
                            self.run = Run::Word(next);
                            i += 3 + n;
                            continue;
                        }
                    }
                    self.run = Run::Punct(Punct::new(false, c));
                    i += 3;
                }
                // Han characters after a single mark: the mark is the prefix of
                // their word, as `step` would make it.
                Run::Punct(p) if (0xE4..=0xE9).contains(&b) && p.is_single_mark() => {
                    let mut word = Word::new(Prefix::Mark(width(p.first)));
                    let n = word.push_han_run(rest);
                    if n == 0 {
                        return i;
                    }
                    self.run = Run::Word(word);
                    i += n;
                }
                Run::Word(word) if b.is_ascii_uppercase() && !word.last_lower => {
                    word.push(ascii_letter(b));
                    i += 1;
                }
                Run::Word(word) if is_space(b) => {
                    let cost = word.cost();
                    self.close(cost);
                    self.run = Run::Space {
                        spaces: 1,
                        newline: false,
                    };
                    i += 1;
                }
                Run::Word(word) if b.is_ascii_punctuation() => {
                    let cost = word.cost();
                    self.close(cost);
                    self.run = Run::Punct(Punct::new(false, char::from(b)));
                    i += 1;
                }
                Run::Space { spaces, .. } if is_space(b) => {
                    let n = count(rest, is_space);
                    *spaces = spaces.saturating_add(saturating_u32(n));
                    i += n;
                }
                Run::Space { spaces, newline } if b.is_ascii_alphabetic() => {
                    let (spaces, newline) = (*spaces, *newline);
                    self.close(whitespace_cost(newline, spaces.saturating_sub(1)));
                    let prefix = if spaces > 0 {
                        Prefix::Space
                    } else {
                        Prefix::None
                    };
                    i += self.ascii_words(rest, prefix);
                }
                Run::Digits(digits) if b.is_ascii_digit() => {
                    let n = count(rest, |b| b.is_ascii_digit());
                    *digits = digits.saturating_add(saturating_u32(n));
                    i += n;
                }
                Run::Punct(p) if is_space(b) && p.newlines == 0 => {
                    let cost = p.cost();
                    self.close(cost);
                    self.run = Run::Space {
                        spaces: 1,
                        newline: false,
                    };
                    i += 1;
                }
                _ => return i,
            }
        }
    }

    /// Counts the ASCII words `bytes` starts with (it starts with a letter),
    /// the first with `prefix`, without building a [`Word`] for each: a word
    /// that ends at an ASCII byte is costed and closed at once, and the pass
    /// goes on past that byte. Only a word that reaches the end of `bytes` or a
    /// non-ASCII character is left open. How many bytes it took.
    fn ascii_words(&mut self, bytes: &[u8], mut prefix: Prefix) -> usize {
        let mut i = 0;
        loop {
            // Eight bytes of lower-case words and single spaces: the words
            // that end in them are costed at once (most of English prose).
            if let Some((taken, cost)) = spaced_words(bytes.get(i..).unwrap_or_default(), prefix) {
                self.close(cost);
                prefix = Prefix::Space;
                i += taken;
                continue;
            }
            // A word is capitals then lower-case letters: a capital after a
            // lower-case letter starts the next word (camelCase splits there).
            let rest = bytes.get(i..).unwrap_or_default();
            let capitals = rest.iter().take_while(|b| b.is_ascii_uppercase()).count();
            let lower = lower_run(rest.get(capitals..).unwrap_or_default());
            i += capitals + lower;
            let (letters, upper) = (saturating_u32(capitals + lower), saturating_u32(capitals));
            let last_lower = lower > 0;
            let next = bytes.get(i).copied();
            match next {
                // The word may go on: leave it open.
                None => {
                    self.run = Run::Word(Word::ascii(prefix, letters, upper, last_lower));
                    return i;
                }
                Some(b) if !b.is_ascii() => {
                    self.run = Run::Word(Word::ascii(prefix, letters, upper, last_lower));
                    return i;
                }
                Some(b) => {
                    self.close(latin_word_cost(prefix, letters, upper));
                    if b.is_ascii_alphabetic() {
                        // A capital after a lower-case letter starts a new word.
                        prefix = Prefix::None;
                        continue;
                    }
                    // One space, then a letter: the space costs nothing and
                    // the next word takes it as its prefix, as the state
                    // machine would, without leaving this loop (most of prose).
                    if b == b' ' && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
                        prefix = Prefix::Space;
                        i += 1;
                        continue;
                    }
                    // The same after one mark that ends a word (", ", ". "):
                    // the mark is a piece of its own, the space joins the word.
                    if matches!(b, b',' | b'.' | b';' | b':' | b'!' | b'?')
                        && bytes.get(i + 1) == Some(&b' ')
                        && bytes.get(i + 2).is_some_and(u8::is_ascii_alphabetic)
                    {
                        self.close(Punct::new(false, char::from(b)).cost());
                        prefix = Prefix::Space;
                        i += 2;
                        continue;
                    }
                    self.run = Run::begin(classify(char::from(b)), Prefix::None);
                    return i + 1;
                }
            }
        }
    }

    /// Estimated tokens so far (the open piece included).
    pub fn total(&self) -> u32 {
        let milli = self.closed_milli.saturating_add(self.run.cost());
        let milli = milli.saturating_mul(self.german.factor_milli(milli)) / 1000;
        let milli = match self.family {
            TokenizerFamily::OpenAi => milli,
            TokenizerFamily::Anthropic => milli.saturating_mul(ANTHROPIC_FACTOR_MILLI) / 1000,
        };
        // Round to the nearest token; any non-empty text is at least one token.
        let tokens = milli.saturating_add(500) / 1000;
        let tokens = if tokens == 0 && milli > 0 { 1 } else { tokens };
        u32::try_from(tokens).unwrap_or(u32::MAX)
    }

    fn close(&mut self, cost: u64) {
        self.closed_milli = self.closed_milli.saturating_add(cost);
    }

    fn step(&mut self, class: Class) {
        // Most characters extend the piece being read: do that in place.
        match (&mut self.run, class) {
            (Run::Word(word), Class::Letter(letter))
                if !(word.last_lower && letter.case == Case::Upper) =>
            {
                word.push(letter);
                return;
            }
            (Run::Space { spaces, .. }, Class::Space) => {
                *spaces = spaces.saturating_add(1);
                return;
            }
            (Run::Digits(n), Class::Digit) => {
                *n = n.saturating_add(1);
                return;
            }
            (Run::Punct(p), Class::Symbol(c)) if p.newlines == 0 => {
                p.push(c);
                return;
            }
            _ => {}
        }
        let next = match (self.run, class) {
            (Run::Start, class) => Run::begin(class, Prefix::None),

            (Run::Space { spaces, newline }, Class::Space) => Run::Space {
                spaces: spaces.saturating_add(1),
                newline,
            },
            // Spaces before a newline belong to the newline's piece.
            (Run::Space { .. }, Class::Newline) => Run::Space {
                spaces: 0,
                newline: true,
            },
            // Before digits no space is absorbed: every whitespace piece stands.
            (Run::Space { spaces, newline }, Class::Digit) => {
                self.close(whitespace_cost(newline, spaces));
                Run::begin(class, Prefix::None)
            }
            // Before a word or punctuation the last space joins the next piece.
            (Run::Space { spaces, newline }, class) => {
                let absorbed = spaces > 0;
                self.close(whitespace_cost(newline, spaces.saturating_sub(1)));
                Run::begin(
                    class,
                    if absorbed {
                        Prefix::Space
                    } else {
                        Prefix::None
                    },
                )
            }

            (Run::Word(word), Class::Letter(letter)) => {
                if word.last_lower && letter.case == Case::Upper {
                    // camelCase splits before the capital.
                    self.close(word.cost());
                    Run::begin(class, Prefix::None)
                } else {
                    Run::Word(word.and(letter))
                }
            }
            (Run::Word(word), class) => {
                self.close(word.cost());
                Run::begin(class, Prefix::None)
            }

            (Run::Digits(n), Class::Digit) => Run::Digits(n.saturating_add(1)),
            (Run::Digits(n), class) => {
                self.close(digits_cost(n));
                Run::begin(class, Prefix::None)
            }

            // Newlines and slashes after marks stay in the marks' piece ("}\n\n//").
            (Run::Punct(p), Class::Newline) => Run::Punct(Punct {
                newlines: p.newlines.saturating_add(1),
                ..p
            }),
            (Run::Punct(p), Class::Symbol('/')) if p.newlines > 0 => Run::Punct(p),
            // A single mark right before a word is that word's prefix.
            (Run::Punct(p), Class::Letter(letter)) if p.is_single_mark() => {
                Run::Word(Word::new(Prefix::Mark(width(p.first))).and(letter))
            }
            (Run::Punct(p), class) => {
                self.close(p.cost());
                Run::begin(class, Prefix::None)
            }
        };
        self.run = next;
    }
}

/// The piece being read.
#[derive(Debug, Clone, Copy)]
enum Run {
    Start,
    /// A whitespace run: spaces since the last newline, and whether it holds one.
    Space {
        spaces: u32,
        newline: bool,
    },
    Word(Word),
    Digits(u32),
    Punct(Punct),
}

impl Run {
    fn begin(class: Class, prefix: Prefix) -> Run {
        match class {
            Class::Space => Run::Space {
                spaces: 1,
                newline: false,
            },
            Class::Newline => Run::Space {
                spaces: 0,
                newline: true,
            },
            Class::Letter(letter) => Run::Word(Word::new(prefix).and(letter)),
            Class::Digit => Run::Digits(1),
            Class::Symbol(c) => Run::Punct(Punct::new(prefix == Prefix::Space, c)),
        }
    }

    /// Cost of the piece if the text ended here.
    fn cost(&self) -> u64 {
        match *self {
            Run::Start => 0,
            Run::Space { spaces, newline } => whitespace_cost(newline, spaces),
            Run::Word(word) => word.cost(),
            Run::Digits(n) => digits_cost(n),
            Run::Punct(p) => p.cost(),
        }
    }
}

/// What the pre-tokenizer glued in front of a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    None,
    Space,
    Mark(Width),
}

#[derive(Debug, Clone, Copy)]
struct Word {
    prefix: Prefix,
    /// Letters of alphabets (Latin, Cyrillic, Greek, Arabic, ...).
    letters: u32,
    upper: u32,
    /// What non-ASCII letters cost on top of the word's length-based cost.
    letters_extra_milli: u64,
    /// Tokens for Han characters, counting a known pair as one.
    han: u32,
    /// A Han character that may still pair with the next one.
    han_pending: Option<u16>,
    /// Kana, Hangul and rarer Han, in thousandths of a token.
    cjk_milli: u64,
    /// The script of the first letter.
    lead: Option<Lead>,
    last_lower: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lead {
    Alphabet,
    Cjk,
}

impl Word {
    fn new(prefix: Prefix) -> Word {
        Word {
            prefix,
            letters: 0,
            upper: 0,
            letters_extra_milli: 0,
            han: 0,
            han_pending: None,
            cjk_milli: 0,
            lead: None,
            last_lower: false,
        }
    }

    /// A word of `letters` ASCII letters, `upper` of them capitals.
    fn ascii(prefix: Prefix, letters: u32, upper: u32, last_lower: bool) -> Word {
        Word {
            letters,
            upper,
            lead: Some(Lead::Alphabet),
            last_lower,
            ..Word::new(prefix)
        }
    }

    fn and(mut self, letter: Letter) -> Word {
        self.push(letter);
        self
    }

    /// Pushes the characters of the main Han block `bytes` starts with (a
    /// `str`'s bytes, so each is a whole UTF-8 sequence); how many bytes that
    /// took. The same as pushing each as a [`Letter`], without classifying it.
    fn push_han_run(&mut self, bytes: &[u8]) -> usize {
        let pairs = PairSet::get();
        let (mut han, mut pending) = (self.han, self.han_pending);
        let mut taken = 0;
        while let Some(c) = bytes.get(taken..).and_then(three_byte_code) {
            let Some(second) = (0x4E00..=0x9FFF)
                .contains(&c)
                .then(|| u16::try_from(c - 0x4E00).ok())
                .flatten()
            else {
                break;
            };
            pending = match pending {
                Some(first) if pairs.is_pair(first, second) => {
                    han = han.saturating_add(1);
                    None
                }
                Some(_) => {
                    han = han.saturating_add(1);
                    Some(second)
                }
                None => Some(second),
            };
            taken += 3;
        }
        if taken > 0 {
            if self.lead.is_none() {
                self.lead = Some(Lead::Cjk);
            }
            (self.han, self.han_pending) = (han, pending);
            self.last_lower = false;
        }
        taken
    }

    fn push(&mut self, letter: Letter) {
        if self.lead.is_none() {
            self.lead = Some(match letter.script {
                Script::Alphabet(_) => Lead::Alphabet,
                Script::Han(_) | Script::Cjk(_) => Lead::Cjk,
            });
        }
        let pending = self.han_pending.take();
        if let Script::Han(second) = letter.script {
            match pending {
                // Greedy left to right: a known pair is one token.
                Some(first) if is_han_pair(first, second) => self.han = self.han.saturating_add(1),
                Some(_) => {
                    self.han = self.han.saturating_add(1);
                    self.han_pending = Some(second);
                }
                None => self.han_pending = Some(second),
            }
        } else if pending.is_some() {
            self.han = self.han.saturating_add(1);
        }
        match letter.script {
            Script::Han(_) => {}
            Script::Alphabet(extra) => {
                self.letters = self.letters.saturating_add(1);
                self.letters_extra_milli =
                    self.letters_extra_milli.saturating_add(u64::from(extra));
            }
            Script::Cjk(milli) => {
                self.cjk_milli = self.cjk_milli.saturating_add(u64::from(milli));
            }
        }
        if letter.case == Case::Upper {
            self.upper = self.upper.saturating_add(1);
        }
        self.last_lower = letter.case == Case::Lower;
    }

    fn cost(&self) -> u64 {
        // Alphabets with spaces between words cost by word length; non-ASCII
        // letters a little more.
        let latin_like = self.letters;
        let mut milli = 0u64;
        // The glued prefix matters for the script the word starts with.
        let prefix = |lead: Lead| {
            if self.lead == Some(lead) {
                self.prefix
            } else {
                Prefix::None
            }
        };
        if latin_like > 0 {
            milli += latin_word_cost(prefix(Lead::Alphabet), latin_like, self.upper);
            milli += self.letters_extra_milli;
        }
        let han = self
            .han
            .saturating_add(u32::from(self.han_pending.is_some()));
        if han > 0 || self.cjk_milli > 0 {
            milli += u64::from(han) * HAN_TOKEN_MILLI + self.cjk_milli;
            // The prefix seldom merges with a CJK character.
            milli += match prefix(Lead::Cjk) {
                Prefix::None => 0,
                Prefix::Space => 600,
                Prefix::Mark(_) => 900,
            };
        }
        milli
    }
}

#[derive(Debug, Clone, Copy)]
struct Punct {
    /// Whether a space was glued in front.
    spaced: bool,
    first: char,
    last: char,
    /// ASCII marks, not counting immediate repeats.
    ascii: u32,
    /// ASCII marks repeating the one before ("-----", "=====").
    repeats: u32,
    /// Non-ASCII marks: CJK punctuation, symbols.
    wide: u32,
    emoji: u32,
    newlines: u32,
}

impl Punct {
    fn new(spaced: bool, first: char) -> Punct {
        let mut punct = Punct {
            spaced,
            first,
            last: first,
            ascii: 0,
            repeats: 0,
            wide: 0,
            emoji: 0,
            newlines: 0,
        };
        punct.count(first);
        punct
    }

    fn push(&mut self, c: char) {
        if c.is_ascii() && c == self.last {
            self.repeats = self.repeats.saturating_add(1);
            return;
        }
        self.last = c;
        self.count(c);
    }

    fn count(&mut self, c: char) {
        match width(c) {
            Width::Ascii => self.ascii = self.ascii.saturating_add(1),
            Width::Wide => self.wide = self.wide.saturating_add(1),
            Width::Emoji => self.emoji = self.emoji.saturating_add(1),
        }
    }

    fn is_single_mark(&self) -> bool {
        !self.spaced
            && self.newlines == 0
            && self.repeats == 0
            && self
                .ascii
                .saturating_add(self.wide)
                .saturating_add(self.emoji)
                == 1
    }

    fn cost(&self) -> u64 {
        // Runs of up to three ASCII marks ("),", "{\"", "();") are usually one
        // token; longer runs add about 0.4 token a mark, and a repeated mark in a
        // rule line ("-----") about a thirtieth.
        let ascii = match self.ascii {
            0 => 0,
            1..=3 => 1000,
            n => 1000 + u64::from(n - 3) * 400,
        };
        ascii
            + u64::from(self.repeats) * 30
            + u64::from(self.wide) * 1000
            + u64::from(self.emoji) * 1300
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Upper,
    Lower,
    /// CJK and other caseless letters.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// A letter of an alphabet, with what it costs on top of an ASCII letter in
    /// thousandths of a token.
    Alphabet(u16),
    /// A Han ideograph in U+4E00..=U+9FFF, as its offset from U+4E00.
    Han(u16),
    /// Kana, Hangul and rarer Han, with their cost in thousandths of a token.
    Cjk(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Letter {
    script: Script,
    case: Case,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Width {
    #[default]
    Ascii,
    Wide,
    Emoji,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter(Letter),
    Digit,
    Space,
    Newline,
    /// Anything else: punctuation, symbols, emoji.
    Symbol(char),
}

fn classify(c: char) -> Class {
    if c.is_ascii() {
        return match c {
            'a'..='z' => Class::Letter(Letter {
                script: Script::Alphabet(0),
                case: Case::Lower,
            }),
            'A'..='Z' => Class::Letter(Letter {
                script: Script::Alphabet(0),
                case: Case::Upper,
            }),
            '0'..='9' => Class::Digit,
            '\n' | '\r' => Class::Newline,
            c if c.is_ascii_whitespace() => Class::Space,
            c => Class::Symbol(c),
        };
    }
    if let Some(offset) = han_offset(c) {
        return Class::Letter(Letter {
            script: Script::Han(offset),
            case: Case::None,
        });
    }
    if let Some(milli) = cjk_char_milli(c) {
        return Class::Letter(Letter {
            script: Script::Cjk(milli),
            case: Case::None,
        });
    }
    if is_common_punctuation(c) {
        return Class::Symbol(c);
    }
    if c.is_alphabetic() {
        let case = if c.is_lowercase() {
            Case::Lower
        } else if c.is_uppercase() {
            Case::Upper
        } else {
            Case::None
        };
        let extra = match u32::from(c) {
            // Latin with diacritics: words of other European languages.
            0x00C0..=0x024F => 300,
            // Greek and Cyrillic: well covered by the vocabulary.
            0x0370..=0x052F => 100,
            _ => 170,
        };
        return Class::Letter(Letter {
            script: Script::Alphabet(extra),
            case,
        });
    }
    if c.is_numeric() {
        return Class::Digit;
    }
    if c.is_whitespace() {
        return Class::Space;
    }
    Class::Symbol(c)
}

/// Punctuation of Chinese and typeset text (`，。、：“”《》…`), answered without
/// the slower Unicode property lookups below (a test checks these are neither
/// letters, digits nor spaces).
fn is_common_punctuation(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2027}'
            | '\u{3001}'..='\u{3003}'
            | '\u{3008}'..='\u{3011}'
            | '\u{FF01}'..='\u{FF0F}'
            | '\u{FF1A}'..='\u{FF20}'
    )
}

fn width(c: char) -> Width {
    if c.is_ascii() {
        Width::Ascii
    } else if c.len_utf8() >= 4 {
        Width::Emoji
    } else {
        Width::Wide
    }
}

/// Thousandths of a token per character of kana, Hangul and the rarer Han blocks
/// (the main Han block goes through the pair table instead).
fn cjk_char_milli(c: char) -> Option<u16> {
    match c {
        '\u{3040}'..='\u{30FF}' => Some(650), // hiragana, katakana
        '\u{AC00}'..='\u{D7AF}' => Some(620), // Hangul syllables
        // Han extension A, compatibility ideographs, extensions B and later: rare,
        // mostly several tokens each.
        '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}' => Some(1500),
        _ => None,
    }
}

fn han_offset(c: char) -> Option<u16> {
    let offset = u32::from(c).checked_sub(0x4E00)?;
    if offset <= 0x9FFF - 0x4E00 {
        u16::try_from(offset).ok()
    } else {
        None
    }
}

fn is_han_pair(first: u16, second: u16) -> bool {
    PairSet::get().is_pair(first, second)
}

/// [`CJK_PAIRS`] as an open-addressing hash set: one or two probes where a
/// binary search took a dozen mispredicted branches (it was most of the time
/// spent on Chinese text).
struct PairSet {
    /// A bit per character of the main Han block: does it start any pair?
    /// Most do not, and the bitmap stays in the nearest cache.
    starts: Vec<u64>,
    slots: Vec<u32>,
}

impl PairSet {
    /// No pair has this key: both halves are offsets below 0x5200.
    const EMPTY: u32 = u32::MAX;
    /// 2^13 slots for 2,408 pairs: under a third full.
    const BITS: u32 = 13;

    fn get() -> &'static PairSet {
        static SET: std::sync::OnceLock<PairSet> = std::sync::OnceLock::new();
        SET.get_or_init(|| {
            let mut slots = vec![Self::EMPTY; 1 << Self::BITS];
            let mask = slots.len() - 1;
            for &key in CJK_PAIRS.iter() {
                let mut at = Self::slot(key);
                while let Some(slot) = slots.get_mut(at) {
                    if *slot == Self::EMPTY || *slot == key {
                        *slot = key;
                        break;
                    }
                    at = (at + 1) & mask;
                }
            }
            let mut starts = vec![0u64; (0x9FFF - 0x4E00) / 64 + 1];
            for key in CJK_PAIRS {
                let first = (key >> 16) as usize;
                if let Some(word) = starts.get_mut(first / 64) {
                    *word |= 1 << (first % 64);
                }
            }
            PairSet { starts, slots }
        })
    }

    /// Whether the Han characters at offsets `first`, `second` (from U+4E00)
    /// are one token together.
    fn is_pair(&self, first: u16, second: u16) -> bool {
        let starts = self
            .starts
            .get(usize::from(first) / 64)
            .is_some_and(|word| word & (1 << (first % 64)) != 0);
        starts && self.contains(u32::from(first) << 16 | u32::from(second))
    }

    fn slot(key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B1) >> (32 - Self::BITS)) as usize
    }

    fn contains(&self, key: u32) -> bool {
        let mask = self.slots.len() - 1;
        let mut at = Self::slot(key);
        // The set is never full, so an empty slot ends every probe sequence.
        while let Some(&slot) = self.slots.get(at) {
            if slot == key {
                return true;
            }
            if slot == Self::EMPTY {
                return false;
            }
            at = (at + 1) & mask;
        }
        false
    }
}

/// What the letters of an alphabet cost, by length, capitals and what was
/// glued in front.
fn latin_word_cost(prefix: Prefix, letters: u32, upper: u32) -> u64 {
    // Words in capitals past the first letter split into more tokens.
    let shouting = upper > 1 && upper.saturating_mul(2) > letters;
    match (shouting, prefix) {
        (true, Prefix::Mark(Width::Wide | Width::Emoji)) => upper_word_cost(letters) + 1000,
        (true, _) => upper_word_cost(letters),
        (false, Prefix::Space) => spaced_word_cost(letters),
        (false, Prefix::None) => bare_word_cost(letters),
        (false, Prefix::Mark(Width::Ascii)) => bare_word_cost(letters) + 100,
        // CJK punctuation and symbols do not merge with Latin letters.
        (false, Prefix::Mark(_)) => bare_word_cost(letters) + 1000,
    }
}

/// How many ASCII lower-case letters `bytes` starts with, tested sixteen
/// bytes at a time: most of prose is such runs.
fn lower_run(bytes: &[u8]) -> usize {
    chunks::find(bytes, 0, |x| x.within(b'a', b'z').not()).unwrap_or(bytes.len())
}

/// Lower-case words with one space between them, from the start of `bytes`
/// (a word start with `prefix`), sixteen bytes at a time: most of English
/// prose. Each word that ends at a space followed by a letter is costed as
/// the state machine would (the first with `prefix`, the others after a
/// space, all without capitals); the total, and how many bytes that took (up
/// to and with the last such space, so the word loop reads the word after it
/// in full). `None` when not even the first word ends so.
fn spaced_words(bytes: &[u8], prefix: Prefix) -> Option<(usize, u64)> {
    let (mut cost, mut taken) = (0, 0);
    // Where the word being read starts, and whether it is the first.
    let (mut word_start, mut first) = (0, true);
    // A space that ended the last chunk: it counts once the next byte is a letter.
    let mut pending: Option<usize> = None;
    let mut at = 0;
    while let Some(x) = chunks::load(bytes, at) {
        let lower = x.within(b'a', b'z').bits();
        let spaces = x.eq(b' ').bits();
        // Only letters and single spaces. The first byte may be a space
        // only after a letter: `bytes` starts with a word, and a space that
        // ended the last chunk must be followed by a letter.
        let fits = lower | spaces == u16::MAX
            && spaces & (spaces << 1) == 0
            && (lower & 1 != 0 || (at > 0 && pending.is_none()));
        if !fits {
            break;
        }
        let mut end_at = |space: usize| {
            let letters = saturating_u32(space - word_start);
            cost += if first {
                latin_word_cost(prefix, letters, 0)
            } else {
                spaced_word_cost(letters)
            };
            first = false;
            word_start = space + 1;
            taken = space + 1;
        };
        if let Some(space) = pending.take() {
            end_at(space);
        }
        let mut rest = spaces;
        while rest != 0 {
            let space = at + rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if space == at + chunks::WIDTH - 1 {
                pending = Some(space);
            } else {
                end_at(space);
            }
        }
        at += chunks::WIDTH;
    }
    (taken > 0).then_some((taken, cost))
}

/// The character of the three-byte UTF-8 sequence `bytes` starts with (a
/// `str`'s bytes, at a character boundary).
fn three_byte_char(bytes: &[u8]) -> Option<char> {
    three_byte_code(bytes).and_then(char::from_u32)
}

/// The code point of the three-byte UTF-8 sequence `bytes` starts with.
fn three_byte_code(bytes: &[u8]) -> Option<u32> {
    let &[b0, b1, b2, ..] = bytes else {
        return None;
    };
    (0xE0..=0xEF)
        .contains(&b0)
        .then(|| u32::from(b0 & 0x0F) << 12 | u32::from(b1 & 0x3F) << 6 | u32::from(b2 & 0x3F))
}

fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A word with its leading space: common words up to seven letters are one token.
fn spaced_word_cost(letters: u32) -> u64 {
    match letters {
        0..=7 => 1000,
        8 => 1050,
        9 => 1100,
        10 => 1150,
        11 => 1250,
        12 => 1300,
        13 => 1400,
        n => 1500 + u64::from(n - 14) * 250,
    }
}

/// A word at the start of a line or after a mark: slightly less common in the
/// vocabulary than its spaced form.
fn bare_word_cost(letters: u32) -> u64 {
    match letters {
        0..=3 => 1000,
        4 => 1050,
        5 => 1100,
        6 => 1150,
        7 => 1200,
        8 => 1300,
        9 => 1350,
        10 => 1450,
        11 => 1600,
        n => 1700 + u64::from(n - 12) * 200,
    }
}

fn upper_word_cost(letters: u32) -> u64 {
    1000 + u64::from(letters.saturating_sub(3)) * 170
}

fn digits_cost(digits: u32) -> u64 {
    u64::from(digits.div_ceil(3)) * 1000
}

/// Whitespace pieces: the part up to the last newline, and the spaces after it.
fn whitespace_cost(newline: bool, spaces: u32) -> u64 {
    let mut milli = 0;
    if newline {
        milli += 1000;
    }
    if spaces > 0 {
        milli += 1000;
    }
    milli
}

/// How far estimates are from exact counts over a set of samples.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Report {
    pub samples: usize,
    /// Mean of |estimate - exact| / exact, in percent.
    pub mean_abs_err_pct: f64,
    /// The largest |estimate - exact| / exact, in percent.
    pub worst_pct: f64,
    /// Mean signed error in percent: positive means the estimate runs high.
    pub bias_pct: f64,
    /// Sum of estimates against sum of exact counts, in percent.
    pub total_err_pct: f64,
}

/// Compare [`estimate_tokens`] for `family` with exact counts: `samples` pairs a
/// text with its exact token count. Samples with an exact count of 0 are skipped.
pub fn accuracy_report(samples: &[(&str, u32)], family: TokenizerFamily) -> Report {
    let mut report = Report::default();
    let mut sum_abs = 0.0;
    let mut sum_signed = 0.0;
    let mut total_estimate = 0u64;
    let mut total_exact = 0u64;
    for &(text, exact) in samples {
        if exact == 0 {
            continue;
        }
        let estimate = estimate_tokens(text, family);
        let err = (f64::from(estimate) - f64::from(exact)) / f64::from(exact) * 100.0;
        sum_abs += err.abs();
        sum_signed += err;
        report.worst_pct = report.worst_pct.max(err.abs());
        report.samples += 1;
        total_estimate += u64::from(estimate);
        total_exact += u64::from(exact);
    }
    if report.samples > 0 {
        let n = report.samples as f64;
        report.mean_abs_err_pct = sum_abs / n;
        report.bias_pct = sum_signed / n;
        report.total_err_pct =
            (total_estimate as f64 - total_exact as f64) / total_exact as f64 * 100.0;
    }
    report
}

#[cfg(test)]
#[path = "estimate_tests.rs"]
mod tests;
