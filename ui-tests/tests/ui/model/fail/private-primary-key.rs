// The primary key cannot be `private`: the API names rows by it.

#[chopin::model(table = "users")]
pub struct User {
    #[model(primary_key, private)]
    pub id: i64,
    pub name: String,
}

fn main() {}
