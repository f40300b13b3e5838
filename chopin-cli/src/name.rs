//! Which project names `chopin new` accepts: a Cargo package name that is also a Rust identifier
//! once `-` becomes `_`, that names no crate the project already uses, and no file Windows
//! reserves. Checked before anything is written.

/// Rust's keywords, strict and reserved, of every edition up to 2024.
pub(crate) const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Crates a project's code refers to by name: a package named like one would shadow it.
const TAKEN: &[&str] = &[
    "alloc",
    "chopin",
    "core",
    "insta",
    "proc_macro",
    "serde",
    "serde_json",
    "std",
    "test",
    "tokio",
    "tracing_subscriber",
];

/// Names Windows gives to devices, which no file or folder can have there.
const WINDOWS_RESERVED: &[&str] = &[
    "aux", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "con", "lpt1",
    "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "nul", "prn",
];

/// The longest name accepted, as crates.io does.
const MAX_LEN: usize = 64;

/// Whether `name` can name a new project: `Err` says why not.
pub(crate) fn check(name: &str) -> Result<(), String> {
    let accepted = "a project name is lowercase ASCII letters, digits, `-` and `_`, starting with \
                    a letter, such as `my-app`";
    let Some(first) = name.chars().next() else {
        return Err(format!("the project name is empty: {accepted}"));
    };
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        let why = if bad.is_ascii_uppercase() {
            format!("`{bad}` is uppercase")
        } else {
            format!("`{bad}` is not allowed")
        };
        return Err(format!(
            "`{name}` is not a valid project name ({why}): {accepted}"
        ));
    }
    if !first.is_ascii_lowercase() {
        return Err(format!(
            "`{name}` is not a valid project name (it starts with `{first}`): {accepted}"
        ));
    }
    if name.len() > MAX_LEN {
        return Err(format!(
            "`{name}` is not a valid project name: it is {} characters long, and at most {MAX_LEN} are allowed",
            name.len()
        ));
    }
    let ident = name.replace('-', "_");
    if KEYWORDS.contains(&ident.as_str()) {
        return Err(format!(
            "`{name}` is not a valid project name: it is a Rust keyword, and the project's crate \
             could not be named in code"
        ));
    }
    if TAKEN.contains(&ident.as_str()) {
        return Err(format!(
            "`{name}` is not a valid project name: the project's code uses the crate `{ident}`, \
             which a package of that name would hide"
        ));
    }
    if WINDOWS_RESERVED.contains(&name) {
        return Err(format!(
            "`{name}` is not a valid project name: Windows reserves it for a device, so no folder \
             can have it there"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_package_names_that_are_identifiers() {
        for name in ["blog", "my-app", "my_app", "a", "app2", "x-1-y_2"] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
        assert_eq!(check(&"a".repeat(64)), Ok(()));
    }

    #[test]
    fn refuses_each_kind_of_bad_name_saying_why() {
        let accepted = "a project name is lowercase ASCII letters, digits, `-` and `_`, starting \
                        with a letter, such as `my-app`";
        let cases = [
            ("", format!("the project name is empty: {accepted}")),
            (
                "My-App",
                format!("`My-App` is not a valid project name (`M` is uppercase): {accepted}"),
            ),
            (
                "my app",
                format!("`my app` is not a valid project name (` ` is not allowed): {accepted}"),
            ),
            (
                "café",
                format!("`café` is not a valid project name (`é` is not allowed): {accepted}"),
            ),
            (
                "2fast",
                format!("`2fast` is not a valid project name (it starts with `2`): {accepted}"),
            ),
            (
                "-app",
                format!("`-app` is not a valid project name (it starts with `-`): {accepted}"),
            ),
            (
                "_app",
                format!("`_app` is not a valid project name (it starts with `_`): {accepted}"),
            ),
            (
                "fn",
                "`fn` is not a valid project name: it is a Rust keyword, and the project's crate \
                 could not be named in code"
                    .to_owned(),
            ),
            (
                "gen",
                "`gen` is not a valid project name: it is a Rust keyword, and the project's crate \
                 could not be named in code"
                    .to_owned(),
            ),
            (
                "chopin",
                "`chopin` is not a valid project name: the project's code uses the crate \
                 `chopin`, which a package of that name would hide"
                    .to_owned(),
            ),
            (
                "serde-json",
                "`serde-json` is not a valid project name: the project's code uses the crate \
                 `serde_json`, which a package of that name would hide"
                    .to_owned(),
            ),
            (
                "nul",
                "`nul` is not a valid project name: Windows reserves it for a device, so no \
                 folder can have it there"
                    .to_owned(),
            ),
        ];
        for (name, message) in cases {
            assert_eq!(check(name), Err(message), "{name:?}");
        }
        assert_eq!(
            check(&"a".repeat(65)),
            Err(format!(
                "`{}` is not a valid project name: it is 65 characters long, and at most 64 are allowed",
                "a".repeat(65)
            ))
        );
    }
}
