//! Writes the `match` lookups that the static-table benchmark compares with the perfect hash: a
//! `match` over byte-string literals is what rustc compiles best, and it can only be written out.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The paths of a table of `n` routes, shared with the benchmark through `include!`.
fn path(i: usize) -> String {
    format!(
        "/api/v{}/{}-{i}",
        i % 3 + 1,
        ["users", "posts", "comments", "tags"][i % 4]
    )
}

fn main() -> std::io::Result<()> {
    let mut code = String::new();
    for n in [4, 32, 256] {
        let _ = writeln!(
            code,
            "pub(crate) fn match_{n}(path: &[u8]) -> Option<usize> {{\n    match path {{"
        );
        for i in 0..n {
            let _ = writeln!(code, "        b\"{}\" => Some({i}),", path(i));
        }
        let _ = writeln!(code, "        _ => None,\n    }}\n}}");
    }
    let out = PathBuf::from(
        std::env::var_os("OUT_DIR").ok_or_else(|| std::io::Error::other("OUT_DIR is not set"))?,
    );
    std::fs::write(out.join("matches.rs"), code)?;
    println!("cargo::rerun-if-changed=build.rs");
    Ok(())
}
