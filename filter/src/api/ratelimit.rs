//! Rate-limit headers in each provider's own style, so that client SDKs back off
//! as they would for the provider's own limits.

use super::Provider;
use crate::limits::{LimitState, RateLimitState};

/// Headers for `state`: OpenAI `x-ratelimit-{limit,remaining,reset}-{tokens,requests}`
/// (reset as a duration, `6m0s`), Anthropic
/// `anthropic-ratelimit-{tokens,requests}-{limit,remaining,reset}` (reset as an
/// RFC 3339 time).
pub fn headers(provider: Provider, state: &RateLimitState, now_ms: u64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (kind, limit) in [("tokens", state.tokens), ("requests", state.requests)] {
        let Some(LimitState {
            limit,
            remaining,
            reset_secs,
        }) = limit
        else {
            continue;
        };
        match provider {
            Provider::OpenAi => {
                out.push((format!("x-ratelimit-limit-{kind}"), limit.to_string()));
                out.push((
                    format!("x-ratelimit-remaining-{kind}"),
                    remaining.to_string(),
                ));
                out.push((format!("x-ratelimit-reset-{kind}"), duration(reset_secs)));
            }
            Provider::Anthropic => {
                out.push((
                    format!("anthropic-ratelimit-{kind}-limit"),
                    limit.to_string(),
                ));
                out.push((
                    format!("anthropic-ratelimit-{kind}-remaining"),
                    remaining.to_string(),
                ));
                let at = now_ms / 1000 + reset_secs;
                out.push((format!("anthropic-ratelimit-{kind}-reset"), rfc3339(at)));
            }
        }
    }
    out
}

/// `6m0s`, `1h2m3s`, `45s`, as OpenAI writes resets.
fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// Seconds since the epoch as `2026-11-26T14:00:00Z`.
pub fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_style() {
        let state = RateLimitState {
            tokens: Some(LimitState {
                limit: 1000,
                remaining: 250,
                reset_secs: 360,
            }),
            requests: None,
        };
        let openai = headers(Provider::OpenAi, &state, 0);
        assert!(openai.contains(&("x-ratelimit-remaining-tokens".into(), "250".into())));
        assert!(openai.contains(&("x-ratelimit-reset-tokens".into(), "6m0s".into())));
        let anthropic = headers(Provider::Anthropic, &state, 1_764_165_600_000);
        assert!(anthropic.contains(&("anthropic-ratelimit-tokens-limit".into(), "1000".into())));
        assert!(anthropic.contains(&(
            "anthropic-ratelimit-tokens-reset".into(),
            "2025-11-26T14:06:00Z".into()
        )));
    }

    #[test]
    fn durations_and_dates() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(3723), "1h2m3s");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
