//! The blog's API description, with the schemas its models generate: reviewed as a snapshot.

use chopin::Config;
use chopin::openapi::unresolved_refs;

#[test]
fn the_description_of_the_blog() {
    let spec = blog::app(Config::default())
        .expect("the blog's configuration")
        .openapi();
    assert_eq!(unresolved_refs(&spec), Vec::<String>::new());
    let json = spec.to_pretty_json().unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("blog_openapi", json);
}
