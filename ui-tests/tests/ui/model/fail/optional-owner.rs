// Every row belongs to a user: an owner column is not an `Option`.

#[chopin::model(table = "posts")]
pub struct Post {
    #[model(primary_key)]
    pub id: i64,
    #[model(owner)]
    pub author_id: Option<i64>,
}

fn main() {}
