//! The stored state of one budget: per period, the current and previous
//! window's counters, rolled over in place, and their byte encoding.

use super::budget::LimitKind;
use super::config::WindowKind;

const RECORD_FORMAT: u8 = 1;
const BUCKET_BYTES: usize = 5 * 8;
pub(super) const RECORD_BYTES: usize = 1 + 3 * BUCKET_BYTES;

/// The length of a budget's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Minute,
    Hour,
    Day,
}

impl Period {
    pub(super) const ALL: [Period; 3] = [Period::Minute, Period::Hour, Period::Day];

    pub fn len_ms(self) -> u64 {
        match self {
            Period::Minute => 60_000,
            Period::Hour => 3_600_000,
            Period::Day => 86_400_000,
        }
    }

    pub(super) fn window_at(self, now_ms: u64) -> u64 {
        now_ms / self.len_ms()
    }
}

/// `value * num / den`, rounded up, without overflow.
pub(super) fn mul_div_ceil(value: u64, num: u64, den: u64) -> u64 {
    if den == 0 {
        return value;
    }
    let product = u128::from(value) * u128::from(num);
    u64::try_from(product.div_ceil(u128::from(den))).unwrap_or(u64::MAX)
}

/// `value * num / den`, rounded down, without overflow.
pub(super) fn mul_div_floor(value: u64, num: u64, den: u64) -> u64 {
    if den == 0 {
        return value;
    }
    let product = u128::from(value) * u128::from(num);
    u64::try_from(product / u128::from(den)).unwrap_or(u64::MAX)
}

/// One period's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Bucket {
    pub(super) period_len: u64,
    pub(super) window: u64,
    pub(super) tokens: u64,
    pub(super) prev_tokens: u64,
    pub(super) requests: u64,
    pub(super) prev_requests: u64,
}

impl Bucket {
    pub(super) fn rolled(mut self, now_window: u64) -> Bucket {
        // A clock behind the record's window (another worker read the time a
        // little later) keeps the record's window.
        if now_window <= self.window {
            return self;
        }
        let adjacent = now_window == self.window.saturating_add(1);
        self.prev_tokens = if adjacent { self.tokens } else { 0 };
        self.prev_requests = if adjacent { self.requests } else { 0 };
        self.tokens = 0;
        self.requests = 0;
        self.window = now_window;
        self
    }

    pub(super) fn counters(&self, kind: LimitKind) -> (u64, u64) {
        if kind.counts_tokens() {
            (self.tokens, self.prev_tokens)
        } else {
            (self.requests, self.prev_requests)
        }
    }

    /// Milliseconds of the current window already gone (0 if the clock is behind).
    pub(super) fn elapsed(&self, now_ms: u64) -> u64 {
        let start = self.window.saturating_mul(self.period_len);
        now_ms.saturating_sub(start).min(self.period_len)
    }

    pub(super) fn used(&self, kind: LimitKind, window: WindowKind, now_ms: u64) -> u64 {
        let (current, previous) = self.counters(kind);
        match window {
            WindowKind::Fixed => current,
            WindowKind::Sliding => {
                let left = self.period_len - self.elapsed(now_ms);
                current.saturating_add(mul_div_ceil(previous, left, self.period_len))
            }
        }
    }

    /// How long until `add` more fits under `limit` (`add <= limit`), assuming
    /// nothing else is charged or refunded meanwhile.
    pub(super) fn wait_ms(
        &self,
        kind: LimitKind,
        window: WindowKind,
        limit: u64,
        add: u64,
        now_ms: u64,
    ) -> u64 {
        let (current, previous) = self.counters(kind);
        let len = self.period_len;
        let elapsed = self.elapsed(now_ms);
        let to_next_window = len - elapsed;
        let room = limit.saturating_sub(add);
        match window {
            WindowKind::Fixed => to_next_window,
            // The previous window's weight must fall until it fits beside the
            // current window: ceil(prev * (len - t) / len) <= room - current.
            WindowKind::Sliding if current <= room => {
                let needed_t = len.saturating_sub(mul_div_floor(room - current, len, previous));
                needed_t.saturating_sub(elapsed)
            }
            // Only after this window ends, when it becomes the previous one.
            WindowKind::Sliding => {
                let needed_t = len.saturating_sub(mul_div_floor(room, len, current));
                to_next_window.saturating_add(needed_t)
            }
        }
    }

    /// How long until this limit is wholly unused again.
    pub(super) fn reset_ms(&self, kind: LimitKind, window: WindowKind, now_ms: u64) -> u64 {
        let (current, previous) = self.counters(kind);
        let to_next_window = self.period_len - self.elapsed(now_ms);
        match window {
            WindowKind::Fixed if current > 0 => to_next_window,
            WindowKind::Sliding if current > 0 => to_next_window.saturating_add(self.period_len),
            WindowKind::Sliding if previous > 0 => to_next_window,
            _ => 0,
        }
    }

    pub(super) fn adjust(&mut self, hold_window: u64, reserved: u64, actual: u64, requests: u64) {
        if actual > reserved {
            self.tokens = self.tokens.saturating_add(actual - reserved);
        }
        let refund = reserved.saturating_sub(actual);
        if hold_window == self.window {
            self.tokens = self.tokens.saturating_sub(refund);
            self.requests = self.requests.saturating_sub(requests);
        } else if hold_window.saturating_add(1) == self.window {
            self.prev_tokens = self.prev_tokens.saturating_sub(refund);
            self.prev_requests = self.prev_requests.saturating_sub(requests);
        }
    }
}

/// The stored state of one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Record {
    pub(super) minute: Bucket,
    pub(super) hour: Bucket,
    pub(super) day: Bucket,
}

impl Default for Record {
    fn default() -> Record {
        let bucket = |period: Period| Bucket {
            period_len: period.len_ms(),
            ..Bucket::default()
        };
        Record {
            minute: bucket(Period::Minute),
            hour: bucket(Period::Hour),
            day: bucket(Period::Day),
        }
    }
}

impl Record {
    pub(super) fn bucket(&self, period: Period) -> &Bucket {
        match period {
            Period::Minute => &self.minute,
            Period::Hour => &self.hour,
            Period::Day => &self.day,
        }
    }

    pub(super) fn buckets_mut(&mut self) -> [&mut Bucket; 3] {
        [&mut self.minute, &mut self.hour, &mut self.day]
    }

    pub(super) fn rolled(mut self, now_ms: u64) -> Record {
        for (bucket, period) in self.buckets_mut().into_iter().zip(Period::ALL) {
            *bucket = bucket.rolled(period.window_at(now_ms));
        }
        self
    }

    pub(super) fn windows(&self) -> [u64; 3] {
        [self.minute.window, self.hour.window, self.day.window]
    }

    pub(super) fn charge(&mut self, tokens: u64, requests: u64) {
        for bucket in self.buckets_mut() {
            bucket.tokens = bucket.tokens.saturating_add(tokens);
            bucket.requests = bucket.requests.saturating_add(requests);
        }
    }

    pub(super) fn adjust(&mut self, windows: &[u64; 3], reserved: u64, actual: u64, requests: u64) {
        for (bucket, &window) in self.buckets_mut().into_iter().zip(windows) {
            bucket.adjust(window, reserved, actual, requests);
        }
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(RECORD_BYTES);
        out.push(RECORD_FORMAT);
        for bucket in [&self.minute, &self.hour, &self.day] {
            for value in [
                bucket.window,
                bucket.tokens,
                bucket.prev_tokens,
                bucket.requests,
                bucket.prev_requests,
            ] {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Option<Record> {
        let (&format, rest) = bytes.split_first()?;
        if format != RECORD_FORMAT || bytes.len() != RECORD_BYTES {
            return None;
        }
        let mut values = rest
            .chunks_exact(8)
            .map(|chunk| chunk.try_into().ok().map(u64::from_le_bytes));
        let mut record = Record::default();
        for bucket in record.buckets_mut() {
            bucket.window = values.next()??;
            bucket.tokens = values.next()??;
            bucket.prev_tokens = values.next()??;
            bucket.requests = values.next()??;
            bucket.prev_requests = values.next()??;
        }
        Some(record)
    }
}
