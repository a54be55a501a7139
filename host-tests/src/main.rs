//! `customs`: try a policy on a request without deploying it, check what crossed
//! the border, and the tools a policy author needs around that.

mod cli;

use std::process::ExitCode;

const HELP: &str = "\
customs: run customs' filter on a request, as Envoy would, without deploying it

usage:
  customs run [--policy POLICY.json] [--wasm PATH] REQUEST.json [--response RESPONSE.json]
  customs check [--wasm PATH] POLICY.json
  customs verify [--key KID=SECRET ...] --header VALUE (--body FILE | --body-text TEXT)
  customs verify [--key KID=SECRET ...] [--tag-prefix PREFIX] --request-record RECORD.json
  customs schema
  customs estimate [--family openai|anthropic] [FILE_OR_DIR ...]
  customs tenant-of [--secret SECRET] API_KEY
  customs corpus [--wasm PATH] [--policy POLICY.json] [--format table|json] [DIR]
  customs bench-detect [--wasm PATH] [--budget-ms MS] [--only native|engine|wasm|hostile] [--sizes KIB,...]
  customs --help

run        prints, as JSON, what would cross the border (method, path, headers,
           body) or the local response the filter sent instead, and what the
           client would receive. Without --policy the secure defaults apply;
           without --response the provider answers with a typical chat
           completion (an Anthropic message for /v1/messages).
check      loads the filter with POLICY.json: prints `ok`, or the error the
           filter logged and exits with status 1.
verify     checks an attestation header against the body that arrived: prints
           `ok: tenant=... request_id=... policy=... ts=...`, or why it failed
           and exits with status 1. Keys come from --key and from
           $CUSTOMS_ATTESTATION_KEYS (`kid=secret,kid2=secret2`), so that
           secrets need not be on the command line. --request-record takes the
           header (<prefix>attestation, prefix `x-customs-` unless --tag-prefix)
           and the body from a request as the mock provider records it:
           {\"headers\": [[name, value], ...] or {name: value},
            \"body_base64\": \"...\"}.
schema     prints the JSON Schema of the policy.
estimate   compares customs' token estimate with the exact o200k_base count on
           sample texts (samples separated by lines holding only `%%`; a
           directory means its .txt files; default corpus/estimator/) and
           prints, per file and overall, the samples, the mean and worst
           absolute error and the bias. With --family anthropic the estimate
           carries the Anthropic margin and is still compared with o200k_base
           (Anthropic publishes no tokenizer).
tenant-of  prints the keyed hash of API_KEY as the policy's tenants.api_keys
           map lists it. SECRET is the policy's tenants.api_key_hmac_secret,
           from --secret or $CUSTOMS_API_KEY_HMAC_SECRET; API_KEY `-` reads the
           key from standard input.
corpus     runs the labelled detection corpus (DIR, default corpus/labelled/)
           through the filter with the default policy and prints, per category,
           the recall (labelled values that did not cross in any form) and the
           false-positive rate on look-alike lines; exits with status 1 when a
           target is missed (100% recall, at most 0.5% false positives).
bench-detect  measures detection throughput natively and per request inside
           the .wasm, and (--only hostile) the cost per byte of hostile bodies
           from 1 KiB to 1 MiB, as Markdown tables (use a release build).

REQUEST.json   {\"method\": \"POST\", \"path\": \"/v1/chat/completions\",
                \"headers\": {\"name\": \"value\"} or [[\"name\", \"value\"], ...],
                \"body\": a JSON value, or a string sent as it is}
RESPONSE.json  {\"status\": 200, \"headers\": ..., \"body\": JSON or string}
               or {\"status\": 200, \"headers\": ..., \"sse\": [\"data: ...\\n\\n\", ...]}

The module: --wasm, else $CUSTOMS_WASM, else
target/wasm32-wasip1/release/customs_filter.wasm (built with cargo if stale).
Usage errors exit with status 2.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        None | Some("--help" | "-h" | "help") => {
            print!("{HELP}");
            Ok(ExitCode::SUCCESS)
        }
        Some("run") => cli::run::main(rest),
        Some("check") => cli::check::main(rest),
        Some("verify") => cli::verify::main(rest),
        Some("schema") => cli::schema::main(rest),
        Some("estimate") => cli::estimate::main(rest),
        Some("tenant-of") => cli::tenant_of::main(rest),
        Some("corpus") => cli::corpus::main(rest),
        Some("bench-detect") => cli::bench_detect::main(rest),
        Some(other) => Err(anyhow::anyhow!(
            "unknown command {other:?}; see customs --help"
        )),
    };
    result.unwrap_or_else(|e| {
        eprintln!("customs: {e:#}");
        ExitCode::from(2)
    })
}
