//! What the command's tests share: a scratch directory, and the built command run in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An empty directory of this process's own, `chopin-{suite}-{name}-{pid}` under the temporary
/// directory.
pub(crate) fn scratch(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chopin-{suite}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The built `chopin` with `args`, in `dir`, without the caller's `CHOPIN_PATH`.
pub(crate) fn chopin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chopin"))
        .current_dir(dir)
        .env_remove("CHOPIN_PATH")
        .args(args)
        .output()
        .expect("run chopin")
}

/// What it wrote to standard error, without the trailing newline.
pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim_end().to_owned()
}
