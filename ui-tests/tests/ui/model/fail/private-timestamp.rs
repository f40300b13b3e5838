// `created_at` and `updated_at` cannot be `private`: the model sets them for the API to show.
use chopin::prelude::DateTimeUtc;

#[chopin::model(table = "users")]
pub struct User {
    #[model(primary_key)]
    pub id: i64,
    #[model(created_at, private)]
    pub created_at: DateTimeUtc,
    #[model(private, updated_at)]
    pub updated_at: DateTimeUtc,
}

fn main() {}
