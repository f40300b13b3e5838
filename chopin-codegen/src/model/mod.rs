//! `#[chopin::model]`: one struct as the API's read schema, its SeaORM entity and table, the
//! `NewX` and `XPatch` a client sends, and their validation.

pub mod expand;
pub mod parse;
