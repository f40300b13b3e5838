// `private` is a flag.

#[chopin::model(table = "users")]
pub struct User {
    #[model(primary_key)]
    pub id: i64,
    #[model(private = true)]
    pub password_hash: String,
}

fn main() {}
