//! [`MailConfig`]: where mail goes (`SMTP_URL`), who sends it (`MAIL_FROM`) and how long one
//! SMTP command may take (`SMTP_TIMEOUT_MS`). Reading it checks every value, and no error it
//! gives repeats the URL's password.

use std::fmt;
use std::time::Duration;

use chopin_runtime::Secret;
use chopin_runtime::config::{ConfigError, Section, Vars};
use lettre::message::Mailbox;
use percent_encoding::percent_decode_str;

/// Where mail goes and who sends it: the mail section of the configuration, read by
/// [`SmtpMailer::from_config`](super::SmtpMailer::from_config).
///
/// | variable | meaning |
/// |---|---|
/// | `SMTP_URL` | the relay, as an [`SmtpUrl`]: `smtp://user:password@host:587` (STARTTLS required), `smtps://user:password@host:465` (TLS from the first byte), `smtp://host:25?tls=none` (no TLS: a relay on the same machine), `?tls=opportunistic` (STARTTLS when offered) |
/// | `MAIL_FROM` | the sender, a mailbox such as `Blog <noreply@example.com>`; required with `SMTP_URL` |
/// | `SMTP_TIMEOUT_MS` | the most one connection or command may take, default 10000 |
///
/// ```
/// use chopin_auth::mail::{MailConfig, SmtpTls};
/// use chopin_runtime::Config;
///
/// let config = Config::from_lookup(|name| match name {
///     "SMTP_URL" => Some("smtps://mailer:s3cr%40t@smtp.example.com".to_owned()),
///     "MAIL_FROM" => Some("Blog <noreply@example.com>".to_owned()),
///     _ => None,
/// })?;
/// let mail = config.section::<MailConfig>()?;
/// let url = mail.smtp_url.as_ref().expect("set");
/// assert_eq!((url.host.as_str(), url.port, url.tls), ("smtp.example.com", 465, SmtpTls::Implicit));
/// assert_eq!(url.password.as_ref().map(|p| p.expose()), Some("s3cr@t"));
/// assert!(!format!("{mail:?}").contains("s3cr"));
/// # Ok::<(), chopin_runtime::ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailConfig {
    /// The SMTP relay. Variable `SMTP_URL`; unset, there is none.
    pub smtp_url: Option<SmtpUrl>,
    /// The `From` of every mail. Variable `MAIL_FROM`.
    pub from: Option<Mailbox>,
    /// The most one connection or SMTP command may take. Variable `SMTP_TIMEOUT_MS`, default
    /// 10000.
    pub timeout: Duration,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            from: None,
            timeout: Duration::from_secs(10),
        }
    }
}

impl Section for MailConfig {
    fn read(vars: &Vars, d: MailConfig) -> Result<MailConfig, ConfigError> {
        let url = vars.get("SMTP_URL");
        let smtp_url = match url.value() {
            Some(value) => {
                Some(
                    SmtpUrl::parse(value).map_err(|expected| ConfigError::Invalid {
                        name: url.name(),
                        value: redact(value.trim()),
                        expected,
                    })?,
                )
            }
            None => d.smtp_url,
        };
        let from = vars.get("MAIL_FROM");
        let from = match from.value() {
            Some(value) => Some(
                value
                    .trim()
                    .parse::<Mailbox>()
                    .map_err(|_| from.invalid("a mailbox such as `Blog <noreply@example.com>`"))?,
            ),
            None => d.from,
        };
        Ok(MailConfig {
            smtp_url,
            from,
            timeout: vars.get("SMTP_TIMEOUT_MS").millis()?.unwrap_or(d.timeout),
        })
    }
}

/// How an SMTP connection is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Implicit,
    /// `smtp://`: plain text upgraded with STARTTLS, which the server must offer (port 587 by
    /// default). The default for `smtp://`.
    Required,
    /// `smtp://…?tls=opportunistic`: STARTTLS when the server offers it, plain text otherwise.
    Opportunistic,
    /// `smtp://…?tls=none`: plain text (port 25 by default), for a relay on the same machine or
    /// network.
    None,
}

/// An SMTP relay's address and credentials, parsed from `SMTP_URL`.
///
/// `smtp[s]://[user[:password]@]host[:port][?tls=required|opportunistic|none]`: the user and
/// password are percent-decoded (write `@` as `%40`, `:` as `%3A`); `tls=` applies to `smtp://`
/// only. Its `Debug` hides the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpUrl {
    /// The relay's host name or IP address (without the brackets of an IPv6 one).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is encrypted.
    pub tls: SmtpTls,
    /// The user to authenticate as, if any.
    pub user: Option<String>,
    /// The user's password.
    pub password: Option<Secret>,
}

/// What `SMTP_URL` must look like, said by every refusal.
const FORM: &str = "an smtp:// or smtps:// URL such as smtps://user:password@smtp.example.com:465 \
                    or smtp://127.0.0.1:25?tls=none";

impl SmtpUrl {
    /// Parses `url`; the error says what was expected, never repeating the URL.
    fn parse(url: &str) -> Result<SmtpUrl, &'static str> {
        let url = url.trim();
        let (implicit, rest) = if let Some(rest) = url.strip_prefix("smtps://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("smtp://") {
            (false, rest)
        } else {
            return Err(FORM);
        };
        let (userinfo, rest) = split_userinfo(rest);
        let (authority, query) = match rest.split_once('?') {
            Some((authority, query)) => (authority, Some(query)),
            None => (rest, None),
        };
        // A trailing `/` is harmless; a path means something SMTP has no use for.
        let authority = authority.strip_suffix('/').unwrap_or(authority);
        if authority.contains(['/', '#']) {
            return Err("an SMTP URL without a path: smtp[s]://[user:password@]host[:port]");
        }
        let (host, port) = split_port(authority)?;
        if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '@') {
            return Err("an SMTP URL with a host: smtp[s]://[user:password@]host[:port]");
        }
        let mut tls = if implicit {
            SmtpTls::Implicit
        } else {
            SmtpTls::Required
        };
        for param in query.into_iter().flat_map(|q| q.split('&')) {
            tls = match (implicit, param) {
                (_, "") => tls,
                (false, "tls=required") => SmtpTls::Required,
                (false, "tls=opportunistic") => SmtpTls::Opportunistic,
                (false, "tls=none") => SmtpTls::None,
                _ => {
                    return Err(
                        "`?tls=required`, `?tls=opportunistic` or `?tls=none` after \
                                smtp:// (smtps:// takes no parameter)",
                    );
                }
            };
        }
        let port = port.unwrap_or(match tls {
            SmtpTls::Implicit => 465,
            SmtpTls::Required | SmtpTls::Opportunistic => 587,
            SmtpTls::None => 25,
        });
        let decode = |s: &str| -> Result<String, &'static str> {
            percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| "an SMTP URL whose user and password are percent-encoded UTF-8")
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => match info.split_once(':') {
                Some((user, password)) => {
                    (Some(decode(user)?), Some(Secret::new(decode(password)?)))
                }
                None => (Some(decode(info)?), None),
            },
        };
        Ok(SmtpUrl {
            host: host.to_owned(),
            port,
            tls,
            user: user.filter(|u| !u.is_empty()),
            password,
        })
    }
}

/// The URL as logs and errors may show it: `smtps://user:***@host:465`.
impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls == SmtpTls::Implicit {
            "smtps"
        } else {
            "smtp"
        };
        write!(f, "{scheme}://")?;
        match (&self.user, &self.password) {
            (Some(user), Some(_)) => write!(f, "{user}:***@")?,
            (Some(user), None) => write!(f, "{user}@")?,
            (None, Some(_)) => f.write_str(":***@")?,
            (None, None) => {}
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        match self.tls {
            SmtpTls::Opportunistic => f.write_str("?tls=opportunistic"),
            SmtpTls::None => f.write_str("?tls=none"),
            SmtpTls::Implicit | SmtpTls::Required => Ok(()),
        }
    }
}

/// The user information and the rest of what follows `scheme://`. The last `@` ends the user
/// information, so that a password with an unescaped `@`, `/` or `?` still stays in it.
fn split_userinfo(rest: &str) -> (Option<&str>, &str) {
    match rest.rsplit_once('@') {
        Some((info, rest)) => (Some(info), rest),
        None => (None, rest),
    }
}

/// `host[:port]` or `[v6]:port`.
fn split_port(authority: &str) -> Result<(&str, Option<u16>), &'static str> {
    const PORT: &str = "an SMTP URL whose port is a number from 1 to 65535";
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(FORM)?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or(PORT)?)),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(port) => match port.parse::<u16>() {
            Ok(0) | Err(_) => return Err(PORT),
            Ok(port) => Some(port),
        },
    };
    Ok((host, port))
}

/// `SMTP_URL` as an error may show it: whatever stands between the scheme (or the start) and the
/// last `@` keeps only its user. Stricter than `redact_url`, which a malformed URL (no `://`, a
/// `?` in the password) would get past.
fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let rest = match split_userinfo(rest) {
        (Some(info), host) => match info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{info}@{host}"),
        },
        (None, host) => host.to_owned(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chopin_runtime::Config;

    use super::*;

    fn section(vars: &[(&str, &str)]) -> Result<MailConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(move |k| map.get(k).cloned())?.section::<MailConfig>()
    }

    fn url(value: &str) -> SmtpUrl {
        section(&[("SMTP_URL", value)])
            .expect(value)
            .smtp_url
            .expect("set")
    }

    #[test]
    fn nothing_set_is_no_relay() {
        let c = section(&[]).expect("empty");
        assert_eq!(c, MailConfig::default());
        assert_eq!(c.timeout, Duration::from_secs(10));
    }

    #[test]
    fn reads_every_form() {
        let cases = [
            (
                "smtp://mailer:s3cret@smtp.example.com:587",
                "smtp.example.com",
                587,
                SmtpTls::Required,
                Some("mailer"),
                Some("s3cret"),
            ),
            (
                "smtp://mailer:s3cret@smtp.example.com",
                "smtp.example.com",
                587,
                SmtpTls::Required,
                Some("mailer"),
                Some("s3cret"),
            ),
            (
                "smtps://mailer:s3cret@smtp.example.com:465",
                "smtp.example.com",
                465,
                SmtpTls::Implicit,
                Some("mailer"),
                Some("s3cret"),
            ),
            (
                "smtps://smtp.example.com/",
                "smtp.example.com",
                465,
                SmtpTls::Implicit,
                None,
                None,
            ),
            (
                "smtp://127.0.0.1:2525?tls=none",
                "127.0.0.1",
                2525,
                SmtpTls::None,
                None,
                None,
            ),
            (
                "smtp://localhost?tls=none",
                "localhost",
                25,
                SmtpTls::None,
                None,
                None,
            ),
            (
                "smtp://relay:1025?tls=opportunistic",
                "relay",
                1025,
                SmtpTls::Opportunistic,
                None,
                None,
            ),
            (
                "smtp://relay?tls=required",
                "relay",
                587,
                SmtpTls::Required,
                None,
                None,
            ),
            (
                "smtp://[::1]:2525?tls=none",
                "::1",
                2525,
                SmtpTls::None,
                None,
                None,
            ),
            // Percent-decoded; an unescaped `@` or `?` in the password still belongs to it.
            (
                "smtp://ada%40example.com:p%3As%20s@smtp.example.com",
                "smtp.example.com",
                587,
                SmtpTls::Required,
                Some("ada@example.com"),
                Some("p:s s"),
            ),
            (
                "smtps://ada:p@s?s@smtp.example.com",
                "smtp.example.com",
                465,
                SmtpTls::Implicit,
                Some("ada"),
                Some("p@s?s"),
            ),
            (
                "smtp://apikey@relay?tls=none",
                "relay",
                25,
                SmtpTls::None,
                Some("apikey"),
                None,
            ),
        ];
        for (value, host, port, tls, user, password) in cases {
            let u = url(value);
            assert_eq!(u.host, host, "{value}");
            assert_eq!(u.port, port, "{value}");
            assert_eq!(u.tls, tls, "{value}");
            assert_eq!(u.user.as_deref(), user, "{value}");
            assert_eq!(u.password.as_ref().map(Secret::expose), password, "{value}");
            if let Some(password) = password {
                assert!(!format!("{u:?}").contains(password), "{value}");
                assert!(!u.to_string().contains(password), "{value}");
            }
        }
    }

    #[test]
    fn display_is_the_url_without_its_password() {
        assert_eq!(
            url("smtp://ada:s3cret@smtp.example.com").to_string(),
            "smtp://ada:***@smtp.example.com:587"
        );
        assert_eq!(
            url("smtps://smtp.example.com").to_string(),
            "smtps://smtp.example.com:465"
        );
        assert_eq!(
            url("smtp://[::1]?tls=none").to_string(),
            "smtp://[::1]:25?tls=none"
        );
        assert_eq!(
            url("smtp://:tok@relay?tls=opportunistic").to_string(),
            "smtp://:***@relay:587?tls=opportunistic"
        );
    }

    #[test]
    fn refusals_name_smtp_url_and_never_the_password() {
        let cases = [
            ("http://ada:hunter2pw@relay", FORM),
            ("smtp//ada:hunter2pw@relay", FORM),
            ("ada:hunter2pw@relay", FORM),
            (
                "smtp://ada:hunter2pw@",
                "an SMTP URL with a host: smtp[s]://[user:password@]host[:port]",
            ),
            (
                "smtp://ada:hunter2pw@:587",
                "an SMTP URL with a host: smtp[s]://[user:password@]host[:port]",
            ),
            (
                "smtp://ada:hunter2pw@relay:0",
                "an SMTP URL whose port is a number from 1 to 65535",
            ),
            (
                "smtp://ada:hunter2pw@relay:70000",
                "an SMTP URL whose port is a number from 1 to 65535",
            ),
            (
                "smtp://ada:hunter2pw@relay:smtp",
                "an SMTP URL whose port is a number from 1 to 65535",
            ),
            (
                "smtp://ada:hunter2pw@[::1]x",
                "an SMTP URL whose port is a number from 1 to 65535",
            ),
            (
                "smtp://ada:hunter2pw@relay/mail",
                "an SMTP URL without a path: smtp[s]://[user:password@]host[:port]",
            ),
            (
                "smtp://ada:hunter2pw@relay?tls=maybe",
                "`?tls=required`, `?tls=opportunistic` or `?tls=none` after smtp:// (smtps:// \
                 takes no parameter)",
            ),
            (
                "smtps://ada:hunter2pw@relay?tls=none",
                "`?tls=required`, `?tls=opportunistic` or `?tls=none` after smtp:// (smtps:// \
                 takes no parameter)",
            ),
            (
                "smtp://ada:hunter2pw@relay?pool=5",
                "`?tls=required`, `?tls=opportunistic` or `?tls=none` after smtp:// (smtps:// \
                 takes no parameter)",
            ),
            (
                "smtp://ada:hunter2pw%FF@relay",
                "an SMTP URL whose user and password are percent-encoded UTF-8",
            ),
        ];
        for (value, expected) in cases {
            let err = section(&[("SMTP_URL", value)]).expect_err(value);
            let ConfigError::Invalid {
                name,
                expected: said,
                ..
            } = &err
            else {
                panic!("{value}: {err:?}");
            };
            assert_eq!((*name, *said), ("SMTP_URL", expected), "{value}");
            let message = err.to_string();
            assert!(
                message.starts_with("invalid value for `SMTP_URL`: `"),
                "{message}"
            );
            assert!(!message.contains("hunter2"), "{message}");
            assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
        }
        // The password is hidden even where `redact_url` would show part of it.
        let err = section(&[("SMTP_URL", "smtp://ada:hun?ter2pw@relay:x")]).expect_err("port");
        assert_eq!(
            err.to_string(),
            "invalid value for `SMTP_URL`: `smtp://ada:***@relay:x` (an SMTP URL whose port is a \
             number from 1 to 65535)"
        );
        let err = section(&[("SMTP_URL", "ada:hunter2pw@relay")]).expect_err("scheme");
        assert!(err.to_string().contains("`ada:***@relay`"), "{err}");
    }

    #[test]
    fn reads_the_sender_and_the_timeout() {
        let c = section(&[
            ("MAIL_FROM", " Blog <noreply@example.com> "),
            ("SMTP_TIMEOUT_MS", "2500"),
        ])
        .expect("valid");
        let from = c.from.expect("set");
        assert_eq!(from.name.as_deref(), Some("Blog"));
        assert_eq!(from.email.to_string(), "noreply@example.com");
        assert_eq!(c.timeout, Duration::from_millis(2500));
        let bare = section(&[("MAIL_FROM", "noreply@example.com")]).expect("valid");
        assert_eq!(bare.from.expect("set").name, None);
    }

    #[test]
    fn a_bad_sender_or_timeout_names_its_variable() {
        let err = section(&[("MAIL_FROM", "Blog <not an address>")]).expect_err("from");
        assert_eq!(
            err.to_string(),
            "invalid value for `MAIL_FROM`: `Blog <not an address>` (a mailbox such as \
             `Blog <noreply@example.com>`)"
        );
        let err = section(&[("SMTP_TIMEOUT_MS", "0")]).expect_err("timeout");
        assert!(err.to_string().contains("`SMTP_TIMEOUT_MS`"), "{err}");
    }
}
