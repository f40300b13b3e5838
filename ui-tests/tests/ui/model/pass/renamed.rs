// A model renamed, and one of its fields: the declaration `makemigrations` reads carries both,
// so that it writes renames rather than a new table and a dropped one.
use chopin::db::{Model, ModelDecl};

#[chopin::model(table = "articles", renamed_from = "posts")]
pub struct Article {
    #[model(primary_key)]
    pub id: i64,
    #[model(renamed_from = "body")]
    pub content: String,
    pub title: String,
}

#[chopin::model(table = "tags")]
pub struct Tag {
    #[model(primary_key)]
    pub id: i64,
}

fn main() {
    let article = ModelDecl::of::<Article>();
    assert_eq!(article.renamed_from, Some("posts"));
    assert_eq!(article.renamed_columns, &[("content", "body")]);
    assert_eq!(<Tag as Model>::RENAMED_FROM, None);
    assert!(ModelDecl::of::<Tag>().renamed_columns.is_empty());
}
