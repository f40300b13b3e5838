// Two modules name a route `list`: the name is the operation's id in the API description, which
// must be unique, so the build names both routes.

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts", name = "list")]
    async fn posts() -> &'static str {
        "blog"
    }
}

struct Feed;

#[chopin::module]
impl Feed {
    #[get("/feed", name = "list")]
    async fn entries() -> &'static str {
        "feed"
    }
}

chopin::assert_app!(Blog, Feed);

fn main() {}
