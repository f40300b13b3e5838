// A row of an owned model is made for a user: `NewPost` has `into_active_model_for(&user)`, and
// no `into_active_model` that would leave the owner unset.

#[chopin::model(table = "posts")]
pub struct Post {
    #[model(primary_key)]
    pub id: i64,
    #[model(owner)]
    pub author_id: i64,
    pub title: String,
}

fn main() {
    let input = NewPost {
        title: "Hello".into(),
    };
    let _ = input.into_active_model();
}
