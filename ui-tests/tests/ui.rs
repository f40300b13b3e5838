//! Every compile error Chopin promises, with its exact message, and the edge syntax it accepts.
//! `TRYBUILD=overwrite cargo test -p chopin-ui-tests` regenerates the `.stderr` files: read each
//! diff before committing it.
//!
//! `module/` holds what one `#[chopin::module]` reports from the macro, spanned at the token;
//! `app/` what the whole application's check reports when it is built. That check runs in
//! constant evaluation when `App::bind` is compiled for the application's type, which
//! `cargo build` does and `cargo check` does not; trybuild builds every case because this suite
//! has pass cases.
//!
//! These cases use every battery; `tests/kernel.rs` has those of the kernel alone.

#[cfg(feature = "batteries")]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/*/pass/*.rs");
    t.compile_fail("tests/ui/*/fail/*.rs");
}
