//! Finding (and if need be building) the filter's release `.wasm`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

use anyhow::{bail, Context as _};

/// The workspace root (the parent of this crate).
pub fn workspace_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// `target/wasm32-wasip1/release/customs_filter.wasm`, built with cargo when
/// it is missing or older than the filter's sources; `CUSTOMS_WASM` names
/// another file instead. Panics (failing the test) when it cannot be had.
pub fn wasm_path() -> PathBuf {
    try_wasm_path().unwrap_or_else(|e| panic!("{e:#}"))
}

/// [`wasm_path`] without the panic. Builds at most once per process.
pub fn try_wasm_path() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("CUSTOMS_WASM") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("CUSTOMS_WASM names {}, which is not a file", path.display());
        }
        return Ok(path);
    }
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_if_stale(&workspace_dir()).map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn build_if_stale(root: &Path) -> anyhow::Result<PathBuf> {
    let wasm = target_dir(root).join("wasm32-wasip1/release/customs_filter.wasm");
    let built = std::fs::metadata(&wasm).and_then(|m| m.modified()).ok();
    let sources = newest_source(root)?;
    if built.is_some_and(|b| sources.is_none_or(|s| s <= b)) {
        return Ok(wasm);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!(
        "building the filter: cargo build -p customs-filter --target wasm32-wasip1 --release"
    );
    let status = Command::new(cargo)
        .args([
            "build",
            "-p",
            "customs-filter",
            "--target",
            "wasm32-wasip1",
            "--release",
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir(root))
        .status()
        .context("running cargo to build the filter")?;
    if !status.success() {
        bail!("building the filter failed ({status}); see the cargo output above");
    }
    if !wasm.is_file() {
        bail!("cargo built the filter but {} is missing", wasm.display());
    }
    Ok(wasm)
}

/// The newest modification time of the filter's sources and the workspace
/// manifests. The fuzzing crate and the native tests are not part of the
/// `.wasm`, and fuzz runs write into them, so they do not count.
fn newest_source(root: &Path) -> anyhow::Result<Option<SystemTime>> {
    let mut newest = None;
    let skipped = [root.join("filter/fuzz"), root.join("filter/tests")];
    let mut pending = vec![root.join("filter")];
    for file in ["Cargo.toml", "Cargo.lock"] {
        pending.push(root.join(file));
    }
    while let Some(path) = pending.pop() {
        if skipped.contains(&path) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            for entry in
                std::fs::read_dir(&path).with_context(|| format!("reading {}", path.display()))?
            {
                pending.push(entry?.path());
            }
        } else if let Ok(modified) = meta.modified() {
            newest = newest.max(Some(modified));
        }
    }
    Ok(newest)
}
