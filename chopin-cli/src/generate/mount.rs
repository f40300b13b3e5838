//! The edits that mount a new module in the project's own files: `pub mod NAME;` in
//! `src/apps/mod.rs`, and in `src/lib.rs` its `use`, its place in `chopin::modules!` and a
//! `.mount_module(..)` after the last one of each chain. They are small text edits that keep
//! the file as rustfmt leaves it; a `src/lib.rs` that does not have the template's shape is
//! refused, saying what to add by hand, before anything is written.

/// `src/apps/mod.rs` with `pub mod NAME;` among the other `pub mod` lines, in order (as rustfmt
/// sorts them).
pub(crate) fn apps_mod(text: &str, name: &str) -> String {
    let line = format!("pub mod {name};");
    let mut lines: Vec<&str> = text.lines().collect();
    let mods: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("pub mod ") && l.ends_with(';'))
        .map(|(i, _)| i)
        .collect();
    let at = match mods.iter().find(|&&i| lines[i] > line.as_str()) {
        Some(&i) => i,
        None => mods.last().map_or(lines.len(), |&i| i + 1),
    };
    lines.insert(at, &line);
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// `src/lib.rs` with the module `module_type` from `apps::NAME` mounted, or why it cannot be.
pub(crate) fn lib_rs(text: &str, name: &str, module_type: &str) -> Result<String, String> {
    let by_hand = format!(
        "add `use apps::{name}::{module_type};`, `{module_type}` to the `chopin::modules!` list \
         and `.mount_module({module_type})` by hand"
    );
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();

    // The `use`, among the other `use apps::…` lines, in order.
    let use_line = format!("use apps::{name}::{module_type};");
    let uses: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("use apps::"))
        .collect();
    let Some(&last_use) = uses.last() else {
        return Err(format!(
            "`src/lib.rs` has no `use apps::…;` line: {by_hand}"
        ));
    };
    let at = uses
        .iter()
        .copied()
        .find(|&i| lines[i].as_str() > use_line.as_str())
        .unwrap_or(last_use + 1);
    lines.insert(at, use_line);

    // The one module list.
    let Some(list) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("pub type Modules = ["))
    else {
        return Err(format!(
            "`src/lib.rs` has no `pub type Modules = [..];` in `chopin::modules!`: {by_hand}"
        ));
    };
    let Some(close) = lines[list].rfind(']') else {
        return Err(format!(
            "`src/lib.rs`'s `pub type Modules = [..];` is not on one line: {by_hand}"
        ));
    };
    let before = lines[list][..close].trim_end().trim_end_matches(',');
    lines[list] = format!("{before}, {module_type}{}", &lines[list][close..]);

    // A `.mount_module(..)` after the last one of each chain.
    let mut mounted = 0;
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let next_mounts = lines
            .get(i + 1)
            .is_some_and(|l| l.trim_start().starts_with(".mount_module("));
        if trimmed.starts_with(".mount_module(") && !next_mounts {
            let indent = &lines[i][..lines[i].len() - trimmed.len()];
            let end = lines[i].rfind(')').map_or(lines[i].len(), |p| p + 1);
            let rest = lines[i][end..].to_owned();
            let new = format!("{indent}.mount_module({module_type}){rest}");
            lines[i].truncate(end);
            lines.insert(i + 1, new);
            mounted += 1;
            i += 1;
        }
        i += 1;
    }
    if mounted == 0 {
        return Err(format!(
            "`src/lib.rs` has no line starting with `.mount_module(`: {by_hand}"
        ));
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{apps_mod, lib_rs};

    #[test]
    fn mods_are_kept_in_order() {
        assert_eq!(
            apps_mod("//! Features.\n\npub mod notes;\n", "invoices"),
            "//! Features.\n\npub mod invoices;\npub mod notes;\n"
        );
        assert_eq!(
            apps_mod("//! Features.\n\npub mod notes;\n", "tasks"),
            "//! Features.\n\npub mod notes;\npub mod tasks;\n"
        );
        assert_eq!(apps_mod("", "tasks"), "pub mod tasks;\n");
    }

    #[test]
    fn the_module_is_used_listed_and_mounted_in_each_chain() {
        let lib = "use chopin::prelude::*;\n\nuse apps::notes::Notes;\n\nchopin::modules! {\n    pub type Modules = [HEALTH, AuthModule, Notes];\n}\n\nfn compose() -> App {\n    App::new()\n        .mount_module(auth)\n        .mount_module(Notes)\n}\n\nfn other() {\n    let app = App::new()\n        .mount_module(Notes);\n}\n";
        assert_eq!(
            lib_rs(lib, "invoices", "Invoices").expect("mounted"),
            "use chopin::prelude::*;\n\nuse apps::invoices::Invoices;\nuse apps::notes::Notes;\n\nchopin::modules! {\n    pub type Modules = [HEALTH, AuthModule, Notes, Invoices];\n}\n\nfn compose() -> App {\n    App::new()\n        .mount_module(auth)\n        .mount_module(Notes)\n        .mount_module(Invoices)\n}\n\nfn other() {\n    let app = App::new()\n        .mount_module(Notes)\n        .mount_module(Invoices);\n}\n"
        );
        assert_eq!(
            lib_rs("pub fn app() {}\n", "tasks", "Tasks"),
            Err(
                "`src/lib.rs` has no `use apps::…;` line: add `use apps::tasks::Tasks;`, `Tasks` \
                 to the `chopin::modules!` list and `.mount_module(Tasks)` by hand"
                    .to_owned()
            )
        );
    }
}
