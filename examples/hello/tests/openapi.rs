//! hello's API description: derived from its handlers' types and fast routes, reviewed as a
//! snapshot, so that a change to what the API promises shows in review.

use chopin::Config;
use chopin::openapi::unresolved_refs;

#[test]
fn the_description_of_hello() {
    let spec = hello::app(Config::default()).openapi();
    assert_eq!(unresolved_refs(&spec), Vec::<String>::new());
    let json = spec.to_pretty_json().unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("hello_openapi", json);
}
