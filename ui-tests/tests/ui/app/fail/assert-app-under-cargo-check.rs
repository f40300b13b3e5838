// `assert_app!` runs the application's check in a `const` item, which `cargo check` evaluates.

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts")]
    async fn list() {}
}

struct Feed;

#[chopin::module]
impl Feed {
    #[any("/posts")]
    async fn any() {}

    #[get("/posts")]
    async fn list() {}
}

chopin::assert_app!(Blog, Feed);

fn main() {}
