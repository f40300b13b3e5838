// A model without a primary key: the table could not be addressed row by row.

#[chopin::model(table = "tags")]
pub struct Tag {
    pub name: String,
}

fn main() {}
