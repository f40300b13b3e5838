// A fast route answers one literal path: not under a prefix with a parameter.

pub struct Projects;

#[chopin::module(prefix = "/orgs/{org}")]
impl Projects {
    #[fast_route("/health", text)]
    const HEALTH: &'static str = "ok";
}

fn main() {}
