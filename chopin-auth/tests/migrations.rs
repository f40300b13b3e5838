//! AuthModule's own migration files (`chopin-auth/migrations/`) hold every table of its models:
//! `makemigrations --check` for the module, as an application's CI runs it for its own.
//!
//! After a change to AuthModule's models, `CHOPIN_MAKEMIGRATIONS=1 cargo test -p chopin-auth
//! --test migrations` writes the next file; review it and commit it.

use chopin_auth::AuthModule;
use chopin_db::migrate::{Made, MakeOptions, makemigrations};
use chopin_db::{AppDbExt, Database};
use chopin_runtime::{App, Config};

#[test]
fn the_modules_files_hold_every_table_of_its_models() {
    let config = Config::from_lookup(|name| match name {
        "APP_ENV" => Some("development".to_owned()),
        "JWT_SECRET" => Some("a-test-secret-of-at-least-32-bytes!!".to_owned()),
        _ => None,
    })
    .expect("a valid configuration");
    let app = App::with_config(config.clone())
        .mount_module(AuthModule::new(&config).expect("AuthModule"));
    let sets = app
        .plugin::<Database>()
        .expect("AuthModule registers its models")
        .migrations()
        .to_vec();
    assert_eq!(sets.len(), 1, "AuthModule ships one set of files: {sets:?}");
    assert_eq!(sets[0].owner, "auth");
    let write = std::env::var_os("CHOPIN_MAKEMIGRATIONS").is_some();
    let options = MakeOptions {
        check: !write,
        owner: Some("auth".to_owned()),
        dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations").into()),
        command: "chopin-auth".to_owned(),
        ..MakeOptions::default()
    };
    let models: Vec<_> = app.models().iter().map(|m| m.table_for_files()).collect();
    match makemigrations(&sets, &models, &options) {
        Ok(Made::NoChanges) => {}
        Ok(Made::Written { path, .. }) => println!("wrote {}", path.display()),
        Err(err) => panic!("{err}"),
    }
}
