// `email`, `min_len` and `range` check what a client sends, which never holds a private field;
// `max_len` is accepted, as it also sizes the column.

#[chopin::model(table = "users")]
pub struct User {
    #[model(primary_key)]
    pub id: i64,
    #[model(private, email, max_len = 254)]
    pub recovery_email: String,
    #[model(private, min_len = 32)]
    pub password_hash: String,
    #[model(private, range(min = 0))]
    pub totp_last_step: Option<i64>,
}

fn main() {}
