//! [`MailTemplates`]: a mail's subject, plain text and HTML, rendered with minijinja from
//! templates the application may override one kind at a time.
//!
//! Guarantees: HTML templates escape every value (`{{ code }}` cannot inject markup); an
//! override is compiled and rendered once when it is set, so a typo, an unknown variable or a
//! template that forgets the code stops start-up rather than a mail; rendering a mail never
//! fails on the built-in templates.

use std::fmt;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::{Mail, MailKindName};

/// The subject, text and HTML templates of each [`MailKind`](super::MailKind): the built-in ones unless the
/// application sets its own with [`MailTemplates::set`].
///
/// Templates are [minijinja](https://docs.rs/minijinja) (Jinja2) source. Each is rendered with:
///
/// | variable | value |
/// |---|---|
/// | `code` | the reset or verification code; defined only for the kinds that carry one |
/// | `to` | the recipient's address |
/// | `subject` | in the subject template, the built-in subject ([`Mail::subject`]); in the text and HTML templates, the rendered subject |
/// | `text` | the built-in plain-text body ([`Mail::text`]) |
///
/// Using a variable that is not defined is an error, caught by [`MailTemplates::set`]. The
/// HTML template is escaped (`<` in a value becomes `&lt;`); the subject and text ones are not.
/// The built-in subject and text templates are `{{ subject }}` and `{{ text }}`, so an SMTP
/// mail says what [`LogMailer`](super::LogMailer) prints; the built-in HTML shows the same
/// words on a plain card, with the code large and in a monospace font.
///
/// ```
/// use chopin_auth::mail::{Mail, MailKindName, MailTemplates};
///
/// let templates = MailTemplates::new().set(
///     MailKindName::EmailVerification,
///     "Welcome to the Blog: confirm your address",
///     "Welcome! Your code is {{ code }}.\n",
///     "<p>Welcome! Your code is <b>{{ code }}</b>.</p>",
/// )?;
/// let rendered = templates.render(&Mail::email_verification("ada@example.com", "c0de<1>"))?;
/// assert_eq!(rendered.subject, "Welcome to the Blog: confirm your address");
/// assert_eq!(rendered.text, "Welcome! Your code is c0de<1>.\n");
/// assert_eq!(rendered.html, "<p>Welcome! Your code is <b>c0de&lt;1&gt;</b>.</p>");
///
/// // The other kinds keep their built-in templates.
/// let reset = templates.render(&Mail::password_reset("ada@example.com", "r3set"))?;
/// assert!(reset.html.contains("r3set") && reset.text.contains("r3set"));
/// # Ok::<(), chopin_auth::mail::TemplateError>(())
/// ```
#[derive(Clone)]
pub struct MailTemplates {
    env: Environment<'static>,
}

/// A mail rendered from its templates: what an SMTP or API mailer sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedMail {
    /// The subject line, on one line.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

/// A template that does not compile or render, or forgets the code its mail must carry.
#[derive(Debug, thiserror::Error)]
#[error("mail template `{template}`: {message}")]
pub struct TemplateError {
    template: String,
    message: String,
}

impl TemplateError {
    /// The template's name: the kind and the part, as in `password_reset.html`.
    pub fn template(&self) -> &str {
        &self.template
    }
}

/// What each template is rendered with.
#[derive(Serialize)]
struct Context<'a> {
    // Undefined, not `none`, for the kinds without a code: using it is an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    to: &'a str,
    subject: &'a str,
    text: &'a str,
}

/// The three parts of a mail, as template names end.
const PARTS: [&str; 3] = ["subject", "txt", "html"];

fn name(kind: MailKindName, part: &str) -> String {
    format!("{}.{part}", kind.as_str())
}

impl Default for MailTemplates {
    fn default() -> Self {
        MailTemplates::new()
    }
}

impl MailTemplates {
    /// The built-in templates of every kind.
    pub fn new() -> MailTemplates {
        let mut env = Environment::new();
        // Only the HTML part is markup; text and subjects are sent as written.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        let mut templates = MailTemplates { env };
        for kind in MailKindName::ALL {
            let html = MailTemplates::default_html(kind);
            // The built-in sources compile: the test `built_in_templates_render_every_kind`
            // renders each one. Should one not, `render` reports it for that kind only.
            let _ = templates.add(kind, "{{ subject }}", "{{ text }}", &html);
        }
        templates
    }

    /// The built-in HTML template of `kind`, a whole document: a starting point for one's own.
    pub fn default_html(kind: MailKindName) -> String {
        LAYOUT.replace("{% block body %}", default_body(kind))
    }

    /// Uses `subject`, `text` and `html` as the templates of the mails of `kind`. Write
    /// `{{ subject }}` or `{{ text }}` to keep the built-in subject or text.
    ///
    /// # Errors
    /// When a template does not compile, does not render (a variable that is not defined for
    /// this kind), or, for a kind that carries a code, does not show `{{ code }}` in the text
    /// and the HTML.
    pub fn set(
        mut self,
        kind: MailKindName,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<MailTemplates, TemplateError> {
        self.add(kind, subject, text, html)?;
        // Render a sample now: an error belongs to start-up, not to a user's mail.
        let code = "SAMPLE-C0DE-4c1f";
        let sample = kind.sample("ada@example.com", code);
        let rendered = self.render(&sample)?;
        if sample.kind.code().is_some() {
            for (part, body) in [("txt", &rendered.text), ("html", &rendered.html)] {
                if !body.contains(code) {
                    return Err(TemplateError {
                        template: name(kind, part),
                        message: "does not show the code: write `{{ code }}` in it".to_owned(),
                    });
                }
            }
        }
        Ok(self)
    }

    fn add(
        &mut self,
        kind: MailKindName,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<(), TemplateError> {
        for (part, source) in PARTS.into_iter().zip([subject, text, html]) {
            let template = name(kind, part);
            self.env
                .add_template_owned(template.clone(), source.to_owned())
                .map_err(|e| TemplateError {
                    template,
                    message: e.to_string(),
                })?;
        }
        Ok(())
    }

    /// Renders `mail` with the templates of its kind.
    ///
    /// # Errors
    /// When a template of the application's fails at rendering, which [`MailTemplates::set`]
    /// has already tried.
    pub fn render(&self, mail: &Mail) -> Result<RenderedMail, TemplateError> {
        let kind = mail.kind.name();
        let mut context = Context {
            code: mail.kind.code(),
            to: &mail.to,
            subject: &mail.subject,
            text: &mail.text,
        };
        let subject = self.part(kind, "subject", &context)?;
        // One line: a header cannot hold a line break.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        context.subject = &subject;
        let text = self.part(kind, "txt", &context)?;
        let html = self.part(kind, "html", &context)?;
        Ok(RenderedMail {
            subject,
            text,
            html,
        })
    }

    fn part(
        &self,
        kind: MailKindName,
        part: &str,
        context: &Context<'_>,
    ) -> Result<String, TemplateError> {
        let template = name(kind, part);
        self.env
            .get_template(&template)
            .and_then(|t| t.render(context))
            .map_err(|e| TemplateError {
                template,
                message: e.to_string(),
            })
    }
}

impl fmt::Debug for MailTemplates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailTemplates").finish_non_exhaustive()
    }
}

/// The page around every built-in HTML body: a card, readable without images or CSS files
/// (mail clients drop `<style>` blocks and stylesheets, so styles are inline).
const LAYOUT: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ subject }}</title>
</head>
<body style="margin:0;padding:24px;background:#f4f4f5;color:#18181b;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5">
<div style="max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px">
<h1 style="margin:0 0 16px;font-size:20px">{{ subject }}</h1>
{% block body %}
</div>
</body>
</html>
"#;

/// The code, large and easy to copy.
macro_rules! code_box {
    () => {
        r#"<p style="margin:24px 0;padding:16px;background:#f4f4f5;border-radius:6px;text-align:center;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:20px;font-weight:bold;letter-spacing:1px;word-break:break-all">{{ code }}</p>"#
    };
}

/// The closing line of a mail the recipient may not have asked for, as in the text.
macro_rules! not_you {
    ($more:literal) => {
        concat!(
            r#"<p style="color:#71717a">If you did not ask for this, ignore this email."#,
            $more,
            "</p>"
        )
    };
}

fn default_body(kind: MailKindName) -> &'static str {
    match kind {
        MailKindName::PasswordReset => concat!(
            "<p>Someone asked to reset the password of your account.</p>\n",
            "<p>Your password reset code is:</p>\n",
            code_box!(),
            "\n<p>Use it, once, to choose a new password.</p>\n",
            not_you!(" Your password stays as it is."),
        ),
        MailKindName::EmailVerification => concat!(
            "<p>Please confirm that this email address is yours.</p>\n",
            "<p>Your email verification code is:</p>\n",
            code_box!(),
            "\n",
            not_you!(""),
        ),
        MailKindName::AlreadyRegistered => concat!(
            "<p>Someone tried to create an account with this email address, which already has ",
            "one.</p>\n",
            "<p>If it was you, sign in instead; if you forgot your password, reset it.</p>\n",
            not_you!(" Nothing has changed."),
        ),
        MailKindName::PasswordChanged => concat!(
            "<p>The password of your account was just changed.</p>\n",
            "<p>If it was you, there is nothing else to do.</p>\n",
            "<p><strong>If it was not you, reset your password now:</strong> someone else may ",
            "know it.</p>",
        ),
        MailKindName::TwoFactorEnabled => concat!(
            "<p>Two-factor authentication was just turned on for your account: signing in now ",
            "needs a code from the authenticator app.</p>\n",
            "<p>If it was you, keep your backup codes somewhere safe.</p>\n",
            "<p><strong>If it was not you, someone knows your password:</strong> reset it now, ",
            "and write to the site's administrators.</p>",
        ),
        MailKindName::TwoFactorDisabled => concat!(
            "<p>Two-factor authentication was just turned off for your account: signing in now ",
            "needs only the password.</p>\n",
            "<p><strong>If it was not you, reset your password now</strong> and turn it on ",
            "again.</p>",
        ),
        MailKindName::TotpReused => concat!(
            "<p>Someone tried to sign in to your account with a code from your authenticator app ",
            "that had already been used, and was refused.</p>\n",
            "<p><strong>If it was not you, someone knows your password and saw one of your ",
            "codes:</strong> reset your password now.</p>",
        ),
    }
}

impl MailKindName {
    /// A mail of this kind, with `code` if it carries one.
    fn sample(self, to: &str, code: &str) -> Mail {
        match self {
            MailKindName::PasswordReset => Mail::password_reset(to, code),
            MailKindName::EmailVerification => Mail::email_verification(to, code),
            MailKindName::AlreadyRegistered => Mail::already_registered(to),
            MailKindName::PasswordChanged => Mail::password_changed(to),
            MailKindName::TwoFactorEnabled => Mail::two_factor_enabled(to),
            MailKindName::TwoFactorDisabled => Mail::two_factor_disabled(to),
            MailKindName::TotpReused => Mail::totp_reused(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_render_every_kind() {
        let templates = MailTemplates::new();
        for kind in MailKindName::ALL {
            let mail = kind.sample("ada@example.com", "c0de-<&>\"'");
            let rendered = templates.render(&mail).expect("renders");
            assert_eq!(rendered.subject, mail.subject);
            assert_eq!(rendered.text, mail.text, "{kind:?}");
            assert!(rendered.html.starts_with("<!DOCTYPE html>"), "{kind:?}");
            assert!(
                rendered
                    .html
                    .contains(&format!("<title>{}</title>", mail.subject))
            );
            if mail.kind.code().is_some() {
                // Escaped in the HTML, as written in the text.
                assert!(rendered.text.contains("c0de-<&>\"'"), "{kind:?}");
                assert!(
                    rendered.html.contains("c0de-&lt;&amp;&gt;&quot;&#x27;"),
                    "{}",
                    rendered.html
                );
                assert!(!rendered.html.contains("c0de-<"), "{kind:?}");
            } else {
                assert!(!rendered.html.contains("c0de"), "{kind:?}");
            }
        }
    }

    #[test]
    fn the_html_escapes_every_value_and_the_text_none() {
        let templates = MailTemplates::new()
            .set(
                MailKindName::PasswordChanged,
                "Changed for {{ to }}",
                "To {{ to }}\n",
                "<p>To {{ to }}</p>",
            )
            .expect("valid");
        let rendered = templates
            .render(&Mail::password_changed("<b>ada</b>@example.com"))
            .expect("render");
        assert_eq!(rendered.subject, "Changed for <b>ada</b>@example.com");
        assert_eq!(rendered.text, "To <b>ada</b>@example.com\n");
        assert_eq!(
            rendered.html,
            "<p>To &lt;b&gt;ada&lt;&#x2f;b&gt;@example.com</p>"
        );
    }

    #[test]
    fn an_override_changes_its_kind_only() {
        let templates = MailTemplates::new()
            .set(
                MailKindName::PasswordReset,
                "{{ subject }}  for\n{{ to }}",
                "{{ text }}-- \nThe Blog\n",
                "<p>{{ code }}</p>",
            )
            .expect("valid");
        let reset = Mail::password_reset("ada@example.com", "r3set");
        let rendered = templates.render(&reset).expect("render");
        assert_eq!(rendered.subject, "Reset your password for ada@example.com");
        assert_eq!(rendered.text, format!("{}-- \nThe Blog\n", reset.text));
        assert_eq!(rendered.html, "<p>r3set</p>");
        let verify = Mail::email_verification("ada@example.com", "v3rify");
        assert_eq!(
            templates.render(&verify).expect("render"),
            MailTemplates::new().render(&verify).expect("render")
        );
    }

    #[test]
    fn a_bad_override_is_refused_with_its_template() {
        let refusals = [
            // Does not compile.
            (
                MailKindName::PasswordReset,
                ["{{ subject", "{{ code }}", "{{ code }}"],
                "password_reset.subject",
            ),
            // A variable this kind does not have.
            (
                MailKindName::PasswordChanged,
                ["{{ subject }}", "{{ code }}", "<p></p>"],
                "password_changed.txt",
            ),
            (
                MailKindName::EmailVerification,
                ["{{ subject }}", "{{ code }}", "{{ user.name }}"],
                "email_verification.html",
            ),
            // Forgets the code.
            (
                MailKindName::EmailVerification,
                ["{{ subject }}", "Welcome!", "<p>{{ code }}</p>"],
                "email_verification.txt",
            ),
            (
                MailKindName::PasswordReset,
                ["{{ subject }}", "{{ code }}", "<p>Welcome</p>"],
                "password_reset.html",
            ),
        ];
        for (kind, [subject, text, html], template) in refusals {
            let err = MailTemplates::new()
                .set(kind, subject, text, html)
                .expect_err(template);
            assert_eq!(err.template(), template, "{err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("mail template `{template}`: ")),
                "{err}"
            );
        }
    }

    #[test]
    fn default_html_is_a_valid_override() {
        for kind in MailKindName::ALL {
            let templates = MailTemplates::new()
                .set(
                    kind,
                    "{{ subject }}",
                    "{{ text }}",
                    &MailTemplates::default_html(kind),
                )
                .expect("valid");
            let mail = kind.sample("ada@example.com", "c0de");
            assert_eq!(
                templates.render(&mail).expect("render"),
                MailTemplates::new().render(&mail).expect("render")
            );
        }
    }
}
