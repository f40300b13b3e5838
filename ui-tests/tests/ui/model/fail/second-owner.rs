// A row belongs to one user: a model has one owner column.

#[chopin::model(table = "posts")]
pub struct Post {
    #[model(primary_key)]
    pub id: i64,
    #[model(owner)]
    pub author_id: i64,
    #[model(indexed, owner)]
    pub editor_id: i64,
}

fn main() {}
