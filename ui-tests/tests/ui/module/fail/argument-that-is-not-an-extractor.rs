// A handler argument that axum cannot extract from a request.

struct Settings {
    verbose: bool,
}

struct Blog;

#[chopin::module]
impl Blog {
    #[get("/posts")]
    async fn list(settings: Settings) -> String {
        settings.verbose.to_string()
    }
}

fn main() {}
