//! The mails the auth module sends, and the [`Mailer`] that sends them.
//!
//! A [`Mail`] is plain text, written here once: a password-reset or email-verification code,
//! the notice that an address trying to register already has an account (so registration
//! answers the same whether or not it does), and the notice that a password changed. How a mail
//! leaves is the application's choice: [`LogMailer`] prints it (development), [`Outbox`] keeps
//! it (tests, previews), [`SmtpMailer`] sends it through an SMTP relay (production), and any
//! other client (an HTTP API's) implements [`Mailer`].
//!
//! - `mod.rs`: [`Mail`], [`MailKind`], the [`Mailer`] trait, [`LogMailer`], [`Outbox`];
//! - `config.rs`: [`MailConfig`], the variables `SMTP_URL`, `MAIL_FROM`, `SMTP_TIMEOUT_MS`;
//! - `templates.rs`: [`MailTemplates`], the subject, text and HTML of each kind, overridable;
//! - `smtp.rs`: [`SmtpMailer`], which renders a mail, queues it, and delivers it in the
//!   background with retries.

mod config;
mod smtp;
mod templates;

pub use lettre::message::Mailbox;

pub use self::config::{MailConfig, SmtpTls, SmtpUrl};
pub use self::smtp::SmtpMailer;
pub use self::templates::{MailTemplates, RenderedMail, TemplateError};

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

/// What a mail is for, with the code it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailKind {
    /// A code to set a new password with.
    PasswordReset {
        /// The reset code, as the user must send it back.
        token: String,
    },
    /// A code that proves the address belongs to the user.
    EmailVerification {
        /// The verification code, as the user must send it back.
        token: String,
    },
    /// Someone tried to register with an address that already has an account.
    AlreadyRegistered,
    /// The account's password was changed.
    PasswordChanged,
    /// Two-factor authentication was turned on for the account.
    TwoFactorEnabled,
    /// Two-factor authentication was turned off for the account.
    TwoFactorDisabled,
    /// A code of the account's authenticator was presented again after it had been used: someone
    /// has the password and saw (or took) a code.
    TotpReused,
}

impl MailKind {
    /// Which kind it is, without its code: what [`MailTemplates`] are set for.
    pub fn name(&self) -> MailKindName {
        match self {
            MailKind::PasswordReset { .. } => MailKindName::PasswordReset,
            MailKind::EmailVerification { .. } => MailKindName::EmailVerification,
            MailKind::AlreadyRegistered => MailKindName::AlreadyRegistered,
            MailKind::PasswordChanged => MailKindName::PasswordChanged,
            MailKind::TwoFactorEnabled => MailKindName::TwoFactorEnabled,
            MailKind::TwoFactorDisabled => MailKindName::TwoFactorDisabled,
            MailKind::TotpReused => MailKindName::TotpReused,
        }
    }

    /// The code it carries, if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            MailKind::PasswordReset { token } | MailKind::EmailVerification { token } => {
                Some(token)
            }
            _ => None,
        }
    }
}

/// A [`MailKind`] without its code: the key of its templates in [`MailTemplates`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MailKindName {
    /// [`MailKind::PasswordReset`], with a `code`.
    PasswordReset,
    /// [`MailKind::EmailVerification`], with a `code`.
    EmailVerification,
    /// [`MailKind::AlreadyRegistered`].
    AlreadyRegistered,
    /// [`MailKind::PasswordChanged`].
    PasswordChanged,
    /// [`MailKind::TwoFactorEnabled`].
    TwoFactorEnabled,
    /// [`MailKind::TwoFactorDisabled`].
    TwoFactorDisabled,
    /// [`MailKind::TotpReused`].
    TotpReused,
}

impl MailKindName {
    /// Every kind.
    pub const ALL: [MailKindName; 7] = [
        MailKindName::PasswordReset,
        MailKindName::EmailVerification,
        MailKindName::AlreadyRegistered,
        MailKindName::PasswordChanged,
        MailKindName::TwoFactorEnabled,
        MailKindName::TwoFactorDisabled,
        MailKindName::TotpReused,
    ];

    /// Its name in snake case, as its templates are named (`password_reset.html`) and logs
    /// say it.
    pub fn as_str(self) -> &'static str {
        match self {
            MailKindName::PasswordReset => "password_reset",
            MailKindName::EmailVerification => "email_verification",
            MailKindName::AlreadyRegistered => "already_registered",
            MailKindName::PasswordChanged => "password_changed",
            MailKindName::TwoFactorEnabled => "two_factor_enabled",
            MailKindName::TwoFactorDisabled => "two_factor_disabled",
            MailKindName::TotpReused => "totp_reused",
        }
    }
}

/// A plain-text mail to one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// What the mail is for, with its code: what a test or a custom [`Mailer`] reads instead of
    /// parsing `text`.
    pub kind: MailKind,
}

/// The closing line of a mail the recipient may not have asked for.
const NOT_YOU: &str = "If you did not ask for this, ignore this email.";

impl Mail {
    /// The mail carrying a password-reset code.
    pub fn password_reset(to: impl Into<String>, token: impl Into<String>) -> Mail {
        let token = token.into();
        Mail {
            to: to.into(),
            subject: "Reset your password".to_owned(),
            text: format!(
                "Someone asked to reset the password of your account.\n\n\
                 Your password reset code is:\n\n    {token}\n\n\
                 Use it, once, to choose a new password.\n\n\
                 {NOT_YOU} Your password stays as it is.\n"
            ),
            kind: MailKind::PasswordReset { token },
        }
    }

    /// The mail carrying an email-verification code.
    pub fn email_verification(to: impl Into<String>, token: impl Into<String>) -> Mail {
        let token = token.into();
        Mail {
            to: to.into(),
            subject: "Verify your email address".to_owned(),
            text: format!(
                "Please confirm that this email address is yours.\n\n\
                 Your email verification code is:\n\n    {token}\n\n\
                 {NOT_YOU}\n"
            ),
            kind: MailKind::EmailVerification { token },
        }
    }

    /// The mail telling the owner of an address that someone tried to register with it: the
    /// registration itself answers as if it had worked, so that it does not reveal accounts.
    pub fn already_registered(to: impl Into<String>) -> Mail {
        Mail {
            to: to.into(),
            subject: "You already have an account".to_owned(),
            text: format!(
                "Someone tried to create an account with this email address, which already has \
                 one.\n\n\
                 If it was you, sign in instead; if you forgot your password, reset it.\n\n\
                 {NOT_YOU} Nothing has changed.\n"
            ),
            kind: MailKind::AlreadyRegistered,
        }
    }

    /// The mail telling the owner of an account that its password changed.
    pub fn password_changed(to: impl Into<String>) -> Mail {
        Mail {
            to: to.into(),
            subject: "Your password was changed".to_owned(),
            text: "The password of your account was just changed.\n\n\
                   If it was you, there is nothing else to do.\n\n\
                   If it was not you, reset your password now: someone else may know it.\n"
                .to_owned(),
            kind: MailKind::PasswordChanged,
        }
    }

    /// The mail telling the owner of an account that two-factor authentication was turned on.
    pub fn two_factor_enabled(to: impl Into<String>) -> Mail {
        Mail {
            to: to.into(),
            subject: "Two-factor authentication is on".to_owned(),
            text: "Two-factor authentication was just turned on for your account: signing in now \
                   needs a code from the authenticator app.\n\n\
                   If it was you, keep your backup codes somewhere safe.\n\n\
                   If it was not you, someone knows your password: reset it now, and write to \
                   the site's administrators.\n"
                .to_owned(),
            kind: MailKind::TwoFactorEnabled,
        }
    }

    /// The mail telling the owner of an account that two-factor authentication was turned off.
    pub fn two_factor_disabled(to: impl Into<String>) -> Mail {
        Mail {
            to: to.into(),
            subject: "Two-factor authentication is off".to_owned(),
            text: "Two-factor authentication was just turned off for your account: signing in \
                   now needs only the password.\n\n\
                   If it was not you, reset your password now and turn it on again.\n"
                .to_owned(),
            kind: MailKind::TwoFactorDisabled,
        }
    }

    /// The mail telling the owner of an account that a code of its authenticator was presented
    /// again after it had been used (OWASP ASVS 2.8.5): the sign-in was refused.
    pub fn totp_reused(to: impl Into<String>) -> Mail {
        Mail {
            to: to.into(),
            subject: "A sign-in with a used code was refused".to_owned(),
            text: "Someone tried to sign in to your account with a code from your authenticator \
                   app that had already been used, and was refused.\n\n\
                   If it was not you, someone knows your password and saw one of your codes: \
                   reset your password now.\n"
                .to_owned(),
            kind: MailKind::TotpReused,
        }
    }
}

/// Why a mail could not be sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailError(pub String);

/// How mail leaves the application.
///
/// ```
/// use chopin_auth::mail::{Mail, MailError, Mailer};
///
/// /// Drops every mail: for benchmarks.
/// struct Discard;
///
/// impl Mailer for Discard {
///     async fn send(&self, _mail: &Mail) -> Result<(), MailError> {
///         Ok(())
///     }
/// }
/// ```
pub trait Mailer: Send + Sync + 'static {
    /// Sends `mail`.
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<(), MailError>> + Send;
}

type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// [`Mailer`] behind a pointer.
trait DynMailer: Send + Sync {
    fn send_boxed<'a>(&'a self, mail: &'a Mail) -> Sending<'a>;
}

impl<T: Mailer> DynMailer for T {
    fn send_boxed<'a>(&'a self, mail: &'a Mail) -> Sending<'a> {
        Box::pin(Mailer::send(self, mail))
    }
}

/// A [`Mailer`] of any type, behind a shared pointer: the form to store one in.
#[derive(Clone)]
pub struct SharedMailer(Arc<dyn DynMailer>);

impl SharedMailer {
    /// `mailer`, shared.
    pub fn new(mailer: impl Mailer) -> Self {
        SharedMailer(Arc::new(mailer))
    }

    /// Sends `mail` through the mailer.
    ///
    /// # Errors
    ///
    /// The mailer's.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        self.0.send_boxed(mail).await
    }
}

impl std::fmt::Debug for SharedMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedMailer")
    }
}

/// Development default: writes each mail to standard output, clearly delimited. Codes appear
/// in the output, so it is no mailer for production.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogMailer;

impl Mailer for LogMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        println!(
            "----- mail -----\nTo: {}\nSubject: {}\n\n{}----- end of mail -----",
            mail.to, mail.subject, mail.text
        );
        Ok(())
    }
}

/// Keeps mails in memory, in the order they were sent: for tests and previews. Clones share
/// one box.
///
/// ```
/// use chopin_auth::mail::{Mail, MailKind, Mailer, Outbox};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let outbox = Outbox::new();
/// outbox.clone().send(&Mail::password_reset("ada@example.com", "c0de")).await.unwrap();
/// let mails = outbox.to("ada@example.com");
/// assert_eq!(mails[0].kind, MailKind::PasswordReset { token: "c0de".into() });
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Outbox::default()
    }

    /// Every mail sent so far, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        self.lock().clone()
    }

    /// The mails sent to `address`, oldest first.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.lock()
            .iter()
            .filter(|mail| mail.to == address)
            .cloned()
            .collect()
    }

    /// Empties the outbox.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Mail>> {
        // A panic while holding the lock cannot leave a `Vec` half-pushed; keep going.
        self.mails.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Mailer for Outbox {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        self.lock().push(mail.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn outbox_records_in_order_and_clones_share_it() {
        let outbox = Outbox::new();
        let clone = outbox.clone();
        let mails = [
            Mail::email_verification("ada@example.com", "v1"),
            Mail::password_reset("bob@example.com", "r1"),
            Mail::password_changed("ada@example.com"),
        ];
        for mail in &mails {
            clone.send(mail).await.expect("send");
        }
        assert_eq!(outbox.mails(), mails);
        assert_eq!(
            outbox.to("ada@example.com"),
            [mails[0].clone(), mails[2].clone()]
        );
        assert_eq!(outbox.to("bob@example.com"), [mails[1].clone()]);
        assert!(outbox.to("eve@example.com").is_empty());
        clone.clear();
        assert!(outbox.mails().is_empty());
    }

    #[tokio::test]
    async fn shared_mailer_dispatches_to_the_mailer() {
        let outbox = Outbox::new();
        let shared = SharedMailer::new(outbox.clone());
        let copy = shared.clone();
        shared
            .send(&Mail::already_registered("ada@example.com"))
            .await
            .expect("send");
        copy.send(&Mail::password_changed("ada@example.com"))
            .await
            .expect("send");
        let kinds: Vec<MailKind> = outbox.mails().into_iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [MailKind::AlreadyRegistered, MailKind::PasswordChanged]
        );
        assert_eq!(format!("{shared:?}"), "SharedMailer");
    }

    #[tokio::test]
    async fn shared_mailer_passes_errors_on() {
        struct Down;
        impl Mailer for Down {
            async fn send(&self, mail: &Mail) -> Result<(), MailError> {
                Err(MailError(format!("cannot reach the relay for {}", mail.to)))
            }
        }
        let error = SharedMailer::new(Down)
            .send(&Mail::password_changed("ada@example.com"))
            .await
            .expect_err("down");
        assert_eq!(
            error.to_string(),
            "cannot reach the relay for ada@example.com"
        );
    }

    #[tokio::test]
    async fn log_mailer_sends() {
        LogMailer
            .send(&Mail::password_changed("ada@example.com"))
            .await
            .expect("printed");
    }

    #[test]
    fn constructors_put_the_token_in_text_and_kind() {
        let reset = Mail::password_reset("ada@example.com", "reset-c0de");
        assert_eq!(reset.to, "ada@example.com");
        assert_eq!(
            reset.kind,
            MailKind::PasswordReset {
                token: "reset-c0de".into()
            }
        );
        assert!(reset.text.contains("reset-c0de"));
        assert!(reset.text.contains("password reset code"));
        assert!(reset.text.contains(NOT_YOU));

        let verify = Mail::email_verification("bob@example.com", "verify-c0de");
        assert_eq!(verify.to, "bob@example.com");
        assert_eq!(
            verify.kind,
            MailKind::EmailVerification {
                token: "verify-c0de".into()
            }
        );
        assert!(verify.text.contains("verify-c0de"));
        assert!(verify.text.contains("verification code"));
        assert!(verify.text.contains(NOT_YOU));

        for mail in [
            Mail::already_registered("ada@example.com"),
            Mail::password_changed("ada@example.com"),
        ] {
            assert_eq!(mail.to, "ada@example.com");
            assert!(!mail.subject.is_empty() && !mail.text.is_empty());
        }
        assert!(Mail::already_registered("a@b.c").text.contains(NOT_YOU));
        let subjects = [
            reset.subject,
            verify.subject,
            Mail::already_registered("a@b.c").subject,
            Mail::password_changed("a@b.c").subject,
        ];
        for (i, a) in subjects.iter().enumerate() {
            for b in &subjects[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
