//! fuzz/ compiles the pure core (src/core, src/model) as a package of its own: every crate the
//! core uses must be one of its dependencies too, at the main manifest's version, or the fuzz
//! build (CI's) breaks while the main build passes. This finds the crates the core names in
//! its code (`name::` paths; comments left out) and checks fuzz/Cargo.toml against them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `[dependencies]` of a manifest: crate name as code spells it (`-` → `_`) → version.
fn dependencies(manifest: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(manifest).expect("read manifest");
    let doc: toml::Table = text.parse().expect("parse manifest");
    let deps = doc["dependencies"].as_table().expect("[dependencies]");
    deps.iter()
        .map(|(name, spec)| {
            let version = match spec {
                toml::Value::String(v) => v.clone(),
                other => other
                    .get("version")
                    .and_then(toml::Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            };
            (name.replace('-', "_"), version)
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `code` names `krate` as the start of a path (`krate::…`, not `x::krate::…`).
fn names_crate(code: &str, krate: &str) -> bool {
    let needle = format!("{krate}::");
    code.match_indices(&needle).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

#[test]
fn fuzz_manifest_carries_every_crate_the_core_uses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let main = dependencies(&root.join("Cargo.toml"));
    let fuzz = dependencies(&root.join("fuzz/Cargo.toml"));
    let mut files = vec![root.join("src/model.rs")];
    rust_files(&root.join("src/core"), &mut files);
    rust_files(&root.join("src/model"), &mut files);
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read source");
        let code: String = (text.lines())
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (krate, version) in &main {
            if !names_crate(&code, krate) {
                continue;
            }
            let shown = file.strip_prefix(root).unwrap_or(file).display();
            match fuzz.get(krate) {
                None => problems.push(format!(
                    "{shown} uses `{krate}`, missing from fuzz/Cargo.toml [dependencies] \
                     (add it at version \"{version}\", as Cargo.toml has it)"
                )),
                Some(v) if v != version => problems.push(format!(
                    "{shown} uses `{krate}`: fuzz/Cargo.toml asks for \"{v}\", Cargo.toml for \"{version}\""
                )),
                Some(_) => {}
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn crate_paths_are_told_from_module_paths() {
    assert!(names_crate("use regex::Regex;", "regex"));
    assert!(names_crate("let r = (regex::Regex::new)", "regex"));
    assert!(!names_crate("use crate::core::regex::x;", "regex"));
    assert!(!names_crate("let my_regex::x = 1;", "regex"));
}
