//! Embeds the built dashboard (`web/dist`) in the binary.
//!
//! - A release build runs `npm ci` (when `node_modules` is older than the lock file) and
//!   `npm run build` when the dashboard's sources changed, so `cargo run --release -p
//!   pulsar-server -- serve` serves a current dashboard from a fresh clone.
//! - A debug build (and so `cargo test`) never needs Node: it embeds whatever `web/dist`
//!   holds, or nothing, and the server then says how to build the dashboard.
//! - `PULSAR_WEB_DIST=<dir>` embeds a dashboard built elsewhere (a container's Node stage),
//!   and `PULSAR_SKIP_WEB_BUILD=1` turns npm off.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = manifest.join("../web");
    for watched in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=PULSAR_WEB_DIST");
    println!("cargo:rerun-if-env-changed=PULSAR_SKIP_WEB_BUILD");
    let dist = match std::env::var_os("PULSAR_WEB_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let release = std::env::var("PROFILE").as_deref() == Ok("release");
            let skip = std::env::var_os("PULSAR_SKIP_WEB_BUILD").is_some();
            if release && !skip && web.join("package.json").is_file() {
                build_dashboard(&web);
            } else {
                // Built by hand: embed the new build. (Not when npm writes it here, or
                // every build would run again.)
                println!("cargo:rerun-if-changed={}", web.join("dist").display());
            }
            web.join("dist")
        }
    };
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let mut code = String::from("/// The embedded dashboard: (path under `/`, contents).\n");
    code.push_str("pub(crate) static ASSETS: &[(&str, &[u8])] = &[\n");
    for (route, path) in &files {
        writeln!(
            code,
            "    ({route:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("web_assets.rs"), code).expect("write the asset table");
}

/// `npm ci` when needed, then `npm run build`; a failure stops the build with npm's output.
fn build_dashboard(web: &Path) {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let modules = web.join("node_modules/.package-lock.json");
    let stale = match (modified(&web.join("package-lock.json")), modified(&modules)) {
        (Some(lock), Some(installed)) => lock > installed,
        _ => true,
    };
    let steps: &[&[&str]] = if stale {
        &[&["ci", "--no-audit", "--no-fund"], &["run", "build"]]
    } else {
        &[&["run", "build"]]
    };
    for args in steps {
        let status = Command::new(npm).args(*args).current_dir(web).status();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => panic!(
                "`npm {}` in web/ failed ({status}); fix it, or set PULSAR_SKIP_WEB_BUILD=1",
                args.join(" ")
            ),
            Err(error) => {
                println!(
                    "cargo:warning=the dashboard is not built: npm is not available ({error})"
                );
                return;
            }
        }
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Every file under `dir`, as (route, absolute path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let route = relative.to_string_lossy().replace('\\', "/");
            let absolute = path.canonicalize().unwrap_or(path);
            files.push((route, absolute));
        }
    }
}
