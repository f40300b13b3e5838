//! `CHOPIN_MACROS_DEBUG=1` in the compiler's environment makes every attribute print its
//! expansion. The test runs itself again as a child process with the variable set, so that the
//! environment of this process is never changed.

use std::process::Command;

use quote::quote;

const CHILD: &str = "CHOPIN_CODEGEN_TEST_CHILD";

fn expand_in_child(debug: &str) -> String {
    expand_in_child_with(debug, None)
}

/// As [`expand_in_child`], with `RUSTFMT` naming the formatter.
fn expand_in_child_with(debug: &str, rustfmt: Option<&str>) -> String {
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe);
    child
        .args([
            "--exact",
            "expansions_are_printed_when_asked",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("CHOPIN_MACROS_DEBUG", debug);
    if let Some(rustfmt) = rustfmt {
        child.env("RUSTFMT", rustfmt);
    }
    let out = child.output().expect("run the child");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stderr).expect("utf-8")
}

#[test]
fn expansions_are_printed_when_asked() {
    if std::env::var_os(CHILD).is_some() {
        let _ = chopin_codegen::module(
            quote!(),
            quote! {
                impl Blog {
                    #[get("/")]
                    async fn index() {}
                }
            },
        );
        return;
    }
    let printed = expand_in_child("1");
    assert!(
        printed.contains("// #[chopin::module] expands to:\nimpl Blog {\n    async fn index() {}\n    #[doc(hidden)]\n    const __CHOPIN_ROUTES: "),
        "{printed}"
    );
    assert!(!expand_in_child("0").contains("expands to"));
    // Without a formatter, the tokens as they are.
    let raw = expand_in_child_with("1", Some("/nonexistent/rustfmt"));
    assert!(
        raw.contains("// #[chopin::module] expands to:\nimpl Blog { async fn index () { }"),
        "{raw}"
    );
}
