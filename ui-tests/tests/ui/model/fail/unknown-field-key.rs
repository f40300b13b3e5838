// A misspelt key: the message suggests the closest one.

#[chopin::model(table = "posts")]
pub struct Post {
    #[model(primary_key)]
    pub id: i64,
    #[model(max_length = 200)]
    pub title: String,
    #[model(email)]
    pub views: i32,
}

fn main() {}
