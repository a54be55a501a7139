//! Token budgets through the real `.wasm`: several workers sharing one host's
//! shared data, interleaved requests against one budget under a virtual clock,
//! refunds, disconnects, streams with and without usage, and the 429s clients
//! get in each provider's style.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/filter.rs"]
mod filter;

use std::time::Duration;

use customs_filter::limits::{estimate_tokens, TokenizerFamily};
use customs_host::Stream;
use filter::*;
use serde_json::{json, Value};

const MINUTE_MS: u64 = 60_000;

/// splitmix64: a small deterministic generator, so every run replays the same
/// interleavings.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const WORDS: &str = "budget quarterly plan the a review of sales numbers for region north and \
                     south please summarise risks briefly";

fn sentence(rng: &mut Rng) -> String {
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let n = 1 + rng.below(25) as usize;
    (0..n)
        .map(|_| words[rng.below(words.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// How the provider (or the client) ends one admitted exchange.
#[derive(Clone, Debug)]
enum Ending {
    /// A JSON answer reporting this usage.
    Json { prompt: u64, completion: u64 },
    /// The provider fails with this status.
    Error(u16),
    /// An SSE answer: these text pieces, the usage chunk when given; the client
    /// goes away after `cut` events if set.
    Stream {
        pieces: Vec<String>,
        usage: Option<(u64, u64)>,
        cut: Option<usize>,
    },
    /// The client goes away before any answer.
    GoneBeforeAnswer,
}

struct Flight {
    stream: Stream,
    reserved: u64,
    prompt: u64,
    window: u64,
    ending: Ending,
    /// The SSE answer's events, once its headers went; `sent` of them have gone.
    events: Option<Vec<String>>,
    sent: usize,
}

impl Flight {
    /// What the budget is charged when this exchange ends now: customs' rule,
    /// restated.
    fn charge(&self) -> u64 {
        match &self.ending {
            Ending::Json { prompt, completion } => prompt + completion,
            Ending::Error(_) => 0,
            Ending::GoneBeforeAnswer => self.prompt,
            Ending::Stream { pieces, usage, .. } => {
                let events = self.events.as_deref().unwrap_or_default();
                let seen = &events[..self.sent];
                if self.events.is_none() || seen.is_empty() {
                    // Headers at most: nothing read, the reservation stands.
                    return self.reserved;
                }
                let usage_seen = seen.iter().any(|e| e.contains("\"usage\""));
                match usage {
                    Some((p, c)) if usage_seen => p + c,
                    _ => {
                        // The prompt estimate plus the output streamed so far: the
                        // first event is the role chunk, one event per piece follows.
                        let shown = (seen.len() - 1).min(pieces.len());
                        let text = pieces[..shown].concat();
                        self.prompt + u64::from(estimate_tokens(&text, TokenizerFamily::OpenAi))
                    }
                }
            }
        }
    }
}

/// What the test believes the fixed-window budget holds.
struct Model {
    limit: u64,
    window: u64,
    used: u64,
}

impl Model {
    fn roll(&mut self, now_ms: u64) {
        let window = now_ms / MINUTE_MS;
        if window != self.window {
            self.window = window;
            self.used = 0;
        }
    }

    /// A reservation `reserved` made in `window` settles at `actual`, now.
    fn settle(&mut self, window: u64, reserved: u64, actual: u64) {
        if actual > reserved {
            // Extra tokens land where the clock is now.
            self.used += actual - reserved;
        } else if window == self.window {
            self.used = self.used.saturating_sub(reserved - actual);
        }
        // A refund for a window gone by gives the new window nothing.
    }
}

/// `(requested, remaining, limit)` from a 429's message.
fn refusal_numbers(body: &Value) -> (u64, u64, u64) {
    let message = body["error"]["message"].as_str().unwrap();
    let numbers: Vec<u64> = message
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(numbers.len() >= 3, "{message}");
    (numbers[0], numbers[1], numbers[2])
}

#[test]
fn interleaved_requests_on_several_workers_never_overrun_a_budget() {
    const LIMIT: u64 = 400;
    const MAX_OUTPUT: u64 = 30;
    let policy = json!({"limits": {
        "budgets": {"window": "fixed", "tokens_per_minute": LIMIT},
        "caps": {"max_output_tokens": MAX_OUTPUT}
    }});
    let edge = Edge::new(&policy, 3);
    let mut rng = Rng(0x00c0_ffee);
    let mut model = Model {
        limit: LIMIT,
        window: edge.now_ms() / MINUTE_MS,
        used: 0,
    };
    let mut flights: Vec<Flight> = Vec::new();
    let (mut admitted, mut refused, mut settled_late) = (0u32, 0u32, 0u32);
    for round in 0..3000 {
        let steps = 8 + rng.below(16);
        for _ in 0..steps {
            let roll = rng.below(100);
            if roll < 3 {
                // Time passes, sometimes into the next window with exchanges in flight.
                let secs = if rng.chance(30) { 60 } else { rng.below(20) };
                edge.host.advance_clock(Duration::from_secs(secs));
                model.roll(edge.now_ms());
            } else if (roll < 35 && flights.len() < 10) || flights.is_empty() {
                let streamed = rng.chance(40);
                let content = sentence(&mut rng);
                let req = Req::post(
                    "/v1/chat/completions",
                    &json!({"model": "gpt-4o-mini", "stream": streamed,
                            "messages": [{"role": "user", "content": content}]}),
                );
                let worker = rng.below(3) as usize;
                let mut s = edge.send(worker, &req);
                if s.upstream().is_some() {
                    let (prompt, reserved) = tokens_tag(&s);
                    assert_eq!(reserved, prompt + MAX_OUTPUT, "round {round}");
                    assert!(
                        model.used + reserved <= LIMIT,
                        "round {round}: admitted {reserved} tokens with {} of {LIMIT} used",
                        model.used
                    );
                    model.used += reserved;
                    admitted += 1;
                    flights.push(Flight {
                        stream: s,
                        reserved,
                        prompt,
                        window: model.window,
                        ending: pick_ending(&mut rng, streamed, prompt, MAX_OUTPUT),
                        events: None,
                        sent: 0,
                    });
                } else {
                    check_refusal(&mut s, &model, round);
                    refused += 1;
                }
            } else {
                let i = rng.below(flights.len() as u64) as usize;
                if advance(&mut flights[i], &mut rng) {
                    let flight = flights.swap_remove(i);
                    if flight.window != model.window {
                        settled_late += 1;
                    }
                    model.settle(flight.window, flight.reserved, flight.charge());
                }
            }
            assert_eq!(
                edge.tokens_left("default"),
                model.limit.saturating_sub(model.used),
                "round {round}: the budget and the model disagree"
            );
        }
    }
    assert!(
        admitted > 5000 && refused > 1000,
        "admitted {admitted}, refused {refused}"
    );
    assert!(
        settled_late > 50,
        "only {settled_late} exchanges settled in a later window"
    );
}

/// How an admitted exchange will end: mostly answered, sometimes failed or
/// abandoned; streams with or without usage, some cut short.
fn pick_ending(rng: &mut Rng, streamed: bool, prompt: u64, max_output: u64) -> Ending {
    match (streamed, rng.below(10)) {
        (_, 0) => Ending::GoneBeforeAnswer,
        (_, 1) => Ending::Error([500, 502, 503, 429][rng.below(4) as usize]),
        // The provider's prompt count may run above customs' estimate.
        (false, _) => Ending::Json {
            prompt: prompt + rng.below(5),
            completion: rng.below(max_output + 1),
        },
        (true, k) => {
            let pieces: Vec<String> = (0..1 + rng.below(4)).map(|_| sentence(rng)).collect();
            let usage = (k > 3).then(|| (prompt, rng.below(max_output + 1)));
            let cut = rng
                .chance(30)
                .then(|| rng.below(pieces.len() as u64 + 4) as usize);
            Ending::Stream { pieces, usage, cut }
        }
    }
}

/// A refused request: a 429 whose numbers match what the model holds.
fn check_refusal(s: &mut Stream, model: &Model, round: u32) {
    let client = s.client();
    assert_eq!(
        client.status(),
        429,
        "round {round}: {}",
        client.body_text()
    );
    let (requested, remaining, limit) = refusal_numbers(&client.json().unwrap());
    assert_eq!(limit, model.limit);
    assert!(
        model.used + requested > model.limit,
        "round {round}: refused {requested} tokens with {} of {limit} used",
        model.used
    );
    assert_eq!(remaining, limit.saturating_sub(model.used), "round {round}");
    let header = client.header("x-ratelimit-remaining-tokens");
    assert_eq!(header, Some(remaining.to_string().as_str()));
    assert!(client.header("retry-after").is_some());
    assert!(s.is_finished());
}

/// One more step of an admitted exchange; true when it has ended.
fn advance(flight: &mut Flight, rng: &mut Rng) -> bool {
    let s = &mut flight.stream;
    match flight.ending.clone() {
        Ending::GoneBeforeAnswer => {
            s.disconnect();
        }
        Ending::Error(status) => {
            answer_json(
                s,
                status,
                &json!({"error": {"message": "upstream trouble", "type": "server_error"}}),
            );
        }
        Ending::Json { prompt, completion } => {
            answer_json(s, 200, &chat_answer("done", prompt, completion));
        }
        Ending::Stream { pieces, usage, cut } => {
            if flight.events.is_none() {
                let texts: Vec<&str> = pieces.iter().map(String::as_str).collect();
                flight.events = Some(openai_stream(&texts, usage));
                s.response_headers(
                    &[(":status", "200"), ("content-type", "text/event-stream")],
                    false,
                );
                if rng.chance(50) {
                    return false;
                }
            }
            let events = flight.events.as_ref().unwrap();
            if cut == Some(flight.sent) {
                s.disconnect();
                assert!(s.is_finished());
                return true;
            }
            let last = flight.sent + 1 == events.len();
            s.response_body(events[flight.sent].as_bytes(), last);
            flight.sent += 1;
            if !last {
                return false;
            }
            let client = s.client().body_text();
            // customs asked for the usage chunk on the client's behalf.
            assert!(!client.contains("\"usage\""), "{client}");
        }
    }
    assert!(s.is_finished(), "the exchange did not end");
    true
}

#[derive(Clone, Copy, Debug)]
enum Api {
    OpenAi,
    Anthropic,
}

fn small_request(api: Api) -> Req {
    match api {
        Api::OpenAi => Req::post(
            "/v1/chat/completions",
            &json!({"model": "gpt-4o-mini", "max_tokens": 40, "messages": [{"role": "user", "content": "Hi"}]}),
        ),
        Api::Anthropic => Req::post(
            "/v1/messages",
            &json!({"model": "claude-sonnet-4-5", "max_tokens": 40, "messages": [{"role": "user", "content": "Hi"}]}),
        ),
    }
}

/// The rate-limit headers of `api`'s style on a client answer:
/// (limit, remaining, reset) for tokens.
fn token_headers(api: Api, s: &Stream) -> (String, String, String) {
    let client = s.client();
    let get = |name: &str| {
        client
            .header(name)
            .unwrap_or_else(|| panic!("no {name}: {:?}", client.headers))
            .to_string()
    };
    match api {
        Api::OpenAi => (
            get("x-ratelimit-limit-tokens"),
            get("x-ratelimit-remaining-tokens"),
            get("x-ratelimit-reset-tokens"),
        ),
        Api::Anthropic => (
            get("anthropic-ratelimit-tokens-limit"),
            get("anthropic-ratelimit-tokens-remaining"),
            get("anthropic-ratelimit-tokens-reset"),
        ),
    }
}

#[test]
fn the_second_request_over_a_small_budget_gets_a_429_in_the_providers_style() {
    for api in [Api::OpenAi, Api::Anthropic] {
        for window in ["fixed", "sliding"] {
            let policy = json!({"limits": {"budgets": {"window": window, "tokens_per_minute": 60,
                                                        "requests_per_minute": 10}}});
            let edge = Edge::new(&policy, 2);
            let first = edge.send(0, &small_request(api));
            let (_, reserved) = tokens_tag(&first);
            assert!(reserved > 40 && reserved <= 60, "{reserved}");
            // The first exchange is still in flight on worker 0: its reservation
            // holds when worker 1 asks.
            let second = edge.send(1, &small_request(api));
            let client = second.client();
            let what = format!("{api:?} {window}");
            assert_eq!(client.status(), 429, "{what}: {}", client.body_text());
            assert!(second.upstream().is_none(), "{what}");
            let body = client.json().unwrap();
            match api {
                Api::OpenAi => {
                    assert_eq!(body["error"]["type"], "rate_limit_error", "{what}");
                    assert_eq!(body["error"]["code"], "customs_budget_exceeded", "{what}");
                }
                Api::Anthropic => {
                    assert_eq!(body["type"], "error", "{what}");
                    assert_eq!(body["error"]["type"], "rate_limit_error", "{what}");
                }
            }
            let message = body.pointer("/error/message").unwrap().as_str().unwrap();
            assert!(
                message.contains("tokens_per_minute budget exceeded"),
                "{what}: {message}"
            );
            let retry: u64 = client.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=120).contains(&retry), "{what}: retry-after {retry}");
            let (limit, remaining, reset) = token_headers(api, &second);
            assert_eq!(limit, "60", "{what}");
            assert_eq!(remaining, (60 - reserved).to_string(), "{what}");
            match api {
                // The clock sits on a window boundary: a fixed window resets in a
                // minute, a sliding one once the next window has passed too.
                Api::OpenAi => {
                    assert_eq!(
                        reset,
                        if window == "fixed" { "1m0s" } else { "2m0s" },
                        "{what}"
                    )
                }
                Api::Anthropic => assert_eq!(
                    reset,
                    if window == "fixed" {
                        "2025-01-01T00:01:00Z"
                    } else {
                        "2025-01-01T00:02:00Z"
                    },
                    "{what}"
                ),
            }
            let requests = match api {
                Api::OpenAi => client.header("x-ratelimit-remaining-requests"),
                Api::Anthropic => client.header("anthropic-ratelimit-requests-remaining"),
            };
            assert_eq!(requests, Some("9"), "{what}");
            assert_eq!(
                edge.counter("customs.rejections.customs_budget_exceeded"),
                1
            );
            assert_eq!(
                edge.counter("customs.requests.limited.chat_completions")
                    + edge.counter("customs.requests.limited.anthropic_messages"),
                1
            );
        }
    }
}

#[test]
fn a_refused_request_fits_exactly_when_retry_after_has_passed() {
    for window in ["fixed", "sliding"] {
        let policy = json!({"limits": {"budgets": {"window": window, "tokens_per_minute": 100}}});
        let edge = Edge::new(&policy, 2);
        let req = small_request(Api::OpenAi);
        // Start part-way into a window, so that sliding weights matter.
        edge.host.advance_clock(Duration::from_secs(17));
        // Two exchanges of 35 tokens leave 30 of 100: too few for a third.
        let mut reserved = 0;
        for worker in [0, 1] {
            let mut s = edge.send(worker, &req);
            reserved = tokens_tag(&s).1;
            answer_json(&mut s, 200, &chat_answer("ok", 30, 5));
            assert_eq!(s.client().status(), 200, "{window}");
        }
        assert!(reserved > 30 && reserved <= 65, "{reserved}");
        let third = edge.send(0, &req);
        assert_eq!(
            third.client().status(),
            429,
            "{window}: {}",
            third.client().body_text()
        );
        let retry: u64 = third
            .client()
            .header("retry-after")
            .unwrap()
            .parse()
            .unwrap();
        edge.host.advance_clock(Duration::from_secs(retry - 1));
        let early = edge.send(1, &req);
        assert_eq!(
            early.client().status(),
            429,
            "{window}: admitted a second before retry-after {retry} (reserved {reserved})"
        );
        edge.host.advance_clock(Duration::from_secs(1));
        let on_time = edge.send(0, &req);
        assert!(
            on_time.upstream().is_some(),
            "{window}: still refused after retry-after {retry}: {}",
            on_time.client().body_text()
        );
    }
}

#[test]
fn a_window_rolls_over_on_the_virtual_clock() {
    let policy = json!({"limits": {"budgets": {"window": "fixed", "tokens_per_minute": 100,
                                                "tokens_per_hour": 250}}});
    let edge = Edge::new(&policy, 2);
    let req = small_request(Api::OpenAi);
    let mut minute_used = 0;
    for minute in 0..4 {
        let mut s = edge.send(minute % 2, &req);
        if minute < 3 {
            assert_eq!(
                s.client().status(),
                0,
                "minute {minute}: still waiting for the provider"
            );
            answer_json(&mut s, 200, &chat_answer("ok", 40, 40));
            minute_used += 80;
            // This minute is spent; the next request must wait for the next one.
            let refused = edge.send(1, &req);
            assert_eq!(refused.client().status(), 429, "minute {minute}");
            edge.host.advance_clock(Duration::from_secs(60));
        } else {
            // Three minutes at 80 leave 10 of the hour's 250: too little.
            assert_eq!(minute_used, 240);
            assert_eq!(s.client().status(), 429, "{}", s.client().body_text());
            let message = s.client().json().unwrap()["error"]["message"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(
                message.contains("tokens_per_hour budget exceeded"),
                "{message}"
            );
        }
    }
    edge.host.advance_clock(Duration::from_secs(3600));
    assert!(edge.send(0, &req).upstream().is_some());
}

#[test]
fn failed_answers_refund_the_reservation() {
    let policy = json!({"limits": {"budgets": {"tokens_per_minute": 1000}}});
    let edge = Edge::new(&policy, 2);
    for status in [500, 502, 503, 429, 400] {
        let before = edge.tokens_left("default");
        let mut s = edge.send(0, &small_request(Api::OpenAi));
        let (_, reserved) = tokens_tag(&s);
        assert_eq!(
            edge.tokens_left("default"),
            before - reserved,
            "{status}: reserved"
        );
        answer_json(
            &mut s,
            status,
            &json!({"error": {"message": "no", "type": "server_error"}}),
        );
        assert_eq!(s.client().status(), status);
        assert_eq!(
            edge.tokens_left("default"),
            before,
            "{status}: not refunded"
        );
    }
    // A stream the provider fails refunds too.
    let mut s = edge.send(1, &Req::post(
        "/v1/chat/completions",
        &json!({"model": "gpt-4o-mini", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}),
    ));
    s.respond(&customs_host::Response::json(
        503,
        &json!({"error": {"message": "busy"}}),
    ));
    assert_eq!(edge.tokens_left("default"), 1000);
    let audit = edge.audit();
    assert!(audit.iter().all(|a| a["tokens"]["used"] == 0), "{audit:?}");
}

#[test]
fn a_client_that_leaves_mid_stream_pays_the_prompt_and_what_was_streamed() {
    let policy = json!({"limits": {"budgets": {"tokens_per_minute": 5000},
                                   "caps": {"max_output_tokens": 500}}});
    let edge = Edge::new(&policy, 1);
    let pieces = [
        "The quarterly numbers look strong in the north ",
        "and weaker in the south, where two large accounts churned ",
        "after the price change in March.",
    ];
    let events = openai_stream(&pieces, Some((60, 70)));
    for sent in 0..events.len() {
        let before = edge.tokens_left("default");
        let mut s = edge.send(
            0,
            &Req::post(
                "/v1/chat/completions",
                &json!({"model": "gpt-4o-mini", "stream": true,
                    "messages": [{"role": "user", "content": "How did the quarter go?"}]}),
            ),
        );
        let (prompt, reserved) = tokens_tag(&s);
        assert_eq!(reserved, prompt + 500);
        s.response_headers(
            &[(":status", "200"), ("content-type", "text/event-stream")],
            false,
        );
        for event in &events[..sent] {
            s.response_body(event.as_bytes(), false);
        }
        s.disconnect();
        let charged = before - edge.tokens_left("default");
        // Events 1..=3 carry the pieces; event 5 is the usage chunk.
        let streamed: String = pieces[..sent.saturating_sub(1).min(3)].concat();
        let floor = prompt + u64::from(estimate_tokens(&streamed, TokenizerFamily::OpenAi));
        match sent {
            // Nothing of the answer was read: customs keeps the reservation,
            // which is never less than the floor.
            0 => assert!(charged <= reserved, "left at once: charged {charged}"),
            s if s > 5 => assert_eq!(charged, 60 + 70, "left after the usage chunk"),
            _ => assert_eq!(charged, floor, "left after {sent} events"),
        }
        assert!(
            charged >= floor,
            "left after {sent} events: charged {charged} < {floor}"
        );
    }
    // Gone before the answer's headers: the provider read the prompt.
    let before = edge.tokens_left("default");
    let mut s = edge.send(0, &chat("How did the quarter go?"));
    let (prompt, _) = tokens_tag(&s);
    s.disconnect();
    assert_eq!(before - edge.tokens_left("default"), prompt);
}

#[test]
fn streams_are_charged_their_usage_whether_or_not_the_provider_reports_it() {
    let with_usage = Edge::new(
        &json!({"limits": {"budgets": {"tokens_per_minute": 5000}}}),
        1,
    );
    let without = Edge::new(
        &json!({"limits": {"budgets": {"tokens_per_minute": 5000}, "inject_include_usage": false}}),
        1,
    );
    let stream_req = |include_usage: bool| {
        let mut body = json!({"model": "gpt-4o-mini", "stream": true,
                              "messages": [{"role": "user", "content": "Tell me a story"}]});
        if include_usage {
            body["stream_options"] = json!({"include_usage": true});
        }
        Req::post("/v1/chat/completions", &body)
    };
    let pieces = [
        "Once upon a time ",
        "there was a border ",
        "that counted every token.",
    ];

    // customs asks for usage, reads it, and keeps the extra chunk from the client.
    let mut s = with_usage.send(0, &stream_req(false));
    let up = s.upstream().unwrap().json().unwrap();
    assert_eq!(up["stream_options"]["include_usage"], true);
    let events = openai_stream(&pieces, Some((11, 17)));
    answer_sse(
        &mut s,
        &events.iter().map(|e| e.as_bytes()).collect::<Vec<_>>(),
    );
    let client = s.client().body_text();
    assert!(!client.contains("\"usage\""), "{client}");
    assert_eq!(streamed_text(client.as_bytes()), pieces.concat());
    assert_eq!(with_usage.tokens_left("default"), 5000 - 28);

    // A client that asked for usage gets its chunk, and is charged the same way.
    let mut s = with_usage.send(0, &stream_req(true));
    answer_sse(
        &mut s,
        &events.iter().map(|e| e.as_bytes()).collect::<Vec<_>>(),
    );
    assert!(s.client().body_text().contains("\"completion_tokens\":17"));
    assert_eq!(with_usage.tokens_left("default"), 5000 - 56);

    // With injection off nothing is added, and the streamed output is counted.
    let mut s = without.send(0, &stream_req(false));
    let up = s.upstream().unwrap().json().unwrap();
    assert!(up.get("stream_options").is_none(), "{up}");
    let (prompt, _) = tokens_tag(&s);
    let events = openai_stream(&pieces, None);
    answer_sse(
        &mut s,
        &events.iter().map(|e| e.as_bytes()).collect::<Vec<_>>(),
    );
    assert_eq!(streamed_text(&s.client().body), pieces.concat());
    let output = u64::from(estimate_tokens(&pieces.concat(), TokenizerFamily::OpenAi));
    assert_eq!(without.tokens_left("default"), 5000 - prompt - output);

    // Anthropic reports input in message_start and output in message_delta.
    let mut s = with_usage.send(0, &small_request(Api::Anthropic));
    let events = anthropic_stream(&pieces, 21, 33);
    answer_sse(
        &mut s,
        &events.iter().map(|e| e.as_bytes()).collect::<Vec<_>>(),
    );
    assert_eq!(with_usage.tokens_left("default"), 5000 - 56 - 54);
}

#[test]
fn a_throttled_request_is_charged_several_times_over() {
    let policy = json!({
        "signals": {"logprobs": "throttle", "throttle_factor": 5},
        "limits": {"budgets": {"tokens_per_hour": 100000}}
    });
    let edge = Edge::new(&policy, 1);
    let plain = Req::post(
        "/v1/chat/completions",
        &json!({"model": "gpt-4o-mini", "max_tokens": 20, "messages": [{"role": "user", "content": "Hi"}]}),
    );
    let mut probed = plain.clone();
    let mut doc: Value = serde_json::from_slice(&probed.body).unwrap();
    doc["logprobs"] = json!(true);
    probed.body = doc.to_string().into_bytes();

    let mut s = edge.send(0, &plain);
    let (prompt, reserved) = tokens_tag(&s);
    assert_eq!(reserved, prompt + 20);
    answer_json(&mut s, 200, &chat_answer("ok", 7, 3));
    assert_eq!(edge.tokens_left("default"), 100000 - 10);

    let mut s = edge.send(0, &probed);
    let up = s.upstream().unwrap();
    assert_eq!(up.header("x-customs-signals"), Some("logprobs"));
    let (_, reserved) = tokens_tag(&s);
    assert_eq!(reserved, 5 * (prompt + 20));
    assert_eq!(edge.tokens_left("default"), 100000 - 10 - reserved);
    answer_json(&mut s, 200, &chat_answer("ok", 7, 3));
    assert_eq!(edge.tokens_left("default"), 100000 - 10 - 5 * 10);
}

#[test]
fn a_models_own_budget_holds_beside_the_tenants() {
    let policy = json!({"limits": {"budgets": {"tokens_per_minute": 10000,
                                                "models": {"gpt-4o": {"tokens_per_minute": 100}}}}});
    let edge = Edge::new(&policy, 2);
    let req = |model: &str| {
        Req::post(
            "/v1/chat/completions",
            &json!({"model": model, "max_tokens": 60, "messages": [{"role": "user", "content": "Hi"}]}),
        )
    };
    let first = edge.send(0, &req("gpt-4o"));
    assert_eq!(first.client().status(), 0, "in flight");
    let second = edge.send(1, &req("gpt-4o"));
    assert_eq!(second.client().status(), 429);
    let message = second.client().json().unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("budget of model `gpt-4o`"), "{message}");
    // Another model draws on the tenant's budget only.
    for _ in 0..5 {
        let s = edge.send(1, &req("gpt-4o-mini"));
        assert!(s.upstream().is_some(), "{}", s.client().body_text());
    }
    // The refused request gave back what the tenant's budget had granted it.
    let (_, reserved) = tokens_tag(&first);
    assert_eq!(edge.tokens_left("default"), 10000 - 6 * reserved);
}
