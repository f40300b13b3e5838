// The server writes `content-length` from the body: a fast route cannot declare it.
struct Status;

#[chopin::module]
impl Status {
    #[fast_route("/health", text, header("Content-Length", "2"))]
    const HEALTH: &'static str = "OK";
}

fn main() {}
