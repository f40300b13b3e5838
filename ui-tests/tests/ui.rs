//! Every compile error Chopin promises, with its exact message, and the edge syntax it accepts.
//! `TRYBUILD=overwrite cargo test -p chopin-ui-tests` regenerates the `.stderr` files: read each
//! diff before committing it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/*/pass/*.rs");
    t.compile_fail("tests/ui/*/fail/*.rs");
}
