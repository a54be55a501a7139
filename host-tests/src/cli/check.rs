//! `customs check`: does the filter accept this policy?

use std::process::ExitCode;

use customs_host::Host;

use super::{plugin, Args};

pub fn main(args: &[String]) -> anyhow::Result<ExitCode> {
    let args = Args::parse(args, &[("--wasm", "a file")])?;
    let policy = args.one_positional("POLICY.json")?;
    let host = Host::new();
    host.echo_logs(false);
    match host
        .plugin(plugin(args.one("--wasm")?, Some(policy))?)
        .start_vm()
    {
        Ok(_) => {
            println!("ok");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!(
                "{}",
                e.filter_message()
                    .map_or_else(|| e.to_string(), str::to_string)
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
