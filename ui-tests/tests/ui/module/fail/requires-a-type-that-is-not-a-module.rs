// `requires(..)` names module types.

struct Settings;

struct Blog;

#[chopin::module(requires(Settings))]
impl Blog {
    #[get("/posts")]
    async fn list() {}
}

fn main() {}
