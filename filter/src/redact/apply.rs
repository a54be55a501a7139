//! Applying the policy's actions to the findings in a request's texts.
//!
//! Detection runs on each decoded string (the JSON tree holds decoded text, so a
//! `\u0040` is already an `@`); edits land on the original span of that string and
//! the tree is re-serialised, never patched as raw bytes.

use super::literals::{Literals, Match};
use super::restore::Restorer;
use super::rules::{Action, RedactRules};
use super::walk::{self, Slot};
use crate::api::Shape;
use crate::detect::{Category, Finding, Named, Scanner};
use crate::json::{self, Json};
use crate::keyed;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// What redaction did to one request. Holds raw values only in `pseudonyms`
/// (needed to restore answers) and in the placeholder map; neither is ever logged.
#[derive(Debug, Default)]
pub struct RequestRedaction {
    /// Findings per category, whatever their action.
    pub counts: BTreeMap<String, u32>,
    /// The first category whose action is `block`.
    pub blocked: Option<String>,
    /// Placeholder to original value, for categories pseudonymised.
    pub pseudonyms: Vec<(String, String)>,
    /// Whether any text changed.
    pub changed: bool,
    /// The placeholders given so far, per category. (Ordered maps: a request
    /// holds a few findings, and these cost no hashing and no rehashing.)
    placeholders: BTreeMap<String, Placeholders>,
    /// Every value replaced, with its category and replacement, for the sweep
    /// that replaces its other verbatim occurrences. A value and its
    /// placeholder are copied out of the text once and shared (`Rc`) by these
    /// maps: a request's bookkeeping was most of its allocations.
    replaced: Vec<Replaced>,
    replaced_values: BTreeSet<Rc<str>>,
}

#[derive(Debug)]
struct Replaced {
    value: Rc<str>,
    category: Category,
    replacement: Rc<str>,
}

/// One category's placeholders within a request: `[EMAIL_1]`, `[EMAIL_2]`...
#[derive(Debug, Default)]
struct Placeholders {
    given: u32,
    by_value: BTreeMap<Rc<str>, Rc<str>>,
}

impl RequestRedaction {
    /// Total findings.
    pub fn total(&self) -> u32 {
        self.counts.values().sum()
    }

    /// The state for an answer's scan, its placeholders numbered on after
    /// the request's findings (`counts`, per category): an answer's new
    /// `[EMAIL_2]` is never taken for the request's `[EMAIL_1]`.
    pub fn numbered_after(counts: &BTreeMap<String, u32>) -> RequestRedaction {
        let mut state = RequestRedaction::default();
        for (category, n) in counts {
            state.placeholders.insert(
                category.clone(),
                Placeholders {
                    given: *n,
                    by_value: BTreeMap::new(),
                },
            );
        }
        state
    }

    /// How many values this state remembers with their replacements.
    pub fn remembered(&self) -> usize {
        self.replaced.len()
    }

    /// Forgets the values seen, keeping the numbering: a long streamed
    /// answer's state stays bounded; a value seen again after this gets a
    /// new number.
    pub fn forget_values(&mut self) {
        self.replaced.clear();
        self.replaced_values.clear();
        for given in self.placeholders.values_mut() {
            given.by_value.clear();
        }
    }

    /// Counts one finding of `category`. The category's name is copied only
    /// the first time: a request may hold thousands of findings.
    fn count(&mut self, category: &str) {
        match self.counts.get_mut(category) {
            Some(n) => *n = n.saturating_add(1),
            None => {
                self.counts.insert(category.to_string(), 1);
            }
        }
    }
}

/// Applies one tenant's actions.
pub struct Redactor<'a> {
    pub scanner: &'a Scanner,
    pub rules: &'a RedactRules,
    pub tenant: &'a str,
    /// Depth limit for JSON inside strings (tool-call arguments).
    pub max_depth: usize,
    /// In answers, `block` and `pseudonymize` act as `redact`.
    pub answer_side: bool,
    /// In answers, the request's pseudonyms: the values they put back are
    /// the client's own and are left as they are, not redacted again.
    pub restored: Option<&'a Restorer>,
}

impl Redactor<'_> {
    /// Redacts every text of `body` that crosses the border (see
    /// [`walk::border_slots`]).
    pub fn redact_body(&self, shape: Shape, body: &mut Json, state: &mut RequestRedaction) {
        let mut findings = Vec::new();
        for slot in walk::border_slots(shape, body) {
            self.redact_slot(slot, state, &mut findings);
        }
        self.sweep(walk::border_slots(shape, body), state);
    }

    /// A value found in one place can stand elsewhere where no detector fires (a
    /// bare SSN without its keyword, the rest of an address another finding
    /// overlapped): once detected, every verbatim occurrence of it in the
    /// request's texts is replaced the same way. Two passes of one
    /// multi-pattern search over each text (long values, then short), so this
    /// stays linear. A short value inside a longer word or number is
    /// another's (a card's code `847` in a price `1,847.00`, an account's
    /// `12345678` in `123456789012`) and stays ([`inside_longer`]).
    fn sweep(&self, slots: Vec<Slot<'_>>, state: &mut RequestRedaction) {
        if state.replaced.is_empty() {
            return;
        }
        // Long values first, wherever they stand; then short ones, judged on
        // the text with the long ones gone: a short value run into a long
        // one (`A800000014AKIA...`) stands on its own once that is replaced,
        // and must not be left bare beside its placeholder.
        let (long, short): (Vec<usize>, Vec<usize>) = (0..state.replaced.len()).partition(|&i| {
            state
                .replaced
                .get(i)
                .is_some_and(|r| r.value.len() >= SHORT_VALUE)
        });
        let passes = [
            SweepPass::new(&state.replaced, long),
            SweepPass::new(&state.replaced, short),
        ];
        let mut extra: Vec<usize> = Vec::new();
        let mut replace = |text: &mut String| -> bool {
            let mut changed = false;
            for pass in passes.iter().flatten() {
                changed |= pass.replace(text, &mut extra);
            }
            changed
        };
        for slot in slots {
            match slot {
                Slot::Text(text) | Slot::Credential(text, _) => {
                    state.changed |= replace(text);
                }
                Slot::EmbeddedJson(text) => match json::parse_str(text, self.max_depth) {
                    Ok(mut inner) => {
                        let mut leaves = Vec::new();
                        walk::border_leaves(&mut inner, &mut leaves);
                        let mut changed = false;
                        for leaf in leaves {
                            changed |= match leaf {
                                Slot::Text(t) | Slot::EmbeddedJson(t) | Slot::Credential(t, _) => {
                                    replace(t)
                                }
                                Slot::Number(n, _) => replace_number(n, &mut replace),
                            };
                        }
                        if changed {
                            *text = inner.to_string_compact();
                            state.changed = true;
                        }
                    }
                    Err(_) => state.changed |= replace(text),
                },
                Slot::Number(n, _) => state.changed |= replace_number(n, &mut replace),
            }
        }
        for i in extra {
            if let Some(replaced) = state.replaced.get(i) {
                let category = replaced.category.clone();
                state.count(category.name());
            }
        }
    }

    /// Redacts every string leaf of `value`; on the request side (JSON inside
    /// a text) its object keys too.
    pub fn redact_leaves(&self, value: &mut Json, state: &mut RequestRedaction) {
        let mut slots = Vec::new();
        if self.answer_side {
            walk::leaves(value, false, &mut slots);
        } else {
            walk::border_leaves(value, &mut slots);
        }
        let mut findings = Vec::new();
        for slot in slots {
            self.redact_slot(slot, state, &mut findings);
        }
    }

    fn redact_slot(
        &self,
        slot: Slot<'_>,
        state: &mut RequestRedaction,
        findings: &mut Vec<Finding>,
    ) {
        match slot {
            Slot::Text(text) => {
                if let Some(new) = self.redact_as(text, None, state, findings) {
                    *text = new;
                }
            }
            Slot::Credential(text, named) => {
                if let Some(new) = self.redact_as(text, Some(named), state, findings) {
                    *text = new;
                }
            }
            // In answers numbers are the provider's structure (ids, counts,
            // timestamps), not data a client sent: left as they are.
            Slot::Number(..) if self.answer_side => {}
            Slot::Number(value, named) => {
                let Some(text) = walk::number_text(value) else {
                    return;
                };
                if let Some(new) = self.redact_as(&text, named, state, findings) {
                    *value = Json::String(new);
                }
            }
            Slot::EmbeddedJson(text) => match json::parse_str(text, self.max_depth) {
                Ok(mut inner) => {
                    let before = state.changed;
                    state.changed = false;
                    self.redact_leaves(&mut inner, state);
                    if state.changed {
                        *text = inner.to_string_compact();
                    }
                    state.changed |= before;
                }
                Err(_) => {
                    if let Some(new) = self.redact_text(text, state, findings) {
                        *text = new;
                    }
                }
            },
        }
    }

    /// The redacted text, or `None` when nothing in it changes.
    pub fn redact_text(
        &self,
        text: &str,
        state: &mut RequestRedaction,
        findings: &mut Vec<Finding>,
    ) -> Option<String> {
        self.redact_as(text, None, state, findings)
    }

    /// The redacted form of `text[from..]` (`None` when nothing in it
    /// changes), `text[..from]` read as context only: a streamed answer's
    /// text already sent. A value begun in the context has been sent in part;
    /// the rest of it is replaced.
    pub fn redact_tail(
        &self,
        text: &str,
        from: usize,
        state: &mut RequestRedaction,
        findings: &mut Vec<Finding>,
    ) -> Option<String> {
        findings.clear();
        self.scanner.scan(text, findings);
        findings.retain_mut(|f| {
            f.start = f.start.max(from);
            f.start < f.end
        });
        self.redact_findings(text, from, state, findings)
    }

    /// [`Self::redact_text`] of a text that is, as a whole, the value of the
    /// credential `named` names when there is one (`"password": ...`).
    fn redact_as(
        &self,
        text: &str,
        named: Option<Named>,
        state: &mut RequestRedaction,
        findings: &mut Vec<Finding>,
    ) -> Option<String> {
        findings.clear();
        match named {
            Some(named) => self.scanner.scan_named(named, text, findings),
            None => self.scanner.scan(text, findings),
        }
        self.redact_findings(text, 0, state, findings)
    }

    /// `text[from..]` with `findings` (sorted, apart, none before `from`)
    /// acted on, or `None` when nothing in it changes.
    fn redact_findings(
        &self,
        text: &str,
        from: usize,
        state: &mut RequestRedaction,
        findings: &[Finding],
    ) -> Option<String> {
        if findings.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(text.len().saturating_sub(from));
        let mut at = from;
        let mut changed = false;
        for f in findings.iter() {
            let (Some(before), Some(value)) = (text.get(at..f.start), text.get(f.start..f.end))
            else {
                continue;
            };
            if self.restored.is_some_and(|r| r.puts_back(value)) {
                continue;
            }
            let category = f.category.name();
            state.count(category);
            let mut action = self.rules.action(self.tenant, category);
            if self.answer_side && matches!(action, Action::Block | Action::Pseudonymize) {
                action = Action::Redact;
            }
            // A value replaced for the first time is copied out of the text
            // once, here, and shared by the maps that remember it.
            let new_value = (!matches!(action, Action::Report | Action::Block)
                && !state.replaced_values.contains(value))
            .then(|| Rc::<str>::from(value));
            let replacement = match action {
                Action::Report => None,
                Action::Block => {
                    state.blocked.get_or_insert_with(|| category.to_string());
                    None
                }
                Action::Mask => Some(Rc::from(mask(value, self.rules.mask_keep))),
                Action::Hash => Some(Rc::from(self.hashed(category, value))),
                Action::Redact | Action::Pseudonymize => Some(placeholder(
                    state,
                    category,
                    value,
                    new_value.as_ref(),
                    action == Action::Pseudonymize,
                )),
            };
            if let Some(replacement) = replacement {
                if let Some(value) = new_value {
                    state.replaced_values.insert(Rc::clone(&value));
                    state.replaced.push(Replaced {
                        value,
                        category: f.category.clone(),
                        replacement: Rc::clone(&replacement),
                    });
                }
                out.push_str(before);
                out.push_str(&replacement);
                at = f.end;
                changed = true;
            }
        }
        if !changed {
            return None;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        state.changed = true;
        Some(out)
    }

    fn hashed(&self, category: &str, value: &str) -> String {
        let secret = self.rules.hash_secret.as_deref().unwrap_or_default();
        let message = format!("{category}:{value}");
        let tag = keyed::hmac_sha256(secret.as_bytes(), message.as_bytes());
        format!(
            "[{}_{}]",
            category.to_ascii_uppercase(),
            keyed::hex(&tag, 6)
        )
    }
}

/// `[EMAIL_1]`: the same value of a category gets the same placeholder within a
/// request.
/// `shared` is `value` already copied out, if the caller holds it.
fn placeholder(
    state: &mut RequestRedaction,
    category: &str,
    value: &str,
    shared: Option<&Rc<str>>,
    restore: bool,
) -> Rc<str> {
    // Looked up by reference: nothing is copied for a value seen before.
    let seen = state.placeholders.get(category);
    if let Some(existing) = seen.and_then(|given| given.by_value.get(value)) {
        return Rc::clone(existing);
    }
    let key = match shared.or_else(|| state.replaced_values.get(value)) {
        Some(key) => Rc::clone(key),
        None => Rc::from(value),
    };
    let given = match state.placeholders.get_mut(category) {
        Some(given) => given,
        None => state.placeholders.entry(category.to_string()).or_default(),
    };
    given.given = given.given.saturating_add(1);
    let mut p = String::with_capacity(category.len() + 8);
    p.push('[');
    p.extend(category.chars().map(|c| c.to_ascii_uppercase()));
    p.push('_');
    json::push_decimal(&mut p, u64::from(given.given));
    p.push(']');
    if restore {
        state.pseudonyms.push((p.clone(), value.to_string()));
    }
    let p: Rc<str> = Rc::from(p);
    given.by_value.insert(key, Rc::clone(&p));
    p
}

/// Stars for every character but the last `keep` (all stars for short values, so
/// that a mask never shows most of a value).
fn mask(value: &str, keep: usize) -> String {
    let chars = value.chars().count();
    let keep = if chars > keep * 2 { keep } else { 0 };
    let mut out = "*".repeat(chars - keep);
    out.extend(value.chars().skip(chars - keep));
    out
}

/// One pass of the sweep: some of the replaced values, searched for at
/// once, and where each is in the request's list.
struct SweepPass<'r> {
    literals: Literals,
    values: Vec<&'r str>,
    replacements: Vec<&'r str>,
    index: Vec<usize>,
}

impl<'r> SweepPass<'r> {
    /// The pass over the values `index` names; none when there are none.
    fn new(replaced: &'r [Replaced], index: Vec<usize>) -> Option<SweepPass<'r>> {
        let chosen = || index.iter().filter_map(|&i| replaced.get(i));
        let values: Vec<&str> = chosen().map(|r| &*r.value).collect();
        let replacements = chosen().map(|r| &*r.replacement).collect();
        Some(SweepPass {
            literals: Literals::new(&values)?,
            values,
            replacements,
            index,
        })
    }

    /// Replaces this pass's values in `text`, a short one only where it
    /// stands as a word of its own; notes each replaced (by its place in
    /// the request's list) in `extra`.
    fn replace(&self, text: &mut String, extra: &mut Vec<usize>) -> bool {
        let keep = |m: &Match| {
            let value = self.values.get(m.literal).copied().unwrap_or_default();
            !inside_longer(text, m.start, m.end, value)
        };
        let Some((new, matches)) = self
            .literals
            .replace_all_where(text, &self.replacements, keep)
        else {
            return false;
        };
        extra.extend(matches.iter().filter_map(|m| self.index.get(m.literal)));
        *text = new;
        true
    }
}

/// Values shorter than this are swept only where they stand as a word of
/// their own: PINs, cards' codes, phone and account numbers, short
/// passwords. Longer ones (cards, resident IDs, keys) are swept wherever
/// they stand, inside a longer run too, so that their characters never
/// cross.
const SHORT_VALUE: usize = 16;

/// Whether the match of `value` at `start..end` in `text` is a short value
/// run into more letters or digits (`1847` holds `847`), or a number run into
/// more digits past a comma, dot, dash or slash (`1,847.00`), so someone
/// else's.
fn inside_longer(text: &str, start: usize, end: usize, value: &str) -> bool {
    let bytes = text.as_bytes();
    let at = |i: Option<usize>| i.and_then(|i| bytes.get(i)).copied().unwrap_or_default();
    let joint = |b: u8| matches!(b, b',' | b'.' | b'-' | b'/');
    let (first, last) = (
        value.bytes().next().unwrap_or_default(),
        value.bytes().last().unwrap_or_default(),
    );
    let (before, before2) = (at(start.checked_sub(1)), at(start.checked_sub(2)));
    let (after, after2) = (at(Some(end)), at(end.checked_add(1)));
    // Past a comma, dot, dash or slash only a number runs on into a longer
    // one (`1,847.00`); an address's tail (`::571-05`) stands on its own.
    let number = value
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b',' | b'.' | b'-' | b'/'));
    let run_on = |edge: u8, next: u8, next2: u8| {
        edge.is_ascii_alphanumeric()
            && (next.is_ascii_alphanumeric()
                || (number && edge.is_ascii_digit() && joint(next) && next2.is_ascii_digit()))
    };
    value.len() < SHORT_VALUE && (run_on(first, before, before2) || run_on(last, after, after2))
}

/// Runs the sweep's `replace` on a number's digits; a change makes it a string.
fn replace_number(value: &mut Json, replace: &mut impl FnMut(&mut String) -> bool) -> bool {
    let Some(mut text) = walk::number_text(value) else {
        return false;
    };
    let changed = replace(&mut text);
    if changed {
        *value = Json::String(text);
    }
    changed
}

#[cfg(test)]
mod tests;
