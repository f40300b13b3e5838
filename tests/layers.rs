//! The layering `ARCHITECTURE.md` draws is the layering of the code: in each crate it lists, a
//! top-level module imports (`crate::…`, or `super::…` from a top-level file) only modules listed
//! below it, every module is listed, and the kernel depends on no battery. A new import that goes
//! up a layer, or forms a cycle, fails here with the file that wrote it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// The workspace's root, where `ARCHITECTURE.md` is.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Each crate's layers as `ARCHITECTURE.md` lists them, highest first: a
/// `<!-- layers: CRATE -->` line, then a fenced block with one layer a line.
fn documented_layers() -> BTreeMap<String, Vec<Vec<String>>> {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut out = BTreeMap::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(krate) = line
            .trim()
            .strip_prefix("<!-- layers: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(fence.starts_with("```"), "a fenced block after {line}");
        let layers: Vec<Vec<String>> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect();
        out.insert(krate.to_owned(), layers);
    }
    out
}

/// The directory of a crate's sources.
fn src_of(krate: &str) -> PathBuf {
    if krate == "chopin" {
        root().join("src")
    } else {
        root().join(krate).join("src")
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's top-level module (`cache` for `src/cache/memory.rs`), `None` for the crate root, and
/// whether the file is that module's own (`src/cache.rs` or `src/cache/mod.rs`), where `super`
/// is the crate root.
fn module_of(src: &Path, file: &Path) -> (Option<String>, bool) {
    let rel = file.strip_prefix(src).expect("under src");
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let top = parts[0].trim_end_matches(".rs").to_owned();
    if parts.len() == 1 && (top == "lib" || top == "main") {
        return (None, false);
    }
    let own = parts.len() == 1 || (parts.len() == 2 && parts[1] == "mod.rs");
    (Some(top), own)
}

/// The names that follow `crate::` (or `super::`, where `supers` says so) in `tokens`: `a` for
/// `crate::a::B`, `a` and `b` for `crate::{a::X, b}`.
fn imported(tokens: TokenStream, supers: bool, out: &mut BTreeSet<String>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(g) => imported(g.stream(), supers, out),
            TokenTree::Ident(id) if *id == "crate" || (supers && *id == "super") => {
                let colons = matches!(
                    (tokens.get(i + 1), tokens.get(i + 2)),
                    (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                        if a.as_char() == ':' && b.as_char() == ':'
                );
                if !colons {
                    continue;
                }
                match tokens.get(i + 3) {
                    Some(TokenTree::Ident(name)) => {
                        out.insert(name.to_string());
                    }
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                        let mut first = true;
                        for t in g.stream() {
                            match &t {
                                TokenTree::Ident(name) if first => {
                                    out.insert(name.to_string());
                                    first = false;
                                }
                                TokenTree::Punct(p) if p.as_char() == ',' => first = true,
                                _ => first = false,
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let layers = documented_layers();
    for krate in [
        "chopin-runtime",
        "chopin-db",
        "chopin-redis",
        "chopin-auth",
        "chopin-storage",
        "chopin-codegen",
    ] {
        assert!(
            layers.contains_key(krate),
            "ARCHITECTURE.md lists no layers for {krate}"
        );
    }
    let mut problems = Vec::new();
    for (krate, krate_layers) in &layers {
        let rank: BTreeMap<&str, usize> = krate_layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| layer.iter().map(move |m| (m.as_str(), i)))
            .collect();
        let src = src_of(krate);
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut modules = BTreeSet::new();
        for file in &files {
            let (Some(module), own) = module_of(&src, file) else {
                continue;
            };
            modules.insert(module.clone());
            let text = std::fs::read_to_string(file).expect("a source file");
            let tokens: TokenStream = text
                .parse()
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut names = BTreeSet::new();
            imported(tokens, own, &mut names);
            for name in names {
                if name == module {
                    continue;
                }
                let (Some(&from), Some(&to)) = (rank.get(module.as_str()), rank.get(name.as_str()))
                else {
                    continue;
                };
                if to <= from {
                    problems.push(format!(
                        "{krate}: `{module}` imports `{name}`, which ARCHITECTURE.md lists {} it ({})",
                        if to == from { "beside" } else { "above" },
                        file.strip_prefix(root()).unwrap_or(file).display(),
                    ));
                }
            }
        }
        for module in &modules {
            if !rank.contains_key(module.as_str()) {
                problems.push(format!(
                    "{krate}: module `{module}` is in no layer of ARCHITECTURE.md: put it in one"
                ));
            }
        }
        for module in rank.keys() {
            if !modules.contains(*module) {
                problems.push(format!(
                    "{krate}: ARCHITECTURE.md lists `{module}`, which the crate does not have"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The crates a package's `Cargo.toml` lists under `[dependencies]`.
fn dependencies(krate: &str) -> Vec<String> {
    let manifest =
        std::fs::read_to_string(root().join(krate).join("Cargo.toml")).expect("a Cargo.toml");
    let mut out = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && let Some((name, _)) = line.split_once(['=', '.']) {
            let name = name.trim();
            if !name.is_empty() && !name.starts_with('#') {
                out.push(name.to_owned());
            }
        }
    }
    out
}

#[test]
fn the_kernel_depends_on_no_battery_and_no_heavy_crate() {
    let forbidden = [
        "chopin-db",
        "chopin-redis",
        "chopin-auth",
        "chopin-storage",
        "chopin-codegen",
        "chopin-macros",
        "sea-orm",
        "sqlx",
        "redis",
        "argon2",
        "jsonwebtoken",
        "totp-rs",
        "object_store",
        "multer",
    ];
    let deps = dependencies("chopin-runtime");
    assert!(
        deps.contains(&"axum".to_owned()),
        "read the kernel's dependencies: {deps:?}"
    );
    let found: Vec<&String> = deps
        .iter()
        .filter(|d| forbidden.contains(&d.as_str()))
        .collect();
    assert!(
        found.is_empty(),
        "the kernel depends on {found:?}: put that in a battery"
    );
    // A battery depends on the kernel, never on the facade.
    for battery in ["chopin-db", "chopin-redis", "chopin-auth", "chopin-storage"] {
        let deps = dependencies(battery);
        assert!(
            deps.contains(&"chopin-runtime".to_owned()),
            "{battery}: {deps:?}"
        );
        assert!(
            !deps.contains(&"chopin".to_owned()),
            "{battery} depends on the facade"
        );
    }
}

#[test]
fn the_scanner_reads_imports_as_written() {
    let mut names = BTreeSet::new();
    let code: TokenStream =
        "use crate::a::B; use crate::{c, d::E}; fn f() { crate::g(); super::h(); } \
                             /// crate::doc_only\n fn x() {} // crate::comment"
            .parse()
            .expect("tokens");
    imported(code.clone(), false, &mut names);
    assert_eq!(
        names,
        BTreeSet::from(["a", "c", "d", "g"].map(String::from))
    );
    imported(code, true, &mut names);
    assert!(names.contains("h"));
}
