//! The application's binary as its own management command, as Django's `manage.py`.

use super::{App, RouteTable};
use crate::error::Error;
use crate::module::ModuleList;
use crate::plugin::Setup;

/// The commands every application has, for usage messages.
const BUILT_IN: [&str; 3] = [
    "`serve` (the default)",
    "`routes`",
    "`openapi [--out FILE]`",
];

impl<S, M> App<S, M>
where
    S: Clone + Send + Sync + 'static,
    M: ModuleList,
{
    /// Runs the application as its own management command, as Django's `manage.py`: the first
    /// argument of the process names the command.
    ///
    /// - `serve` (or nothing): [`App::run`].
    /// - `routes`: prints the route table ([`App::routes`]) to standard output and returns.
    /// - `openapi [--out FILE]`: writes the API description ([`App::openapi`]) as JSON to
    ///   standard output, or to `FILE`, and returns.
    /// - each command of the application's plugins: `migrate`, with a database battery.
    ///
    /// # Errors
    /// [`Error::Usage`] for any other command or argument, and whatever the command itself
    /// returns.
    pub async fn run_command(self) -> Result<(), Error> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        self.run_command_with(&args).await
    }

    /// [`App::run_command`] with these arguments instead of the process's.
    ///
    /// # Errors
    /// As [`App::run_command`].
    pub async fn run_command_with(mut self, args: &[String]) -> Result<(), Error> {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        match words.as_slice() {
            [] | ["serve"] => self.run().await,
            ["routes"] => {
                print!("{}", RouteTable(&self.routes()));
                Ok(())
            }
            ["openapi", rest @ ..] => self.write_openapi(rest),
            [name, ..] => {
                let name = *name;
                let plugin = self
                    .plugins
                    .iter_mut()
                    .find(|p| p.commands().iter().any(|c| c.name == name));
                match plugin {
                    Some(plugin) => {
                        plugin
                            .run_command(
                                name,
                                &args[1..],
                                &mut Setup::new(&self.config, &mut self.services),
                            )
                            .await
                    }
                    None => Err(Error::Usage(format!(
                        "unknown command `{name}`: expected {}",
                        self.command_list()
                    ))),
                }
            }
        }
    }

    /// `openapi [--out FILE]`.
    fn write_openapi(&self, rest: &[&str]) -> Result<(), Error> {
        let out = match rest {
            [] => None,
            ["--out", file] => Some(*file),
            _ => {
                return Err(Error::Usage(format!(
                    "`openapi {}`: expected `openapi` or `openapi --out FILE`",
                    rest.join(" ")
                )));
            }
        };
        let json = self
            .openapi()
            .to_pretty_json()
            .map_err(std::io::Error::other)?;
        match out {
            None => println!("{json}"),
            Some(file) => {
                std::fs::write(file, json + "\n").map_err(|source| Error::Write {
                    path: file.into(),
                    source,
                })?;
            }
        }
        Ok(())
    }

    /// `` `serve` (the default), `routes`, `openapi [--out FILE]` or `migrate` ``.
    fn command_list(&self) -> String {
        let mut all: Vec<String> = BUILT_IN.iter().map(|c| (*c).to_owned()).collect();
        for plugin in self.plugins.iter() {
            all.extend(plugin.commands().iter().map(|c| format!("`{}`", c.usage)));
        }
        match all.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => all.join(""),
        }
    }
}
