// `renamed_from` names the former table or column: a name a table or column can have.

#[chopin::model(table = "articles", renamed_from = "Blog Posts")]
pub struct Article {
    #[model(primary_key)]
    pub id: i64,
    #[model(renamed_from = "")]
    pub content: String,
}

fn main() {}
