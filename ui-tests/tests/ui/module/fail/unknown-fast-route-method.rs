// `methods(..)` lists HTTP methods.
struct Status;

#[chopin::module]
impl Status {
    #[fast_route("/health", text, methods(GET, PURGE))]
    const HEALTH: &'static str = "OK";
}

fn main() {}
