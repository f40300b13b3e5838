//! Rebuilds the application when a migration file is added to `migrations/`, which it embeds
//! (`chopin::migrations!()`): cargo notices an embedded file that changes, not one that is new.

fn main() {
    println!("cargo::rerun-if-changed=migrations");
}
