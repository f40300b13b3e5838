// A fast route's body is a constant, not a function.

struct Status;

#[chopin::module]
impl Status {
    #[fast_route("/health", text)]
    fn health() -> &'static str {
        "OK"
    }
}

fn main() {}
