//! The `seed` command: fills the tables `migrate` created with TechEmpower's data, 10,000 worlds
//! and the twelve fortunes, replacing what they held.

use chopin::Error;
use chopin::db::sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use chopin::db::{Db, DbConfig};
use chopin::plugin::{BoxFuture, Command, Plugin, Setup};

use crate::{fortune, world};

/// TechEmpower's twelve fortunes, with their ids.
pub const FORTUNES: [(i32, &str); 12] = [
    (1, "fortune: No such file or directory"),
    (
        2,
        "A computer scientist is someone who fixes things that aren't broken.",
    ),
    (3, "After enough decimal places, nobody gives a damn."),
    (
        4,
        "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    ),
    (
        5,
        "A computer program does what you tell it to do, not what you want it to do.",
    ),
    (
        6,
        "Emacs is a nice operating system, but I prefer UNIX. \u{2014} Tom Christaensen",
    ),
    (7, "Any program that runs right is obsolete."),
    (
        8,
        "A list is only as strong as its weakest link. \u{2014} Donald Knuth",
    ),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (
        11,
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    ),
    (12, "フレームワークのベンチマーク"),
];

/// How many worlds there are.
pub const WORLDS: i32 = 10_000;

/// The plugin that adds `seed` to the application's binary.
#[derive(Debug, Default)]
pub struct Seed;

const COMMANDS: &[Command] = &[Command {
    name: "seed",
    usage: "seed",
}];

impl Plugin for Seed {
    fn name(&self) -> &'static str {
        "seed"
    }

    fn start<'a>(&'a mut self, _: &'a mut Setup<'_>) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }

    fn commands(&self) -> &'static [Command] {
        COMMANDS
    }

    fn run_command<'a>(
        &'a mut self,
        name: &'a str,
        args: &'a [String],
        app: &'a mut Setup<'_>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if name != "seed" || !args.is_empty() {
                return Err(Error::Usage("usage: seed".to_owned()));
            }
            let config = app.config().section::<DbConfig>()?;
            let db = Db::connect(&config).await.map_err(Error::battery)?;
            seed(&db).await.map_err(|e| {
                Error::battery(format!(
                    "seed: {e} (are the tables there? `migrate` creates them)"
                ))
            })?;
            println!("seed: {WORLDS} worlds and {} fortunes", FORTUNES.len());
            Ok(())
        })
    }
}

/// Replaces the rows of `world` and `fortune` with TechEmpower's, in one transaction.
///
/// # Errors
/// When the database refuses, as when the tables do not exist.
pub async fn seed(db: &Db) -> Result<(), chopin::db::sea_orm::DbErr> {
    let tx = db.begin().await?;
    world::Entity::delete_many().exec(&tx).await?;
    fortune::Entity::delete_many().exec(&tx).await?;
    let ids: Vec<i32> = (1..=WORLDS).collect();
    for chunk in ids.chunks(1000) {
        world::Entity::insert_many(chunk.iter().map(|&id| world::ActiveModel {
            id: Set(id),
            randomnumber: Set(fastrand::i32(1..=WORLDS)),
        }))
        .exec(&tx)
        .await?;
    }
    fortune::Entity::insert_many(FORTUNES.iter().map(|&(id, message)| fortune::ActiveModel {
        id: Set(id),
        message: Set(message.to_owned()),
    }))
    .exec(&tx)
    .await?;
    tx.commit().await
}
