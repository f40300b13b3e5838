// A fast route's bytes are the same for everyone: it cannot require a user.

struct Admin;

#[chopin::module]
impl Admin {
    #[fast_route("/admin/health", text, auth)]
    const HEALTH: &'static str = "OK";
}

fn main() {}
