//! Tidy checks: the conventions of ARCHITECTURE.md and docs/style.md, enforced by `cargo test`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Workspace crates each crate may depend on (normal dependencies). A crate absent from
/// this table fails the check until its place in the architecture is written down here.
const ALLOWED: &[(&str, &[&str])] = &[
    ("lantian-core", &[]),
    ("lantian-hj212", &[]),
    ("lantian-formats", &["lantian-core"]),
    ("lantian-store", &["lantian-core"]),
    (
        "lantian-gateway",
        &["lantian-core", "lantian-hj212", "lantian-store"],
    ),
    (
        "lantian-app",
        // lantian-hj212 (pure, sans-IO): device keys and the commands an operator sends
        // are validated where their use cases are written (issue 22).
        &[
            "lantian-core",
            "lantian-store",
            "lantian-formats",
            "lantian-hj212",
        ],
    ),
    (
        "lantian-api",
        &["lantian-core", "lantian-store", "lantian-app"],
    ),
    (
        "lantian",
        &[
            "lantian-core",
            "lantian-formats",
            "lantian-hj212",
            "lantian-store",
            "lantian-gateway",
            "lantian-api",
            "lantian-app",
        ],
    ),
];

/// Pure crates: no IO, no clock, no async, no threads.
const PURE: &[&str] = &["lantian-core", "lantian-hj212"];
const IMPURE_PATTERNS: &[&str] = &[
    "std::fs",
    "std::net",
    "std::thread",
    "SystemTime::now",
    "std::time::SystemTime",
    "Instant::now",
    "tokio",
    "async fn",
    "std::process",
];

/// The `[dependencies]` of a manifest: (name, is_workspace_crate).
fn dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_deps = t == "[dependencies]";
            continue;
        }
        if let Some((name, _)) = t.split_once('=').filter(|_| in_deps && !t.starts_with('#')) {
            out.push(name.trim().to_owned());
        }
    }
    out
}

fn crates() -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(root().join("crates")).expect("crates/") {
        let dir = e.expect("entry").path();
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        out.insert(name, dir);
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn crate_dependencies_follow_the_architecture() {
    let table: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut problems = Vec::new();
    for (name, dir) in crates() {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
        let Some(allowed) = table.get(name.as_str()) else {
            problems.push(format!(
                "{name}: not in tidy.rs ALLOWED; add it with its allowed dependencies"
            ));
            continue;
        };
        for dep in dependencies(&manifest) {
            if dep.starts_with("lantian") && !allowed.contains(&dep.as_str()) {
                problems.push(format!("{name} must not depend on {dep}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn pure_crates_do_no_io_and_read_no_clock() {
    let mut problems = Vec::new();
    for name in PURE {
        let dir = root().join("crates").join(name);
        if !dir.exists() {
            continue;
        }
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
        for dep in dependencies(&manifest) {
            if ["tokio", "async-std", "rusqlite", "postgres", "axum"].contains(&dep.as_str()) {
                problems.push(format!("{name} depends on {dep}"));
            }
        }
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).expect("source");
            for (i, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for pat in IMPURE_PATTERNS {
                    if code.contains(pat) {
                        problems.push(format!(
                            "{}:{}: `{pat}` in a pure crate",
                            f.display(),
                            i + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The application layer knows no transport: no HTTP, no command line, no async runtime.
#[test]
fn the_application_layer_has_no_http_and_no_command_line() {
    let manifest =
        std::fs::read_to_string(root().join("crates/lantian-app/Cargo.toml")).expect("Cargo.toml");
    let bad: Vec<String> = dependencies(&manifest)
        .into_iter()
        .filter(|d| ["axum", "clap", "tokio", "hyper", "tower", "utoipa"].contains(&d.as_str()))
        .collect();
    assert!(bad.is_empty(), "lantian-app depends on {bad:?}");
}

/// Who may do what is decided once, in `lantian_app::caller::policy`: the front ends never
/// compare roles or check them themselves.
#[test]
fn front_ends_make_no_permission_decisions() {
    let mut files = Vec::new();
    rust_files(&root().join("crates/lantian-api/src"), &mut files);
    rust_files(&root().join("crates/lantian/src"), &mut files);
    let mut problems = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("source");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for pat in [
                "require_role(",
                ".role ==",
                ".role !=",
                "is_bureau(",
                "policy::",
            ] {
                if code.contains(pat) {
                    problems.push(format!("{}:{}: `{pat}`", f.display(), i + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "permission decisions belong to lantian-app: {problems:#?}"
    );
}

#[test]
fn every_rust_file_starts_with_a_module_doc_line() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    rust_files(&root().join("xtask"), &mut files);
    rust_files(&root().join("fuzz"), &mut files);
    let missing: Vec<String> = files
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .unwrap_or_default()
                .starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(files.len() > 10, "found only {} files", files.len());
    assert!(
        missing.is_empty(),
        "files without a leading `//!` line: {missing:#?}"
    );
}

#[test]
fn library_crates_do_not_print() {
    let mut problems = Vec::new();
    for (name, dir) in crates() {
        if name == "lantian" {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        // Test support (feature `testing`) tells the test output what it did not run.
        files.retain(|f| !f.ends_with("src/testing.rs"));
        for f in files {
            let text = std::fs::read_to_string(&f).expect("source");
            for (i, line) in text.lines().enumerate() {
                if line.contains("println!(") || line.contains("eprintln!(") {
                    problems.push(format!("{}:{}", f.display(), i + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "library crates log or return values instead of printing: {problems:#?}"
    );
}

#[test]
fn the_ci_entry_calls_the_readme_test_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    assert!(
        readme.contains("scripts/test-all"),
        "README names the test command"
    );
    assert!(
        ci.contains("scripts/test-all"),
        ".ci/run calls the README's test command"
    );
}
