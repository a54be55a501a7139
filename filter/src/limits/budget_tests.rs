//! Budget tests: behaviour case by case, then randomised interleavings of
//! simulated workers racing on one store (the proof that CAS holds the limits).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use super::*;
use crate::limits::record::RECORD_BYTES;
use crate::limits::store::MemoryStore;

const MIN: u64 = 60_000;

fn cfg(json: &str) -> BudgetsConfig {
    serde_json::from_str(json).unwrap()
}

fn record(store: &MemoryStore, tenant: &str, model: Option<&str>) -> Record {
    let (bytes, _) = store.get(&record_key(tenant, model)).unwrap().unwrap();
    Record::decode(&bytes).unwrap()
}

fn over(result: Result<Reservation, Refusal>) -> Limited {
    match result {
        Err(Refusal::OverLimit(limited)) => limited,
        other => panic!("expected over limit, got {other:?}"),
    }
}

#[test]
fn no_budget_touches_no_store() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let mut r = budgets
        .reserve(&BudgetsConfig::default(), "t", Some("m"), 1_000_000, 0)
        .unwrap();
    budgets.settle(&mut r, 5, 0).unwrap();
    assert!(store.is_empty());
    assert_eq!(
        budgets.snapshot(&BudgetsConfig::default(), "t", None, 0),
        RateLimitState::default()
    );
}

#[test]
fn admits_up_to_the_limit_then_refuses() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(r#"{"window": "fixed", "tokens_per_minute": 100}"#);
    budgets.reserve(&c, "t", None, 60, 15_000).unwrap();
    budgets.reserve(&c, "t", None, 40, 15_000).unwrap();
    let limited = over(budgets.reserve(&c, "t", None, 1, 15_000));
    assert_eq!(limited.limit, LimitKind::TokensPerMinute);
    assert_eq!(
        (limited.limit_value, limited.remaining, limited.requested),
        (100, 0, 1)
    );
    assert_eq!(limited.retry_after_secs, 45);
    assert_eq!(limited.field(), "budgets.tokens_per_minute");
    assert_eq!(
        Refusal::OverLimit(limited).message(),
        "tokens_per_minute budget exceeded: 1 tokens requested, 0 of 100 left; retry in 45 s"
    );
    // The next fixed window starts empty.
    budgets.reserve(&c, "t", None, 100, MIN).unwrap();
}

#[test]
fn a_request_larger_than_the_limit_is_too_large() {
    let store = MemoryStore::new();
    let c = cfg(r#"{"tokens_per_minute": 100}"#);
    match Budgets::new(&store).reserve(&c, "t", None, 101, 0) {
        Err(refusal @ Refusal::TooLarge(_)) => assert_eq!(
            refusal.message(),
            "request needs 101 tokens, more than the whole tokens_per_minute budget of 100"
        ),
        other => panic!("{other:?}"),
    }
    assert!(store.is_empty(), "a refusal writes nothing");
}

#[test]
fn requests_per_minute() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(r#"{"window": "fixed", "requests_per_minute": 2}"#);
    budgets.reserve(&c, "t", None, 0, 0).unwrap();
    let mut second = budgets.reserve(&c, "t", None, 0, 0).unwrap();
    assert_eq!(
        over(budgets.reserve(&c, "t", None, 0, 0)).limit,
        LimitKind::RequestsPerMinute
    );
    // Settling does not give a request back: it was made.
    budgets.settle(&mut second, 0, 0).unwrap();
    assert_eq!(
        over(budgets.reserve(&c, "t", None, 0, 0)).limit,
        LimitKind::RequestsPerMinute
    );
}

#[test]
fn sliding_window_weighs_the_previous_window() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(r#"{"tokens_per_minute": 100}"#);
    budgets.reserve(&c, "t", None, 100, 59_000).unwrap();
    // 30 s into the next minute half of the previous window still counts: 50.
    let limited = over(budgets.reserve(&c, "t", None, 60, MIN + 30_000));
    assert_eq!(limited.remaining, 50);
    // 60 fits once ceil(100 * (60 - t) / 60) <= 40, i.e. t >= 36 s: 6 s on.
    assert_eq!(limited.retry_after_secs, 6);
    budgets.reserve(&c, "t", None, 50, MIN + 30_000).unwrap();
    assert!(budgets.reserve(&c, "t", None, 1, MIN + 30_000).is_err());
    // Past a whole empty window the old charges are gone.
    budgets.reserve(&c, "t", None, 100, 3 * MIN).unwrap();
}

#[test]
fn sliding_retry_after_when_the_current_window_is_full() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(r#"{"tokens_per_minute": 100}"#);
    budgets.reserve(&c, "t", None, 80, 0).unwrap();
    // At 20 s: 40 s to the next window, then 30 fits when ceil(80 * (60 - t) / 60)
    // <= 70, i.e. t >= 7.5 s: 47.5 s, rounded up to 48.
    assert_eq!(
        over(budgets.reserve(&c, "t", None, 30, 20_000)).retry_after_secs,
        48
    );
}

#[test]
fn refunds_go_back_where_they_were_taken() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(r#"{"tokens_per_minute": 100}"#);

    // Same window: the refund frees room at once.
    let mut r = budgets.reserve(&c, "t", None, 100, 1_000).unwrap();
    budgets.settle(&mut r, 30, 2_000).unwrap();
    assert_eq!(record(&store, "t", None).minute.tokens, 30);
    budgets.reserve(&c, "t", None, 70, 3_000).unwrap();

    // Rolled once: the refund lowers the previous window, never the new one.
    let mut r2 = budgets.reserve(&c, "u", None, 100, 10_000).unwrap();
    budgets.reserve(&c, "u", None, 0, MIN + 1_000).unwrap();
    budgets.settle(&mut r2, 0, MIN + 1_000).unwrap();
    let rec = record(&store, "u", None);
    assert_eq!((rec.minute.tokens, rec.minute.prev_tokens), (0, 0));

    // Rolled twice: the window is gone and the refund with it.
    let mut r3 = budgets.reserve(&c, "v", None, 100, 0).unwrap();
    budgets.reserve(&c, "v", None, 10, 2 * MIN).unwrap();
    budgets.settle(&mut r3, 0, 2 * MIN).unwrap();
    let rec = record(&store, "v", None);
    assert_eq!((rec.minute.tokens, rec.minute.prev_tokens), (10, 0));
}

#[test]
fn extra_tokens_are_charged_now() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(r#"{"window": "fixed", "tokens_per_minute": 100}"#);
    let mut r = budgets.reserve(&c, "t", None, 50, 0).unwrap();
    budgets.settle(&mut r, 80, MIN + 5).unwrap();
    let rec = record(&store, "t", None);
    assert_eq!((rec.minute.window, rec.minute.tokens), (1, 30));
}

#[test]
fn disconnect_charges_what_was_spent_and_settling_twice_is_a_no_op() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(r#"{"tokens_per_minute": 1000}"#);
    let mut r = budgets.reserve(&c, "t", None, 600, 0).unwrap();
    // The client left after the prompt (100) and 40 streamed tokens.
    budgets.settle(&mut r, 140, 1_000).unwrap();
    assert!(r.is_settled());
    budgets.settle(&mut r, 0, 1_000).unwrap();
    assert_eq!(record(&store, "t", None).minute.tokens, 140);
}

#[test]
fn model_budget_refusal_releases_the_tenant_hold() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(
        r#"{"window": "fixed", "tokens_per_minute": 1000, "requests_per_minute": 10,
            "models": {"big": {"tokens_per_minute": 50}}}"#,
    );
    let limited = over(
        budgets
            .reserve(&c, "t", Some("big"), 40, 0)
            .and_then(|_| budgets.reserve(&c, "t", Some("big"), 40, 0)),
    );
    assert_eq!(limited.model.as_deref(), Some("big"));
    assert_eq!(limited.field(), "budgets.models.big.tokens_per_minute");
    assert!(Refusal::OverLimit(limited.clone()).message().starts_with(
        "tokens_per_minute budget of model `big` exceeded: 40 tokens requested, 10 of 50 left"
    ));
    let tenant = record(&store, "t", None);
    assert_eq!((tenant.minute.tokens, tenant.minute.requests), (40, 1));
    // Models without a budget of their own only count against the tenant and
    // create no key.
    budgets
        .reserve(&c, "t", Some("made-up-model"), 40, 0)
        .unwrap();
    assert_eq!(store.len(), 2);
}

#[test]
fn tightest_limit_wins_the_refusal_and_the_snapshot() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(
        r#"{"window": "fixed", "tokens_per_minute": 100, "tokens_per_day": 150,
            "requests_per_minute": 5}"#,
    );
    budgets.reserve(&c, "t", None, 100, 0).unwrap();
    budgets.reserve(&c, "t", None, 50, MIN).unwrap();
    // Both the minute (50 used) and the day (150 used) refuse 60; the day's wait
    // is the longer, so it is the one reported.
    let limited = over(budgets.reserve(&c, "t", None, 60, MIN));
    assert_eq!(limited.limit, LimitKind::TokensPerDay);
    assert_eq!(limited.retry_after_secs, (86_400_000 - MIN) / 1000);

    let state = budgets.snapshot(&c, "t", None, MIN + 30_000);
    let tokens = state.tokens.unwrap();
    assert_eq!((tokens.limit, tokens.remaining), (150, 0));
    let requests = state.requests.unwrap();
    assert_eq!(
        (requests.limit, requests.remaining, requests.reset_secs),
        (5, 4, 30)
    );
}

#[test]
fn snapshot_reset_is_time_to_full_replenishment() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(r#"{"tokens_per_minute": 100}"#);
    let fresh = budgets.snapshot(&c, "t", None, 0).tokens.unwrap();
    assert_eq!(
        (fresh.limit, fresh.remaining, fresh.reset_secs),
        (100, 100, 0)
    );
    budgets.reserve(&c, "t", None, 10, 20_000).unwrap();
    // Sliding: this window ends in 40 s, and it weighs on the next for 60 s more.
    let state = budgets.snapshot(&c, "t", None, 20_000).tokens.unwrap();
    assert_eq!((state.remaining, state.reset_secs), (90, 100));
}

#[test]
fn a_clock_behind_the_record_charges_the_record_window() {
    let store = MemoryStore::new();
    let budgets = Budgets::new(&store);
    let c = cfg(r#"{"window": "fixed", "tokens_per_minute": 100}"#);
    budgets.reserve(&c, "t", None, 10, MIN + 10).unwrap();
    // A worker that read the clock just before the minute turned.
    let r = budgets.reserve(&c, "t", None, 90, MIN - 10).unwrap();
    assert_eq!(r.holds[0].windows[0], 1);
    assert!(budgets.reserve(&c, "t", None, 1, MIN - 5).is_err());
}

#[test]
fn unreadable_records_are_reset_in_place() {
    let store = MemoryStore::new();
    let key = record_key("t", None);
    store.set(&key, b"garbage", 0).unwrap();
    let c = cfg(r#"{"tokens_per_minute": 100}"#);
    Budgets::new(&store).reserve(&c, "t", None, 100, 0).unwrap();
    assert_eq!(record(&store, "t", None).minute.tokens, 100);
}

#[test]
fn keys_cannot_collide() {
    let keys = [
        record_key("a", None),
        record_key("a:b", None),
        record_key("a", Some("b")),
        record_key("a:b", Some("c")),
        record_key("a", Some("b:c")),
    ];
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn record_round_trips() {
    let mut rec = Record::default().rolled(5 * 86_400_000 + 123);
    rec.charge(77, 3);
    rec.minute.prev_tokens = u64::MAX;
    assert_eq!(Record::decode(&rec.encode()), Some(rec));
    assert_eq!(rec.encode().len(), RECORD_BYTES);
    assert_eq!(Record::decode(&rec.encode()[..RECORD_BYTES - 1]), None);
}

#[test]
fn reservation_serialises() {
    let store = MemoryStore::new();
    let c = cfg(r#"{"tokens_per_minute": 100, "models": {"m": {"tokens_per_day": 500}}}"#);
    let r = Budgets::new(&store)
        .reserve(&c, "t", Some("m"), 42, 0)
        .unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<Reservation>(&json).unwrap(), r);
}

// ---------------------------------------------------------------------------
// Races.

/// A store that lets other simulated workers run between a worker's read and its
/// write, as other Envoy workers can.
struct Racy<'a> {
    sim: &'a Sim,
}

impl Store for Racy<'_> {
    fn get(&self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
        self.sim.store.get(key)
    }

    fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
        self.sim.maybe_interfere();
        self.sim.store.set(key, value, cas)
    }
}

/// A small deterministic PRNG (splitmix64).
struct Rng(Cell<u64>);

impl Rng {
    fn next(&self) -> u64 {
        let mut z = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Outstanding {
    reservation: Reservation,
    actual: u64,
}

#[derive(Default)]
struct Books {
    /// Per budget key and minute window: tokens charged by admitted reservations
    /// (reserved until settled, actual after).
    tokens: BTreeMap<(String, u64), u64>,
    requests: BTreeMap<(String, u64), u64>,
    /// Per budget key and minute window: what the record's current-window counter
    /// must hold if no update was lost.
    expected_current: BTreeMap<(String, u64), u64>,
    admitted: u64,
    refused: u64,
    unavailable: u64,
    settled: u64,
}

struct Sim {
    store: MemoryStore,
    rng: Rng,
    clock: Cell<u64>,
    depth: Cell<u32>,
    interfere_pct: u64,
    interference_left: Cell<u64>,
    cfg: BudgetsConfig,
    tenant_tpm: u64,
    tenant_rpm: u64,
    model_tpm: u64,
    outstanding: RefCell<Vec<Outstanding>>,
    books: RefCell<Books>,
}

const MAX_DEPTH: u32 = 3;

impl Sim {
    fn new(seed: u64, window: &str, interfere_pct: u64) -> Sim {
        let cfg = cfg(&format!(
            r#"{{"window": "{window}", "tokens_per_minute": 1000, "requests_per_minute": 40,
                 "models": {{"m": {{"tokens_per_minute": 400}}}}}}"#
        ));
        Sim {
            store: MemoryStore::new(),
            rng: Rng(Cell::new(seed)),
            clock: Cell::new(seed % (10 * MIN)),
            depth: Cell::new(0),
            interfere_pct,
            interference_left: Cell::new(u64::MAX),
            cfg,
            tenant_tpm: 1000,
            tenant_rpm: 40,
            model_tpm: 400,
            outstanding: RefCell::new(Vec::new()),
            books: RefCell::new(Books::default()),
        }
    }

    fn maybe_interfere(&self) {
        if self.depth.get() < MAX_DEPTH
            && self.interference_left.get() > 0
            && self.rng.below(100) < self.interfere_pct
        {
            self.interference_left.set(self.interference_left.get() - 1);
            self.depth.set(self.depth.get() + 1);
            // Another worker, whose clock may read a little later.
            self.clock.set(self.clock.get() + self.rng.below(2_000));
            self.random_op();
            self.depth.set(self.depth.get() - 1);
        }
    }

    fn random_op(&self) {
        let settle = !self.outstanding.borrow().is_empty() && self.rng.below(100) < 45;
        if settle {
            self.settle_one();
        } else {
            self.reserve_one();
        }
    }

    fn reserve_one(&self) {
        let now = self.clock.get();
        let model = if self.rng.below(2) == 0 {
            Some("m")
        } else {
            None
        };
        let tokens = 1 + self.rng.below(300);
        // Most answers come in under the reservation; some use all of it.
        let actual = if self.rng.below(4) == 0 {
            tokens
        } else {
            self.rng.below(tokens + 1)
        };
        let result = budgets(&Racy { sim: self }).reserve(&self.cfg, "t", model, tokens, now);
        let mut books = self.books.borrow_mut();
        match result {
            Ok(reservation) => {
                books.admitted += 1;
                for hold in &reservation.holds {
                    let at = (hold.key.clone(), hold.windows[0]);
                    *books.tokens.entry(at.clone()).or_default() += tokens;
                    *books.requests.entry(at.clone()).or_default() += 1;
                    *books.expected_current.entry(at).or_default() += tokens;
                }
                drop(books);
                self.outstanding.borrow_mut().push(Outstanding {
                    reservation,
                    actual,
                });
            }
            Err(Refusal::OverLimit(_)) | Err(Refusal::TooLarge(_)) => books.refused += 1,
            Err(Refusal::StoreUnavailable) => books.unavailable += 1,
        }
    }

    fn settle_one(&self) {
        let now = self.clock.get();
        let index = self.rng.below(self.outstanding.borrow().len() as u64) as usize;
        let mut item = self.outstanding.borrow_mut().swap_remove(index);
        let before: Vec<bool> = item.reservation.holds.iter().map(|h| h.settled).collect();
        let result = budgets(&Racy { sim: self }).settle(&mut item.reservation, item.actual, now);
        let refund = item.reservation.tokens - item.actual;
        let mut books = self.books.borrow_mut();
        for (hold, was_settled) in item.reservation.holds.iter().zip(before) {
            if was_settled || !hold.settled {
                continue;
            }
            let at = (hold.key.clone(), hold.windows[0]);
            *books.tokens.get_mut(&at).unwrap() -= refund;
            // Right after a successful write nobody else has written: the record
            // shows where the refund went.
            let (bytes, _) = self.store.get(&hold.key).unwrap().unwrap();
            let current = Record::decode(&bytes).unwrap().minute.window;
            if current == hold.windows[0] {
                *books.expected_current.get_mut(&at).unwrap() -= refund;
            }
        }
        books.settled += 1;
        drop(books);
        if result.is_err() {
            self.outstanding.borrow_mut().push(item);
        }
    }

    fn check(&self) {
        let books = self.books.borrow();
        for ((key, window), &tokens) in &books.tokens {
            let limit = if key.ends_with(":m") {
                self.model_tpm
            } else {
                self.tenant_tpm
            };
            assert!(
                tokens <= limit,
                "{key} window {window}: {tokens} tokens admitted, limit {limit}"
            );
        }
        for ((key, window), &requests) in &books.requests {
            if !key.ends_with(":m") {
                assert!(
                    requests <= self.tenant_rpm,
                    "{key} window {window}: {requests} requests"
                );
            }
        }
        for key in self.store.keys() {
            let (bytes, _) = self.store.get(&key).unwrap().unwrap();
            let minute = Record::decode(&bytes).unwrap().minute;
            let expected = books
                .expected_current
                .get(&(key.clone(), minute.window))
                .copied()
                .unwrap_or(0);
            assert_eq!(minute.tokens, expected, "{key}: an update was lost");
        }
    }
}

/// Nested workers make long losing streaks likely; the attempt bound is
/// exercised on its own in `contention_past_the_bound_is_unavailable`.
fn budgets<'a>(racy: &'a Racy<'a>) -> Budgets<'a, Racy<'a>> {
    Budgets::new(racy).with_attempts(64)
}

fn run(seed: u64, window: &str, ops: usize) -> Books {
    let sim = Sim::new(seed, window, 35);
    for _ in 0..ops {
        sim.clock.set(sim.clock.get() + sim.rng.below(3_000));
        sim.random_op();
        sim.check();
    }
    // Settle everything left, then the books must still balance.
    while !sim.outstanding.borrow().is_empty() {
        sim.settle_one();
        sim.check();
    }
    assert!(sim.store.len() <= 2, "key set grew: {:?}", sim.store.keys());
    sim.books.into_inner()
}

#[test]
fn racing_workers_never_exceed_fixed_budgets() {
    let mut totals = (0, 0, 0);
    for seed in 0..150 {
        let books = run(seed, "fixed", 120);
        totals = (
            totals.0 + books.admitted,
            totals.1 + books.refused,
            totals.2 + books.settled,
        );
        assert_eq!(books.unavailable, 0);
    }
    // The runs must have exercised both outcomes.
    assert!(totals.0 > 1000 && totals.1 > 1000, "{totals:?}");
}

#[test]
fn racing_workers_never_exceed_sliding_budgets() {
    for seed in 1000..1150 {
        let books = run(seed, "sliding", 120);
        assert!(books.admitted > 0 && books.unavailable == 0);
    }
}

#[test]
fn first_creation_race_loses_no_update() {
    // The first write of the key is interfered with by another worker that
    // creates the key itself; both reservations must be on the books.
    let mut both_admitted = 0;
    for seed in 0..200 {
        let sim = Sim::new(seed, "fixed", 100);
        sim.interference_left.set(1);
        sim.reserve_one();
        sim.check();
        let books = sim.books.borrow();
        assert_eq!(
            sim.interference_left.get(),
            0,
            "seed {seed}: the race did not happen"
        );
        assert_eq!(books.admitted + books.refused, 2, "seed {seed}");
        both_admitted += usize::from(books.admitted == 2);
    }
    assert!(both_admitted > 100, "{both_admitted}");
}

#[test]
fn creation_with_cas_zero_would_lose_an_update() {
    // Why the budgets create with CREATE_CAS: Envoy ignores the cas of a
    // creation, and a cas of 0 on an existing key overwrites it.
    let store = MemoryStore::new();
    store.set("k", b"mine", 0).unwrap();
    assert_eq!(store.set("k", b"theirs", 0), Ok(()));
    assert_eq!(store.get("k").unwrap().unwrap().0, b"theirs");
    assert_eq!(
        store.set("k", b"late", CREATE_CAS),
        Err(StoreError::CasMismatch)
    );
}

/// A store where someone else always writes between our read and our write.
struct Hostile(MemoryStore);

impl Store for Hostile {
    fn get(&self, key: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
        self.0.get(key)
    }

    fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), StoreError> {
        let current = self.0.get(key)?.map(|(v, _)| v).unwrap_or_default();
        self.0.set(key, &current, 0)?;
        self.0.set(key, value, cas)
    }
}

#[test]
fn contention_past_the_bound_is_unavailable() {
    let store = Hostile(MemoryStore::new());
    let c = cfg(r#"{"tokens_per_minute": 100}"#);
    let result = Budgets::new(&store)
        .with_attempts(5)
        .reserve(&c, "t", None, 1, 0);
    assert_eq!(result, Err(Refusal::StoreUnavailable));
}

/// A store that is down.
struct Down;

impl Store for Down {
    fn get(&self, _: &str) -> Result<Option<(Vec<u8>, u32)>, StoreError> {
        Err(StoreError::Unavailable)
    }

    fn set(&self, _: &str, _: &[u8], _: u32) -> Result<(), StoreError> {
        Err(StoreError::Unavailable)
    }
}

#[test]
fn a_failed_store_is_reported_not_hidden() {
    let c = cfg(r#"{"tokens_per_minute": 100}"#);
    let budgets = Budgets::new(&Down);
    assert_eq!(
        budgets.reserve(&c, "t", None, 1, 0),
        Err(Refusal::StoreUnavailable)
    );
    assert_eq!(
        budgets.snapshot(&c, "t", None, 0),
        RateLimitState::default()
    );
    let mut held = Reservation {
        tokens: 5,
        holds: vec![Hold {
            key: record_key("t", None),
            windows: [0; 3],
            settled: false,
        }],
    };
    assert_eq!(
        budgets.settle(&mut held, 0, 0),
        Err(StoreError::Unavailable)
    );
    assert!(!held.is_settled(), "a failed settlement can be retried");
}
