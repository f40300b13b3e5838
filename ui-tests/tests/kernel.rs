//! The kernel alone (`chopin` without its default features): an application of fast routes and
//! handlers builds, and what needs a battery that is off is one error naming the feature.
//! `cargo test -p chopin-ui-tests --no-default-features --test kernel` runs it (CI does);
//! `TRYBUILD=overwrite` with the same command regenerates its `.stderr` files.

#[cfg(not(feature = "batteries"))]
#[test]
fn kernel() {
    let t = trybuild::TestCases::new();
    t.pass("tests/kernel-ui/pass/*.rs");
    t.compile_fail("tests/kernel-ui/fail/*.rs");
}
