//! `createadmin EMAIL`: the management command that makes the first admin, so that nobody edits
//! the database by hand.
//!
//! Mounting `AuthModule` adds it to the application's binary (through the plugin below). The
//! password is read from the terminal without echo, twice, or as one line from standard input
//! when that is not a terminal (a script, a secret manager's pipe); it must pass the password
//! policy, as every new password does. The account is created verified, with the role `admin`.

use std::io::{BufRead as _, IsTerminal as _};

use chopin_db::sea_orm::ActiveModelTrait as _;
use chopin_db::{ConnectError, Db, DbConfig};
use chopin_runtime::auth::{AuthProvider, ROLES};
use chopin_runtime::plugin::{BoxFuture, Command, Plugin, Setup};
use chopin_runtime::{ConfigError, Error};

use super::AuthModule;
use super::service::{checked_email, find_user_by_email, new_account};
use crate::config::AuthConfig;
use crate::password::{check_password, check_strength, hash_password};

const COMMANDS: &[Command] = &[Command {
    name: "createadmin",
    usage: "createadmin EMAIL",
}];

/// `AuthModule`'s part in the application's life besides its routes: the `createadmin` command,
/// and, before the application serves, what production needs of the configuration
/// ([`AuthModule::unmet`](super::AuthModule::unmet)).
#[derive(Debug, Default)]
pub(crate) struct AuthCommands;

/// Why `createadmin` made no admin.
#[derive(Debug, thiserror::Error)]
enum CreateAdminError {
    #[error("createadmin: {0}")]
    Refused(String),
    #[error("createadmin: cannot read the password: {0}")]
    Read(#[from] std::io::Error),
    #[error("createadmin: {0} (has `migrate` created the tables?)")]
    Database(#[from] chopin_db::sea_orm::DbErr),
    #[error("createadmin: {0}")]
    Hash(#[from] crate::password::PasswordError),
}

impl Plugin for AuthCommands {
    fn name(&self) -> &'static str {
        "auth"
    }

    fn unmet(&self, app: &Setup<'_>) -> Vec<ConfigError> {
        app.service::<AuthProvider>()
            .and_then(AuthProvider::downcast::<AuthModule>)
            .map(|auth| auth.unmet().to_vec())
            .unwrap_or_default()
    }

    fn start<'a>(&'a mut self, _: &'a mut Setup<'_>) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }

    fn commands(&self) -> &'static [Command] {
        COMMANDS
    }

    fn run_command<'a>(
        &'a mut self,
        _name: &'a str,
        args: &'a [String],
        app: &'a mut Setup<'_>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let [email] = args else {
                return Err(Error::Usage(format!(
                    "`createadmin {}`: expected `createadmin EMAIL`",
                    args.join(" ")
                )));
            };
            let email = checked_email(email).map_err(|e| {
                let why = e.fields().first().map_or("", |f| f.message.as_str());
                Error::Usage(format!("createadmin: `{email}` is not an email: {why}"))
            })?;
            let config = app.config().section::<AuthConfig>()?;
            let password = read_password(&email).map_err(Error::battery)?;
            check_password(&password, config.min_password_length)
                .and_then(|()| {
                    check_strength(&password, config.min_password_strength, &[email.as_str()])
                })
                .map_err(|why| {
                    Error::battery(CreateAdminError::Refused(format!("the password {why}")))
                })?;
            let db = match app.service::<Db>() {
                Some(db) => db.clone(),
                None => {
                    let section = app.config().section::<DbConfig>()?;
                    Db::connect(&section)
                        .await
                        .map_err(|source| Error::battery(ConnectError::new(&section.url, source)))?
                }
            };
            let id = create_admin(&db, &email, &password)
                .await
                .map_err(Error::battery)?;
            println!("createadmin: {email} is an admin (account {id}), its email verified");
            Ok(())
        })
    }
}

/// The password, from the terminal without echo (typed twice) or as a line of standard input.
fn read_password(email: &str) -> Result<String, CreateAdminError> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {email}: "))?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if first != again {
            return Err(CreateAdminError::Refused(
                "the two passwords differ".to_owned(),
            ));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    };
    if password.is_empty() {
        return Err(CreateAdminError::Refused(
            "no password: type one, or give it as a line on standard input".to_owned(),
        ));
    }
    Ok(password)
}

/// Creates the verified admin `email`, refusing an email that has an account: the id.
async fn create_admin(db: &Db, email: &str, password: &str) -> Result<i64, CreateAdminError> {
    if find_user_by_email(db.conn(), email).await?.is_some() {
        return Err(CreateAdminError::Refused(format!(
            "{email} has an account already: an admin gives it the role with \
             PUT /auth/users/{{id}}/role"
        )));
    }
    let hash = hash_password(password).await?;
    let admin = new_account(email, ROLES[ROLES.len() - 1], true, hash)
        .insert(db.conn())
        .await?;
    Ok(admin.id)
}
