//! Token and request budgets over a [`Store`], safe under concurrency.
//!
//! # Records
//! One record per budget: one key for a tenant, one for each of the tenant's
//! models that has its own budget. A record holds, for each period (minute, hour,
//! day), the window it was last written in and the tokens and requests charged to
//! that window and to the one before. Keys never carry a window index: a stale
//! window is rolled over in place by the next write, so the key set stays as small
//! as the configuration (Envoy never deletes shared data).
//!
//! # Updates
//! Every change is read-modify-write with compare-and-swap, retried a bounded
//! number of times: two workers can never both write over the same version, so no
//! update is lost. The one hole in Envoy's CAS is creation: `set` on a missing key
//! ignores `cas` and always writes. So a record is created with
//! `cas = CREATE_CAS` (`u32::MAX`): if another worker created the key between our
//! read and our write, the key exists, its version is not `u32::MAX`, and our
//! write fails with `CasMismatch` instead of silently replacing theirs; we then
//! read their record and retry. (The counter could reach `u32::MAX` for a real
//! key only after four billion writes and only in that same instant: accepted.)
//!
//! # Admission
//! A reservation charges its tokens (and one request) to every period's current
//! window before the request goes upstream, and is admitted only if every limit
//! still holds with it: `used + tokens <= limit`. Reservations count until they
//! are settled, so the tokens admitted into a window never exceed the limit,
//! however many workers race. With sliding windows `used` is the current window
//! plus the previous one weighted by how much of it still lies within one window
//! length of now (rounded up); that is at least the current window, so each
//! window on its own stays within the limit as well. (The weighting assumes the
//! previous window's charges were spread evenly: an arbitrary rolling minute that
//! straddles two windows is held near the limit, not exactly to it.) Windows are
//! aligned to the epoch, so a day is a UTC day.
//!
//! # Settlement
//! [`Budgets::settle`] replaces the reserved tokens with the actual ones:
//! - a refund (actual below reserved) goes back to the window it was taken from:
//!   the current one, or the previous one if the window has rolled since (which
//!   lowers the previous window's weight in a sliding window, correctly). If that
//!   window is gone too, the refund is dropped: it cannot give a newer window room
//!   it never lent.
//! - extra tokens (actual above reserved, when the prompt estimate ran low) are
//!   charged to the current window, where the clock is now: they were just spent.
//!   This can push a window past its limit; later requests then wait.

use serde::{Deserialize, Serialize};

use super::config::{BudgetsConfig, Rates, WindowKind};
use super::record::{Period, Record};
use super::store::{Store, StoreError};

/// The version a record is created with; see the module documentation.
const CREATE_CAS: u32 = u32::MAX;

/// How many times an update re-reads after losing a race before giving up.
const DEFAULT_ATTEMPTS: u32 = 16;

/// One limit of a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LimitKind {
    TokensPerMinute,
    TokensPerHour,
    TokensPerDay,
    RequestsPerMinute,
}

impl LimitKind {
    /// The policy field that sets this limit.
    pub fn name(self) -> &'static str {
        match self {
            LimitKind::TokensPerMinute => "tokens_per_minute",
            LimitKind::TokensPerHour => "tokens_per_hour",
            LimitKind::TokensPerDay => "tokens_per_day",
            LimitKind::RequestsPerMinute => "requests_per_minute",
        }
    }

    pub fn period(self) -> Period {
        match self {
            LimitKind::TokensPerMinute | LimitKind::RequestsPerMinute => Period::Minute,
            LimitKind::TokensPerHour => Period::Hour,
            LimitKind::TokensPerDay => Period::Day,
        }
    }

    pub fn counts_tokens(self) -> bool {
        self != LimitKind::RequestsPerMinute
    }
}

fn limits_of(rates: &Rates) -> impl Iterator<Item = (LimitKind, u64)> {
    [
        (LimitKind::TokensPerMinute, rates.tokens_per_minute),
        (LimitKind::TokensPerHour, rates.tokens_per_hour),
        (LimitKind::TokensPerDay, rates.tokens_per_day),
        (LimitKind::RequestsPerMinute, rates.requests_per_minute),
    ]
    .into_iter()
    .filter_map(|(kind, limit)| limit.map(|limit| (kind, limit)))
}

/// Why a reservation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Over a limit for now (answer 429 with `retry_after_secs`).
    OverLimit(Limited),
    /// The request alone needs more than the limit: it can never pass.
    TooLarge(Limited),
    /// The store failed or stayed contended; `on_store_error` decides.
    StoreUnavailable,
}

/// The limit a refusal is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    pub limit: LimitKind,
    /// `Some` when the model's own budget refused, `None` for the tenant's.
    pub model: Option<String>,
    pub limit_value: u64,
    /// What the limit has left now.
    pub remaining: u64,
    /// What the request needs (tokens, or 1 request).
    pub requested: u64,
    /// When the request would fit if nothing else were charged (0 for TooLarge).
    pub retry_after_secs: u64,
}

impl Limited {
    /// The policy field of the limit, relative to the limits section
    /// (`budgets.tokens_per_minute`, `budgets.models.gpt-4o.tokens_per_day`).
    pub fn field(&self) -> String {
        match &self.model {
            None => format!("budgets.{}", self.limit.name()),
            Some(model) => format!("budgets.models.{model}.{}", self.limit.name()),
        }
    }

    fn budget(&self) -> String {
        match &self.model {
            None => format!("{} budget", self.limit.name()),
            Some(model) => format!("{} budget of model `{model}`", self.limit.name()),
        }
    }
}

impl Refusal {
    /// A message for the client naming the limit and the values involved.
    pub fn message(&self) -> String {
        let unit = |l: &Limited| {
            if l.limit.counts_tokens() {
                "tokens"
            } else {
                "requests"
            }
        };
        match self {
            Refusal::OverLimit(l) => format!(
                "{} exceeded: {} {} requested, {} of {} left; retry in {} s",
                l.budget(),
                l.requested,
                unit(l),
                l.remaining,
                l.limit_value,
                l.retry_after_secs
            ),
            Refusal::TooLarge(l) => format!(
                "request needs {} {}, more than the whole {} of {}",
                l.requested,
                unit(l),
                l.budget(),
                l.limit_value
            ),
            Refusal::StoreUnavailable => "token budget store unavailable".to_string(),
        }
    }
}

/// Tokens held against one or two budgets until settled. The glue keeps it with
/// the stream; it serialises to carry it elsewhere if need be.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reservation {
    tokens: u64,
    holds: Vec<Hold>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Hold {
    key: String,
    /// The windows (minute, hour, day) the tokens were charged to.
    windows: [u64; 3],
    settled: bool,
}

impl Reservation {
    pub fn tokens(&self) -> u64 {
        self.tokens
    }

    /// Whether nothing is held any more (or nothing was: no budget applied).
    pub fn is_settled(&self) -> bool {
        self.holds.iter().all(|h| h.settled)
    }
}

/// Limit, remaining and time to full reset of the tightest limit of each kind,
/// for rate-limit headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimitState {
    pub tokens: Option<LimitState>,
    pub requests: Option<LimitState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitState {
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the limit is fully available again.
    pub reset_secs: u64,
}

/// Budgets kept in `store`.
pub struct Budgets<'a, S: Store + ?Sized> {
    store: &'a S,
    attempts: u32,
}

impl<'a, S: Store + ?Sized> Budgets<'a, S> {
    pub fn new(store: &'a S) -> Budgets<'a, S> {
        Budgets {
            store,
            attempts: DEFAULT_ATTEMPTS,
        }
    }

    /// How many times an update may lose a race before it fails as unavailable.
    pub fn with_attempts(mut self, attempts: u32) -> Budgets<'a, S> {
        self.attempts = attempts.max(1);
        self
    }

    /// Hold `tokens` and one request against the tenant's budget and, if the model
    /// has one, the model's; refuse if any limit would be exceeded. With no
    /// budget configured this touches no store and returns an empty reservation.
    pub fn reserve(
        &self,
        cfg: &BudgetsConfig,
        tenant: &str,
        model: Option<&str>,
        tokens: u64,
        now_ms: u64,
    ) -> Result<Reservation, Refusal> {
        let mut reservation = Reservation {
            tokens,
            holds: Vec::new(),
        };
        for scope in scopes(cfg, tenant, model) {
            match self.reserve_in(&scope, cfg.window(), tokens, now_ms) {
                Ok(windows) => reservation.holds.push(Hold {
                    key: scope.key,
                    windows,
                    settled: false,
                }),
                Err(refusal) => {
                    // Give back what earlier budgets granted. If that fails the
                    // tokens stay charged until their window passes: too strict,
                    // never too lax.
                    for hold in &reservation.holds {
                        let _ = self.adjust(hold, tokens, 0, 1, now_ms);
                    }
                    return Err(refusal);
                }
            }
        }
        Ok(reservation)
    }

    /// Replace the reserved tokens by `actual_tokens` (0 to refund all, e.g. when
    /// the upstream failed; prompt plus output so far when the client went away).
    /// Settling twice does nothing the second time; after an error, settling
    /// again retries the budgets not yet settled.
    pub fn settle(
        &self,
        reservation: &mut Reservation,
        actual_tokens: u64,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let reserved = reservation.tokens;
        let mut result = Ok(());
        for hold in reservation.holds.iter_mut().filter(|h| !h.settled) {
            match self.adjust(hold, reserved, actual_tokens, 0, now_ms) {
                Ok(()) => hold.settled = true,
                Err(e) => result = Err(e),
            }
        }
        result
    }

    /// The tightest token and request limits with what remains of them, for
    /// rate-limit headers. Empty when no budget applies or the store fails.
    pub fn snapshot(
        &self,
        cfg: &BudgetsConfig,
        tenant: &str,
        model: Option<&str>,
        now_ms: u64,
    ) -> RateLimitState {
        let mut state = RateLimitState::default();
        for scope in scopes(cfg, tenant, model) {
            let record = match self.store.get(&scope.key) {
                Ok(Some((bytes, _))) => Record::decode(&bytes).unwrap_or_default(),
                Ok(None) => Record::default(),
                Err(_) => return RateLimitState::default(),
            };
            let record = record.rolled(now_ms);
            for (kind, limit) in limits_of(&scope.rates) {
                let bucket = record.bucket(kind.period());
                let used = bucket.used(kind, cfg.window(), now_ms);
                let candidate = LimitState {
                    limit,
                    remaining: limit.saturating_sub(used),
                    reset_secs: ms_to_secs(bucket.reset_ms(kind, cfg.window(), now_ms)),
                };
                let slot = if kind.counts_tokens() {
                    &mut state.tokens
                } else {
                    &mut state.requests
                };
                *slot = Some(tighter(*slot, candidate));
            }
        }
        state
    }

    fn reserve_in(
        &self,
        scope: &Scope,
        window: WindowKind,
        tokens: u64,
        now_ms: u64,
    ) -> Result<[u64; 3], Refusal> {
        let outcome = self.update(&scope.key, now_ms, |record| {
            match admit(record, scope, window, tokens, now_ms) {
                Err(refusal) => Step::Keep(Err(refusal)),
                Ok(()) => {
                    record.charge(tokens, 1);
                    Step::Write(Ok(record.windows()))
                }
            }
        });
        match outcome {
            Ok(result) => result,
            Err(_) => Err(Refusal::StoreUnavailable),
        }
    }

    /// Change a hold from `reserved` to `actual` tokens and give back `requests`.
    fn adjust(
        &self,
        hold: &Hold,
        reserved: u64,
        actual: u64,
        requests: u64,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        if reserved == actual && requests == 0 {
            return Ok(());
        }
        self.update(&hold.key, now_ms, |record| {
            record.adjust(&hold.windows, reserved, actual, requests);
            Step::Write(())
        })
    }

    /// Read-modify-CAS-write `key`, retried up to the attempt bound.
    fn update<T>(
        &self,
        key: &str,
        now_ms: u64,
        mut change: impl FnMut(&mut Record) -> Step<T>,
    ) -> Result<T, StoreError> {
        for _ in 0..self.attempts {
            let (record, cas) = match self.store.get(key)? {
                // A record this version cannot read (an older format) is reset in
                // place rather than blocking the budget for good.
                Some((bytes, version)) => (Record::decode(&bytes).unwrap_or_default(), version),
                None => (Record::default(), CREATE_CAS),
            };
            let mut record = record.rolled(now_ms);
            let value = match change(&mut record) {
                Step::Keep(value) => return Ok(value),
                Step::Write(value) => value,
            };
            match self.store.set(key, &record.encode(), cas) {
                Ok(()) => return Ok(value),
                Err(StoreError::CasMismatch) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable)
    }
}

enum Step<T> {
    /// Done without writing.
    Keep(T),
    /// Write the changed record, then return.
    Write(T),
}

/// One budget that applies to a request.
struct Scope {
    key: String,
    rates: Rates,
    model: Option<String>,
}

fn scopes(cfg: &BudgetsConfig, tenant: &str, model: Option<&str>) -> Vec<Scope> {
    let mut scopes = Vec::new();
    let tenant_rates = cfg.tenant_rates();
    if !tenant_rates.is_unlimited() {
        scopes.push(Scope {
            key: record_key(tenant, None),
            rates: tenant_rates,
            model: None,
        });
    }
    if let Some((model, rates)) = model.and_then(|m| cfg.model_rates(m).map(|r| (m, r))) {
        if !rates.is_unlimited() {
            scopes.push(Scope {
                key: record_key(tenant, Some(model)),
                rates: *rates,
                model: Some(model.to_string()),
            });
        }
    }
    scopes
}

/// The tenant's length goes first so that no tenant and model pair can spell
/// another's key.
fn record_key(tenant: &str, model: Option<&str>) -> String {
    match model {
        None => format!("customs.budget.v1:{}:{tenant}", tenant.len()),
        Some(model) => format!("customs.budget.v1:{}:{tenant}:{model}", tenant.len()),
    }
}

fn admit(
    record: &Record,
    scope: &Scope,
    window: WindowKind,
    tokens: u64,
    now_ms: u64,
) -> Result<(), Refusal> {
    let mut worst: Option<Limited> = None;
    for (kind, limit) in limits_of(&scope.rates) {
        let bucket = record.bucket(kind.period());
        let add = if kind.counts_tokens() { tokens } else { 1 };
        let used = bucket.used(kind, window, now_ms);
        let limited = |retry_after_secs| Limited {
            limit: kind,
            model: scope.model.clone(),
            limit_value: limit,
            remaining: limit.saturating_sub(used),
            requested: add,
            retry_after_secs,
        };
        if add > limit {
            return Err(Refusal::TooLarge(limited(0)));
        }
        if used.saturating_add(add) > limit {
            // At least a second: a client told to retry at once would only spin.
            let wait = ms_to_secs(bucket.wait_ms(kind, window, limit, add, now_ms)).max(1);
            if worst.as_ref().is_none_or(|w| wait > w.retry_after_secs) {
                worst = Some(limited(wait));
            }
        }
    }
    match worst {
        Some(limited) => Err(Refusal::OverLimit(limited)),
        None => Ok(()),
    }
}

fn tighter(current: Option<LimitState>, candidate: LimitState) -> LimitState {
    match current {
        Some(c)
            if c.remaining < candidate.remaining
                || (c.remaining == candidate.remaining && c.reset_secs >= candidate.reset_secs) =>
        {
            c
        }
        _ => candidate,
    }
}

fn ms_to_secs(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
