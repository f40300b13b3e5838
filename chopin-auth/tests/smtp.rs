//! `SmtpMailer` against a real SMTP server: Python's aiosmtpd, which each test starts on a free
//! port and which writes every message it accepts to a directory.
//!
//! Ignored by default, since it needs a Python with aiosmtpd:
//!
//! ```text
//! python3 -m venv ~/.cache/chopin-ci-smtp-venv
//! ~/.cache/chopin-ci-smtp-venv/bin/pip install aiosmtpd==1.4.6
//! CHOPIN_TEST_PYTHON=~/.cache/chopin-ci-smtp-venv/bin/python \
//!     cargo test -p chopin-auth --test smtp -- --include-ignored
//! ```
//!
//! `.ci/run` does this.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::io::{BufRead as _, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use chopin_auth::mail::{Mail, MailConfig, MailKindName, Mailer, SmtpMailer};
use chopin_runtime::Config;

/// The server: one handler writing each message to `<dir>/NNNN.eml` (whole files only, by a
/// rename), AUTH PLAIN/LOGIN without TLS for `mailer` / `right p@ss:word` when the second
/// argument is `auth`. It prints its port, and exits when its standard input closes, so that
/// it never outlives the test.
const SERVER: &str = r#"
import asyncio, os, socket, sys, threading
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

out = sys.argv[1]
require_auth = len(sys.argv) > 2 and sys.argv[2] == "auth"

class Handler:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        path = os.path.join(out, "%04d.eml" % Handler.count)
        with open(path + ".part", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".part", path)
        return "250 OK"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer"
          and auth_data.password == b"right p@ss:word")
    # `handled=False`: aiosmtpd answers 535 itself.
    return AuthResult(success=ok, handled=False)

def factory():
    if require_auth:
        return SMTP(Handler(), hostname="localhost", authenticator=authenticator,
                    auth_required=True, auth_require_tls=False)
    return SMTP(Handler(), hostname="localhost")

def watch_stdin():
    sys.stdin.read()
    os._exit(0)

async def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    await asyncio.get_running_loop().create_server(factory, sock=sock)
    print(sock.getsockname()[1], flush=True)
    threading.Thread(target=watch_stdin, daemon=True).start()
    await asyncio.Event().wait()

asyncio.run(main())
"#;

/// A running aiosmtpd and the directory it writes to.
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Server {
    fn start(auth: bool) -> Server {
        let python = std::env::var("CHOPIN_TEST_PYTHON").unwrap_or_else(|_| {
            panic!(
                "CHOPIN_TEST_PYTHON is not set: these tests need a Python with aiosmtpd, e.g. \
                 `python3 -m venv ~/.cache/chopin-ci-smtp-venv && \
                 ~/.cache/chopin-ci-smtp-venv/bin/pip install aiosmtpd==1.4.6`, then \
                 `CHOPIN_TEST_PYTHON=~/.cache/chopin-ci-smtp-venv/bin/python cargo test -p \
                 chopin-auth --test smtp -- --include-ignored`"
            )
        });
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "chopin-smtp-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut child = Command::new(&python)
            .arg("-c")
            .arg(SERVER)
            .arg(&dir)
            .arg(if auth { "auth" } else { "open" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run CHOPIN_TEST_PYTHON={python}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            panic!("aiosmtpd did not start (is it installed in {python}?): {line:?}")
        });
        Server { child, port, dir }
    }

    /// Waits up to 10 seconds for the `n`th message, and returns every one so far.
    async fn messages(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect();
            if files.len() >= n {
                files.sort();
                return files
                    .iter()
                    .map(|f| String::from_utf8(std::fs::read(f).unwrap()).unwrap())
                    .collect();
            }
            assert!(Instant::now() < deadline, "no message {n} within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Everything logged by any test of this binary.
fn log() -> &'static Mutex<Vec<u8>> {
    static LOG: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| {
        struct Capture;
        impl Write for Capture {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                log().lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        tracing_subscriber::fmt()
            .with_writer(|| Capture)
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .init();
        Mutex::new(Vec::new())
    })
}

/// The lines logged so far that mention `needle`.
fn logged(needle: &str) -> Vec<String> {
    String::from_utf8_lossy(&log().lock().unwrap())
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// Waits up to 10 seconds for a line with both `needle` and `what`.
async fn wait_logged(needle: &str, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(line) = logged(needle).into_iter().find(|l| l.contains(what)) {
            return line;
        }
        assert!(
            Instant::now() < deadline,
            "no {what:?} about {needle}: {:#?}",
            logged(needle)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn mailer(url: String) -> SmtpMailer {
    let config = Config::from_lookup(move |name| match name {
        "SMTP_URL" => Some(url.clone()),
        "MAIL_FROM" => Some("The Blog <noreply@blog.example>".to_owned()),
        "SMTP_TIMEOUT_MS" => Some("2000".to_owned()),
        _ => None,
    })
    .unwrap();
    SmtpMailer::from_config(&config.section::<MailConfig>().unwrap())
        .unwrap()
        .retries(3, Duration::from_millis(20))
}

/// A message's header and, decoded from quoted-printable, its text and HTML parts.
fn parts(message: &str) -> (String, String, String) {
    let (head, body) = message.split_once("\r\n\r\n").unwrap();
    let boundary = head.split("boundary=\"").nth(1).unwrap();
    let boundary = format!("\r\n--{}", &boundary[..boundary.find('"').unwrap()]);
    let part = |content_type: &str| -> String {
        let start = body
            .find(&format!("Content-Type: {content_type}"))
            .unwrap_or_else(|| panic!("no {content_type} part in {body}"));
        let part = &body[start..];
        let (part_head, rest) = part.split_once("\r\n\r\n").unwrap();
        let content = &rest[..rest.find(&boundary).unwrap()];
        assert!(!part_head.contains("base64"), "{part_head}");
        let content = if part_head.contains("quoted-printable") {
            decode_qp(content)
        } else {
            content.to_owned()
        };
        content.replace("\r\n", "\n")
    };
    (
        head.to_owned(),
        part("text/plain; charset=utf-8"),
        part("text/html; charset=utf-8"),
    )
}

fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
#[ignore = "needs aiosmtpd: CHOPIN_TEST_PYTHON=… cargo test -p chopin-auth --test smtp -- --include-ignored"]
async fn delivers_multipart_text_and_html() {
    let server = Server::start(false);
    let mailer = mailer(format!("smtp://127.0.0.1:{}?tls=none", server.port))
        .with_template(
            MailKindName::PasswordChanged,
            "Your Blog password changed",
            "{{ text }}-- \nThe Blog\n",
            "<p>Changed, {{ to }} & co.</p>",
        )
        .unwrap();
    let code = "Vf3-c0de_9Zq";
    mailer
        .send(&Mail::email_verification("ada@users.example", code))
        .await
        .unwrap();
    mailer
        .send(&Mail::password_changed("ada@users.example"))
        .await
        .unwrap();
    let messages = server.messages(2).await;

    let (head, text, html) = parts(&messages[0]);
    for header in [
        "From: \"The Blog\" <noreply@blog.example>",
        "To: ada@users.example",
        "Subject: Verify your email address",
        "Date: ",
        "@blog.example>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative;",
    ] {
        assert!(head.contains(header), "{header} in {head}");
    }
    assert!(head.contains("Message-ID: <"), "{head}");
    assert_eq!(
        text,
        Mail::email_verification("ada@users.example", code).text
    );
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(&format!(">{code}</p>")), "{html}");
    // The text part comes first: clients show the last part they can.
    assert!(messages[0].find("text/plain") < messages[0].find("text/html"));

    let (head, text, html) = parts(&messages[1]);
    assert!(
        head.contains("Subject: Your Blog password changed"),
        "{head}"
    );
    assert!(text.ends_with("-- \nThe Blog\n"), "{text:?}");
    assert_eq!(html, "<p>Changed, ada@users.example & co.</p>");
}

#[tokio::test]
#[ignore = "needs aiosmtpd: CHOPIN_TEST_PYTHON=… cargo test -p chopin-auth --test smtp -- --include-ignored"]
async fn an_unreachable_relay_is_retried_then_logged_by_domain() {
    // A port that was free a moment ago and has no listener now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    log();
    let mailer = mailer(format!(
        "smtp://mailer:hunter2-pw@127.0.0.1:{port}?tls=none"
    ));
    let started = Instant::now();
    mailer
        .send(&Mail::password_reset("ada@closed.example", "s3cret-c0de"))
        .await
        .unwrap();
    // Queued, not sent: the request does not wait for the relay.
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );

    let failure = wait_logged("closed.example", "mail not delivered").await;
    assert!(failure.contains("ERROR"), "{failure}");
    assert!(failure.contains("attempts=3"), "{failure}");
    assert!(failure.contains("kind=password_reset"), "{failure}");
    let retries: Vec<String> = logged("closed.example")
        .into_iter()
        .filter(|l| l.contains("retrying"))
        .collect();
    assert_eq!(retries.len(), 2, "{retries:#?}");
    for line in logged("") {
        for secret in ["ada@closed.example", "s3cret-c0de", "hunter2"] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
    }
}

#[tokio::test]
#[ignore = "needs aiosmtpd: CHOPIN_TEST_PYTHON=… cargo test -p chopin-auth --test smtp -- --include-ignored"]
async fn authenticates_and_logs_a_wrong_password_once_without_it() {
    let server = Server::start(true);
    log();
    // Percent-decoded: `right p@ss:word`.
    let right = mailer(format!(
        "smtp://mailer:right%20p%40ss%3Aword@127.0.0.1:{}?tls=none",
        server.port
    ));
    right
        .send(&Mail::password_reset("bob@auth-ok.example", "r1ght-c0de"))
        .await
        .unwrap();
    let messages = server.messages(1).await;
    assert!(messages[0].contains("r1ght-c0de"), "{}", messages[0]);

    let wrong = mailer(format!(
        "smtp://mailer:wr0ng-pw@127.0.0.1:{}?tls=none",
        server.port
    ));
    wrong
        .send(&Mail::password_reset("bob@auth-bad.example", "wr0ng-c0de"))
        .await
        .unwrap();
    let failure = wait_logged("auth-bad.example", "mail not delivered").await;
    // A 5xx answer is not retried.
    assert!(failure.contains("permanent=true"), "{failure}");
    assert!(failure.contains("attempts=1"), "{failure}");
    assert!(
        logged("auth-bad.example")
            .iter()
            .all(|l| !l.contains("retrying"))
    );
    for line in logged("") {
        for secret in ["wr0ng-pw", "wr0ng-c0de", "bob@auth-bad.example", "p@ss"] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
    }
    assert_eq!(server.messages(1).await.len(), 1);
}
