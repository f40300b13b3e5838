// An option a fast route does not have.
struct Status;

#[chopin::module]
impl Status {
    #[fast_route("/health", text, cros)]
    const HEALTH: &'static str = "OK";
}

fn main() {}
