// `chopin::modules!` runs the whole-application check in a `const` item, which `cargo check`
// and editors evaluate, not only `cargo build`.

pub struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts")]
    async fn list() -> &'static str {
        "[]"
    }
}

pub struct Feed;

#[chopin::module]
impl Feed {
    #[get("/posts")]
    async fn posts() -> &'static str {
        "[]"
    }
}

chopin::modules! {
    pub type Modules = [Blog, Feed];
}

fn main() {}
