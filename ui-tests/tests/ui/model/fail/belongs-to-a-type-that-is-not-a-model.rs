// `belongs_to` names a struct that is not a model: there is no table to point at.

pub struct User {
    pub id: i64,
}

#[chopin::model(table = "posts")]
pub struct Post {
    #[model(primary_key)]
    pub id: i64,
    #[model(belongs_to = User)]
    pub author_id: i64,
}

fn main() {}
