//! Builds the console (`console/`, Vite + Vue) into OUT_DIR and generates the table of its
//! files that `lib.rs` embeds, so a `rekindle` binary never ships without its console.
//!
//! npm runs only when cargo sees the console's sources change. `REKINDLE_CONSOLE_DIST`
//! points at an already-built `dist/` instead (for packagers who build it separately).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let console = manifest.join("../../console").canonicalize().expect("the console/ directory exists");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-env-changed=REKINDLE_CONSOLE_DIST");
    for input in [
        "src",
        "public",
        "index.html",
        "openapi.json",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed={}", console.join(input).display());
    }

    let dist = match std::env::var_os("REKINDLE_CONSOLE_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dist = out.join("console");
            if dependencies_stale(&console) {
                npm(&console, &["ci", "--no-audit", "--no-fund"]);
            }
            let dist_arg = dist.display().to_string();
            npm(&console, &["run", "build", "--", "--outDir", &dist_arg, "--emptyOutDir"]);
            dist
        }
    };
    assert!(dist.join("index.html").exists(), "the console build has no index.html in {}", dist.display());

    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let table: String = files
        .iter()
        .map(|(rel, abs)| format!("    ({rel:?}, include_bytes!({:?})),\n", abs.display().to_string()))
        .collect();
    std::fs::write(out.join("assets.rs"), format!("pub static ASSETS: &[(&str, &[u8])] = &[\n{table}];\n"))
        .expect("writing the asset table");
}

fn npm(dir: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(dir).status().unwrap_or_else(|e| {
        panic!("running npm {args:?} in {} failed: {e}. Node.js 20+ and npm build the console.", dir.display())
    });
    assert!(status.success(), "npm {args:?} in {} failed ({status})", dir.display());
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("reading the console build") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            files.push((rel, path));
        }
    }
}

/// Whether `node_modules` is missing or older than the lock file (a pull added a package):
/// npm records what it installed in `node_modules/.package-lock.json`.
fn dependencies_stale(console: &Path) -> bool {
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(console.join("node_modules/.package-lock.json")), modified(console.join("package-lock.json"))) {
        (Some(installed), Some(wanted)) => installed < wanted,
        _ => true,
    }
}
