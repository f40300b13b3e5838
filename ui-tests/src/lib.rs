//! Compile-fail and compile-pass tests of Chopin's attributes.
//!
//! The cases live in `tests/ui/<attribute>/{pass,fail}/`, one mistake per file with its exact
//! `.stderr`, and run with trybuild from `tests/ui.rs`; those of the kernel alone (`chopin`
//! without its batteries) live in `tests/kernel-ui/` and run from `tests/kernel.rs`. They are kept in this one crate so that
//! trybuild compiles Chopin and its dependencies once for all of them.
