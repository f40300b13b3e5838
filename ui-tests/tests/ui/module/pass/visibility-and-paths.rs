// `pub(crate)` modules and handlers, a module inside a Rust module, and the attributes written
// with their `chopin::` path.
mod api {

    pub(crate) struct Status;

    #[chopin::module(prefix = "/api")]
    impl Status {
        #[chopin::fast_route("/ping", text)]
        pub(crate) const PING: &'static str = "pong";

        #[chopin::get("/version")]
        pub(crate) async fn version() -> &'static str {
            "1.0"
        }

        #[chopin::post("/version")]
        pub async fn set_version(body: String) -> String {
            body
        }

        /// Not a route: the block keeps it as it is.
        pub(crate) fn helper() -> u8 {
            7
        }
    }
}

use chopin::prelude::*;
use chopin::testing::TestApp;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(api::Status::helper(), 7);
    let app = TestApp::spawn(App::with_config(Config::default()).mount_module(api::Status)).await;
    assert_eq!(app.get("/api/ping").send().await.text(), "pong");
    assert_eq!(app.get("/api/version").send().await.text(), "1.0");
    assert_eq!(app.post("/api/version").body("2.0").send().await.text(), "2.0");
}
