// An owner column holds the user's id as an integer: `AuthUser::id`, parsed.

#[chopin::model(table = "posts")]
pub struct Post {
    #[model(primary_key)]
    pub id: i64,
    #[model(owner)]
    pub author: String,
}

fn main() {}
