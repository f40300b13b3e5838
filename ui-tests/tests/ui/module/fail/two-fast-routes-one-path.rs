// One path has one fast route, even for different methods.

struct Status;

#[chopin::module]
impl Status {
    #[fast_route("/status", json)]
    const STATUS: &'static str = r#"{"ok":true}"#;

    #[fast_route("/status", text, methods(POST))]
    const POSTED: &'static str = "posted";
}

fn main() {}
