// A route belongs to a module.
use chopin::prelude::*;

#[get("/posts")]
async fn list() {}

fn main() {}
