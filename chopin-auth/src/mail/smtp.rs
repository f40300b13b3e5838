//! [`SmtpMailer`]: mail through an SMTP relay, off the request path.
//!
//! `send` renders the mail ([`MailTemplates`]), builds the message and puts it in a bounded
//! queue; one background task takes messages from it and delivers each, retrying with
//! exponential backoff. What this guarantees:
//!
//! - a request never waits for the relay: `send` returns at once, with an error when the queue
//!   is full (the mail is dropped, the caller logs it);
//! - every connection and command is bounded by `SMTP_TIMEOUT_MS`, so a relay that hangs only
//!   delays the queue;
//! - logs name the recipient's domain and the mail's kind, never the address, the code or the
//!   body, and nothing this module writes holds the relay's password;
//! - the task starts on the first `send`, on that runtime (the mailer may be built before any
//!   runtime exists), and starts again on a later runtime if that one has ended; it never keeps
//!   a process alive: mail still queued when the runtime shuts down is lost, and the codes in it
//!   can be asked for again.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chopin_runtime::Config;
use chopin_runtime::config::ConfigError;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::mpsc;

use super::{
    Mail, MailConfig, MailError, MailKindName, MailTemplates, Mailer, SmtpTls, SmtpUrl,
    TemplateError,
};

/// Sends mail through an SMTP relay: multipart text and HTML from [`MailTemplates`], delivered
/// by a background task with retries, never on the request path.
///
/// Build it from the configuration ([`MailConfig`]: `SMTP_URL`, `MAIL_FROM`, `SMTP_TIMEOUT_MS`)
/// and hand it to `AuthModule`:
///
/// ```no_run
/// use chopin_auth::AuthModule;
/// use chopin_auth::mail::{MailConfig, MailKindName, SmtpMailer};
/// use chopin_runtime::{App, Config};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // SMTP_URL=smtps://mailer:secret@smtp.example.com  MAIL_FROM="Blog <noreply@example.com>"
/// let config = Config::from_env()?;
/// let mailer = SmtpMailer::from_config(&config.section::<MailConfig>()?)?
///     .with_template(
///         MailKindName::EmailVerification,
///         "Welcome to the Blog",
///         "{{ text }}\n-- \nThe Blog\n",
///         "<p>Welcome! Your code is <b>{{ code }}</b>.</p>",
///     )?;
/// let auth = AuthModule::with_mailer(&config, mailer)?;
/// App::with_config(config).mount_module(auth).run().await?;
/// # Ok(())
/// # }
/// ```
///
/// Each message has `From` (`MAIL_FROM`), `To`, `Subject`, `Date`, a `Message-ID` in the
/// sender's domain, and a `multipart/alternative` body: `text/plain` then `text/html`, both
/// UTF-8. A delivery is tried 4 times, 1, 2 then 4 seconds apart (each ±25%), unless the relay
/// refuses it for good (a `5xx` answer: a bad password, an unknown recipient); then it is
/// logged at `error` level with the recipient's domain. The queue holds 1000 mails.
pub struct SmtpMailer {
    delivery: Delivery,
    from: Mailbox,
    url: String,
    templates: MailTemplates,
    capacity: usize,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
}

/// What the background task needs: the transport and the retry policy.
#[derive(Clone)]
struct Delivery {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    attempts: u32,
    backoff: Duration,
    timeout: Duration,
}

/// One message waiting in the queue.
struct Job {
    message: Message,
    /// The recipient, only to scrub it from the relay's answers before they are logged.
    to: String,
    domain: String,
    kind: MailKindName,
}

impl SmtpMailer {
    /// The mailer for `config`.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] naming `SMTP_URL` or `MAIL_FROM` when one is not set, and
    /// [`ConfigError::Invalid`] naming `SMTP_URL` (without its password) when TLS cannot be set
    /// up for its host.
    pub fn from_config(config: &MailConfig) -> Result<SmtpMailer, ConfigError> {
        let url = config.smtp_url.as_ref().ok_or(ConfigError::Missing {
            name: "SMTP_URL",
            why: "the SMTP mailer sends through this relay: set it to a URL such as \
                  smtps://user:password@smtp.example.com:465",
        })?;
        let from = config.from.clone().ok_or(ConfigError::Missing {
            name: "MAIL_FROM",
            why: "mail sent over SMTP needs a sender: set it to a mailbox such as \
                  `Blog <noreply@example.com>`",
        })?;
        SmtpMailer::new(url, from, config.timeout)
    }

    /// The mailer `config`'s variables ask for: `None` when `SMTP_URL` is not set.
    ///
    /// # Errors
    /// As [`MailConfig`]'s reading and [`SmtpMailer::from_config`].
    pub fn configured(config: &Config) -> Result<Option<SmtpMailer>, ConfigError> {
        let mail = config.section::<MailConfig>()?;
        match mail.smtp_url {
            None => Ok(None),
            Some(_) => SmtpMailer::from_config(&mail).map(Some),
        }
    }

    /// The mailer sending as `from` through `url`, each connection and command bounded by
    /// `timeout`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming `SMTP_URL` when TLS cannot be set up for its host.
    pub fn new(url: &SmtpUrl, from: Mailbox, timeout: Duration) -> Result<SmtpMailer, ConfigError> {
        let tls = || {
            TlsParameters::new(url.host.clone()).map_err(|_| ConfigError::Invalid {
                name: "SMTP_URL",
                value: url.to_string(),
                expected: "a host name or address TLS can verify",
            })
        };
        let tls = match url.tls {
            SmtpTls::Implicit => Tls::Wrapper(tls()?),
            SmtpTls::Required => Tls::Required(tls()?),
            SmtpTls::Opportunistic => Tls::Opportunistic(tls()?),
            SmtpTls::None => Tls::None,
        };
        let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&url.host)
            .port(url.port)
            .tls(tls)
            .timeout(Some(timeout));
        if url.user.is_some() || url.password.is_some() {
            transport = transport.credentials(Credentials::new(
                url.user.clone().unwrap_or_default(),
                url.password
                    .as_ref()
                    .map(|p| p.expose().to_owned())
                    .unwrap_or_default(),
            ));
        }
        Ok(SmtpMailer {
            delivery: Delivery {
                transport: transport.build(),
                attempts: 4,
                backoff: Duration::from_secs(1),
                timeout,
            },
            from,
            url: url.to_string(),
            templates: MailTemplates::new(),
            capacity: 1000,
            queue: Mutex::new(None),
        })
    }

    /// Renders mail with `templates`.
    pub fn templates(mut self, templates: MailTemplates) -> SmtpMailer {
        self.templates = templates;
        self
    }

    /// Renders the mails of `kind` with these templates: [`MailTemplates::set`].
    ///
    /// # Errors
    /// [`MailTemplates::set`]'s.
    pub fn with_template(
        mut self,
        kind: MailKindName,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<SmtpMailer, TemplateError> {
        self.templates = self.templates.set(kind, subject, text, html)?;
        Ok(self)
    }

    /// Tries each delivery `attempts` times (at least once), waiting `backoff` after the first
    /// failure and twice as long after each next one (±25%). Default: 4 attempts, 1 second.
    pub fn retries(mut self, attempts: u32, backoff: Duration) -> SmtpMailer {
        self.delivery.attempts = attempts.max(1);
        self.delivery.backoff = backoff;
        self
    }

    /// Holds at most `capacity` mails waiting for delivery (at least 1); beyond, `send` refuses
    /// them. Default 1000.
    pub fn queue_capacity(mut self, capacity: usize) -> SmtpMailer {
        self.capacity = capacity.max(1);
        self
    }

    /// The message for `mail`, ready to queue.
    fn message(&self, mail: &Mail) -> Result<Job, MailError> {
        let kind = mail.kind.name();
        let to: Address = mail.to.trim().parse().map_err(|_| {
            MailError(format!(
                "a {} mail is addressed to something that is not a mail address",
                kind.as_str()
            ))
        })?;
        let domain = to.domain().to_owned();
        let rendered = self
            .templates
            .render(mail)
            .map_err(|e| MailError(e.to_string()))?;
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| MailError(format!("no Message-ID: {e}")))?;
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(rendered.subject)
            .date_now()
            .message_id(Some(format!("<{id}@{}>", self.from.email.domain())))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| {
                MailError(format!(
                    "cannot build a {} mail to @{domain}: {e}",
                    kind.as_str()
                ))
            })?;
        Ok(Job {
            message,
            to: mail.to.trim().to_owned(),
            domain,
            kind,
        })
    }

    /// Queues `job`, starting the background task on this runtime if none runs.
    fn enqueue(&self, job: Job) -> Result<(), MailError> {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        // A closed queue means the runtime that ran the task has ended: start another here.
        let sender = match queue.take().filter(|q| !q.is_closed()) {
            Some(sender) => sender,
            None => {
                let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
                    MailError("SmtpMailer sends from within a tokio runtime".to_owned())
                })?;
                let (sender, receiver) = mpsc::channel(self.capacity);
                runtime.spawn(self.delivery.clone().run(receiver));
                sender
            }
        };
        let sent = sender.try_send(job);
        *queue = Some(sender);
        sent.map_err(|e| {
            let (job, why) = match e {
                mpsc::error::TrySendError::Full(job) => (job, "the queue is full"),
                mpsc::error::TrySendError::Closed(job) => (job, "the runtime is shutting down"),
            };
            MailError(format!(
                "a {} mail to @{} is dropped: {why} ({} mails wait for the relay at most)",
                job.kind.as_str(),
                job.domain,
                self.capacity
            ))
        })
    }
}

impl Mailer for SmtpMailer {
    /// Renders `mail` and queues it; it is delivered in the background.
    ///
    /// # Errors
    /// When the address is not one, a template fails, or the queue is full.
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let job = self.message(mail)?;
        self.enqueue(job)
    }
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("url", &self.url)
            .field("from", &self.from.to_string())
            .field("attempts", &self.delivery.attempts)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// Delivers what arrives, one message at a time, until every sender is gone.
    async fn run(self, mut queue: mpsc::Receiver<Job>) {
        while let Some(job) = queue.recv().await {
            self.deliver(job).await;
        }
    }

    async fn deliver(&self, job: Job) {
        let kind = job.kind.as_str();
        // Each command is bounded by `timeout`; this bounds a relay that answers every one
        // just in time (connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA, the message).
        let whole = self.timeout.saturating_mul(10);
        for attempt in 1..=self.attempts {
            let error = match tokio::time::timeout(whole, self.transport.send(job.message.clone()))
                .await
            {
                Ok(Ok(_)) => {
                    tracing::debug!(domain = %job.domain, kind = %kind, attempt, "mail delivered");
                    return;
                }
                Ok(Err(e)) => (e.is_permanent(), e.to_string()),
                Err(_) => (false, format!("no answer within {whole:?}")),
            };
            // The relay's answer may quote the address: logs name its domain only.
            let (permanent, error) = (error.0, error.1.replace(&job.to, "<recipient>"));
            if permanent || attempt == self.attempts {
                tracing::error!(
                    domain = %job.domain,
                    kind = %kind,
                    attempts = attempt,
                    permanent,
                    error = %error,
                    "mail not delivered"
                );
                return;
            }
            let delay = self.delay(attempt);
            tracing::warn!(
                domain = %job.domain,
                kind = %kind,
                attempt,
                retry_in_ms = delay.as_millis() as u64,
                error = %error,
                "mail delivery failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// The wait after the `attempt`th failure: `backoff`, doubled each time, ±25%.
    fn delay(&self, attempt: u32) -> Duration {
        let base = self
            .backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let quarter = base / 4;
        // Without randomness, no jitter: the retry still happens.
        let jitter = getrandom::u64().unwrap_or(0) % (quarter.as_millis() as u64 * 2 + 1);
        base - quarter + Duration::from_millis(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(value: &str) -> MailConfig {
        let value = value.to_owned();
        Config::from_lookup(move |name| match name {
            "SMTP_URL" => Some(value.clone()),
            "MAIL_FROM" => Some("Blog <noreply@blog.example>".to_owned()),
            _ => None,
        })
        .and_then(|c| c.section::<MailConfig>())
        .expect("valid")
    }

    #[test]
    fn needs_a_relay_and_a_sender() {
        let err = SmtpMailer::from_config(&MailConfig::default()).expect_err("no url");
        assert!(
            matches!(
                err,
                ConfigError::Missing {
                    name: "SMTP_URL",
                    ..
                }
            ),
            "{err}"
        );
        let mut config = url("smtp://127.0.0.1:2525?tls=none");
        config.from = None;
        let err = SmtpMailer::from_config(&config).expect_err("no from");
        assert!(
            matches!(
                err,
                ConfigError::Missing {
                    name: "MAIL_FROM",
                    ..
                }
            ),
            "{err}"
        );
        for form in [
            "smtps://ada:hunter2pw@smtp.example.com",
            "smtp://ada:hunter2pw@smtp.example.com",
            "smtp://ada:hunter2pw@smtp.example.com?tls=opportunistic",
            "smtp://127.0.0.1:2525?tls=none",
        ] {
            let mailer = SmtpMailer::from_config(&url(form)).expect(form);
            let debug = format!("{mailer:?}");
            assert!(!debug.contains("hunter2"), "{debug}");
            assert!(debug.contains("noreply@blog.example"), "{debug}");
        }
        assert!(
            SmtpMailer::configured(&Config::default())
                .expect("nothing set")
                .is_none()
        );
    }

    #[test]
    fn messages_are_multipart_with_every_header() {
        let mailer = SmtpMailer::from_config(&url("smtp://127.0.0.1:2525?tls=none")).expect("ok");
        let job = mailer
            .message(&Mail::email_verification("ada@users.example", "c0de"))
            .expect("message");
        assert_eq!(job.domain, "users.example");
        let raw = String::from_utf8(job.message.formatted()).expect("utf-8");
        let head = raw.split("\r\n\r\n").next().expect("head");
        for header in [
            "From: Blog <noreply@blog.example>",
            "To: ada@users.example",
            "Subject: Verify your email address",
            "Date: ",
            "Message-ID: <",
            "@blog.example>",
            "Content-Type: multipart/alternative;",
        ] {
            assert!(head.contains(header), "{header} in {head}");
        }
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/html; charset=utf-8"),
            "{raw}"
        );
        assert!(
            mailer
                .message(&Mail::password_changed("not an address"))
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        // Nothing listens on port 9 of this host's loopback, usually; the queue fills before
        // the task runs at all, since this runtime has one thread and `send` does not yield.
        let mailer = SmtpMailer::from_config(&url("smtp://127.0.0.1:9?tls=none"))
            .expect("ok")
            .queue_capacity(1)
            .retries(1, Duration::from_millis(1));
        let mail = Mail::password_reset("ada@users.example", "s3cret-c0de");
        mailer.send(&mail).await.expect("queued");
        let err = mailer.send(&mail).await.expect_err("full");
        let message = err.to_string();
        assert_eq!(
            message,
            "a password_reset mail to @users.example is dropped: the queue is full (1 mails \
             wait for the relay at most)"
        );
    }

    #[test]
    fn sending_outside_a_runtime_is_an_error_not_a_panic() {
        let mailer = SmtpMailer::from_config(&url("smtp://127.0.0.1:9?tls=none")).expect("ok");
        let job = mailer
            .message(&Mail::password_changed("ada@users.example"))
            .expect("message");
        let err = mailer.enqueue(job).expect_err("no runtime");
        assert_eq!(
            err.to_string(),
            "SmtpMailer sends from within a tokio runtime"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter() {
        let mailer = SmtpMailer::from_config(&url("smtp://127.0.0.1:9?tls=none")).expect("ok");
        for (attempt, base) in [(1, 1000), (2, 2000), (3, 4000)] {
            for _ in 0..20 {
                let delay = mailer.delivery.delay(attempt).as_millis() as u64;
                assert!(
                    (base * 3 / 4..=base * 5 / 4).contains(&delay),
                    "{attempt}: {delay}"
                );
            }
        }
    }
}
