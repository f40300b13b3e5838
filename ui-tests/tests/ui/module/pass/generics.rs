// A generic module: its handlers use the type parameter, and the manifest and router are
// implemented for every instance.
use std::marker::PhantomData;

use chopin::prelude::*;
use chopin::testing::TestApp;

trait Greeter: Send + Sync + 'static {
    fn greet(name: &str) -> String;
}

struct English;

impl Greeter for English {
    fn greet(name: &str) -> String {
        format!("Hello, {name}!")
    }
}

struct Greetings<G>(PhantomData<G>);

#[chopin::module(name = "greetings", prefix = "/greetings")]
impl<G> Greetings<G>
where
    G: Greeter,
{
    #[get("/{name}")]
    async fn greet(Path(name): Path<String>) -> String {
        G::greet(&name)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let app = App::with_config(Config::default()).mount_module(Greetings::<English>(PhantomData));
    let app = TestApp::spawn(app).await;
    assert_eq!(app.get("/greetings/Ada").send().await.text(), "Hello, Ada!");
}
