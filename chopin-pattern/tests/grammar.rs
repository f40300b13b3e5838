//! The grammar, its errors with their spans, and the conflict rule on hand-picked cases.

use chopin_pattern::{ErrorKind, PatternError, conflicts, matches, params, same, validate};

// The checks are usable in constant evaluation, where the whole-application check runs.
const _: () = assert!(validate("/users/{id}").is_ok());
const _: () = assert!(conflicts("/users/{id}", "/users/{name}"));
const _: () = assert!(!conflicts("/users/me", "/users/{id}"));

#[test]
fn a_pattern_matches_the_paths_it_routes() {
    let cases = [
        ("/", "/", true),
        ("/", "/x", false),
        ("/users", "/users", true),
        ("/users", "/users/", false),
        ("/users/", "/users/", true),
        ("/users/{id}", "/users/7", true),
        ("/users/{id}", "/users/", false),
        ("/users/{id}", "/users/7/posts", false),
        ("/users/me", "/users/7", false),
        ("/files/{*path}", "/files/a/b.txt", true),
        ("/files/{*path}", "/files/", false),
        ("/files/{*path}", "/files", false),
        ("/{*rest}", "/openapi.json", true),
        ("/docs", "docs", false),
    ];
    for (pattern, path, expected) in cases {
        assert_eq!(matches(pattern, path), expected, "{pattern} {path}");
    }
}

#[test]
fn valid_patterns() {
    for p in [
        "/",
        "/users",
        "/users/",
        "/users/{id}",
        "/users/{id}/posts/{post_id}",
        "/files/{*path}",
        "/{*rest}",
        "/a-b_c.d~e/%20/{_x1}",
    ] {
        assert_eq!(validate(p), Ok(()), "{p}");
    }
}

#[test]
fn invalid_patterns_say_what_and_where() {
    use ErrorKind::*;
    let cases: [(&str, ErrorKind, usize, usize); 17] = [
        ("", MissingLeadingSlash, 0, 0),
        ("users", MissingLeadingSlash, 0, 1),
        ("/users//posts", EmptySegment, 6, 8),
        ("/users/{id", UnclosedBrace, 7, 10),
        ("/users/{i{d}", UnclosedBrace, 7, 9),
        ("/users/id}", UnopenedBrace, 9, 10),
        ("/files/{name}.txt", PartialSegment, 7, 17),
        ("/files/file-{name}", PartialSegment, 12, 18),
        ("/users/{}", EmptyName, 7, 9),
        ("/users/{*}", EmptyName, 7, 10),
        ("/users/{1d}", InvalidName, 8, 10),
        ("/users/{my-id}", InvalidName, 8, 13),
        ("/{*rest}/more", CatchAllNotLast, 1, 8),
        ("/users/:id", OldSyntax, 7, 10),
        ("/files/*path", OldSyntax, 7, 12),
        ("/search?q=1", InvalidChar, 7, 8),
        ("/{id}/{id}", DuplicateName, 7, 9),
    ];
    for (pattern, kind, start, end) in cases {
        assert_eq!(
            validate(pattern),
            Err(PatternError { kind, start, end }),
            "{pattern:?}"
        );
    }
    assert_eq!(validate("/caf\u{e9}").map_err(|e| e.kind), Err(InvalidChar));
    assert_eq!(validate("/a b").map_err(|e| e.kind), Err(InvalidChar));
}

#[test]
fn messages_are_lowercase_without_a_period() {
    let e = validate("/users/:id").expect_err("old syntax");
    assert_eq!(
        e.message(),
        "`:name` and `*name` are axum 0.7's syntax: write `{name}` or `{*name}`"
    );
    let e = validate("/files/{name}.txt").expect_err("partial");
    assert_eq!(
        e.message(),
        "a parameter must be a whole path segment, as in `/files/{name}`"
    );
}

#[test]
fn conflict_rule() {
    let cases = [
        ("/users", "/users", true),
        ("/users/{id}", "/users/{name}", true),
        ("/users/{id}/posts", "/users/{user}/posts", true),
        ("/files/{*a}", "/files/{*b}", true),
        ("/files/{id}", "/files/{*rest}", true),
        ("/{id}/x", "/{*rest}", true),
        ("/users/me", "/users/{id}", false),
        ("/users/{id}", "/users/{id}/posts", false),
        ("/users", "/users/", false),
        ("/users/", "/users/{id}", false),
        ("/", "/{*rest}", false),
        ("/", "/{id}", false),
        ("/a/b", "/a/c", false),
        ("/ab", "/abc", false),
        ("/files/", "/files/{*rest}", false),
    ];
    for (a, b, expected) in cases {
        assert_eq!(conflicts(a, b), expected, "{a} vs {b}");
        assert_eq!(conflicts(b, a), expected, "{b} vs {a}");
    }
    assert!(same("/users/{id}", "/users/{id}"));
    assert!(!same("/users/{id}", "/users/{name}"));
}

#[test]
fn parameters_in_order() {
    let got: Vec<_> = params("/users/{id}/files/{*path}").collect();
    assert_eq!(got, [("id", false), ("path", true)]);
    assert_eq!(params("/users/").count(), 0);
    assert_eq!(params("/").count(), 0);
}

#[test]
fn shapes_hash_alike_exactly_up_to_parameter_names() {
    use chopin_pattern::{ParamTwins, catch_all_twin, param_twins, shape_hash};
    assert_eq!(shape_hash("/users/{id}"), shape_hash("/users/{user_id}"));
    assert_eq!(shape_hash("/files/{*rest}"), shape_hash("/files/{*path}"));
    assert_ne!(shape_hash("/users/{id}"), shape_hash("/users/me"));
    assert_ne!(shape_hash("/users/{id}"), shape_hash("/users/{*rest}"));
    assert_ne!(shape_hash("/users"), shape_hash("/users/"));
    assert_ne!(shape_hash("/a/b"), shape_hash("/ab"));

    // A catch-all's twin is the shape of a parameter in its place, which every route with a
    // parameter there after the same segments reaches on its way.
    let twin = catch_all_twin("/api/{v}/files/{*rest}").expect("a catch-all");
    let twins = |p: &str| {
        let mut out = Vec::new();
        let mut at = ParamTwins::new();
        while let Some((hash, next)) = param_twins(p, at) {
            out.push(hash);
            at = next;
        }
        out
    };
    assert!(twins("/api/{version}/files/{name}/raw").contains(&twin));
    assert!(twins("/api/{version}/files/{name}").contains(&twin));
    assert!(!twins("/api/{version}/files").contains(&twin));
    assert!(!twins("/api/{version}/docs/{name}").contains(&twin));
    assert_eq!(twins("/users/me"), Vec::<u64>::new());
    assert_eq!(catch_all_twin("/users/{id}"), None);
    // Any string is safe to hash.
    for junk in ["", "{", "/{", "/{*", "}", "/a/{b/c", "{*}{*}"] {
        let _ = (shape_hash(junk), catch_all_twin(junk), twins(junk));
    }
}
