// On its own, `#[fast_route]` also goes on a constant: a `static` is not one.
use chopin::prelude::*;

#[fast_route("/robots.txt", text)]
static ROBOTS: &str = "User-agent: *";

fn main() {}
