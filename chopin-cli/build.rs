//! Where the project templates are, for `include_str!`: `templates/` in the package (a symbolic
//! link to the workspace's `templates/` in a checkout, the files themselves in the published
//! package), or the workspace's own where a checkout keeps the link as a plain file (Windows
//! without symbolic links).

use std::path::PathBuf;

fn main() {
    let here = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let packaged = here.join("templates");
    let dir = if packaged.is_dir() {
        packaged
    } else {
        here.join("..").join("templates")
    };
    println!("cargo::rustc-env=CHOPIN_TEMPLATES={}", dir.display());
    println!("cargo::rerun-if-changed={}", dir.display());
}
