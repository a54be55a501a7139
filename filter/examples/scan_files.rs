//! Runs the default scanner over files and prints where it finds something:
//! a quick look for false positives on real text (source trees, docs, logs).
//!
//!     cargo run --release -p customs-filter --example scan_files -- \
//!         [--only CATEGORY] FILE...
//!
//! Prints `path:line: category` per finding (never the value), then the
//! number of files and bytes read and the findings per category on stderr.

use customs_filter::detect::{Scanner, ScannerConfig};
use std::collections::BTreeMap;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let only = match args.iter().position(|a| a == "--only") {
        Some(i) if i + 1 < args.len() => {
            let name = args.remove(i + 1);
            args.remove(i);
            Some(name)
        }
        _ => None,
    };
    let Ok(scanner) = Scanner::new(&ScannerConfig::default()) else {
        eprintln!("scan_files: the default scanner did not build");
        std::process::exit(1);
    };
    let (mut files, mut bytes) = (0usize, 0usize);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for path in &args {
        // Files that are not UTF-8 text are skipped, as customs would refuse them.
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        files += 1;
        bytes += text.len();
        let mut found = Vec::new();
        scanner.scan(&text, &mut found);
        for f in &found {
            let name = f.category.name();
            if only.as_deref().is_some_and(|o| o != name) {
                continue;
            }
            let line = text.get(..f.start).map_or(0, |b| b.matches('\n').count()) + 1;
            println!("{path}:{line}: {name}");
            *counts.entry(name.to_string()).or_default() += 1;
        }
    }
    eprintln!("{files} files, {bytes} bytes");
    for (name, n) in counts {
        eprintln!("{name}: {n}");
    }
}
