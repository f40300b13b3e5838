// A model needs the database battery: without `db`, one error at the attribute says so.
#[chopin::model(table = "posts")]
pub struct Post {
    #[model(primary_key)]
    pub id: i64,
    #[model(max_len = 200)]
    pub title: String,
}

fn main() {
    let _ = Post { id: 1, title: "Hello".to_owned() };
}
