// A field whose type has no column: the message names the type and the ones that have.

#[chopin::model(table = "posts")]
pub struct Post {
    #[model(primary_key)]
    pub id: i64,
    pub tags: Vec<String>,
    pub score: u64,
}

fn main() {}
