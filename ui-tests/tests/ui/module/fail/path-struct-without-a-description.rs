// A `Path` of a struct says which parameters it reads only once it implements `PathParams`.
use chopin::prelude::*;

#[derive(serde::Deserialize, ToSchema)]
struct Key {
    org: String,
    id: u64,
}

struct Repos;

#[chopin::module]
impl Repos {
    #[get("/{org}/{id}")]
    async fn show(Path(key): Path<Key>) -> String {
        format!("{}/{}", key.org, key.id)
    }
}

fn main() {}
