//! The blog as its README runs it: the built binary, in an empty directory, with nothing but a
//! port and a log level set. It migrates its new SQLite file, says where it serves, serves its
//! reference and description, and a reader signs up (the code from the mail it prints), signs
//! in, writes a post with the token and reads it back, attaches a picture to it and downloads it,
//! over real HTTP; SIGTERM stops it with 0.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chopin::testing::TestClient;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The running binary and the lines of its standard output, as they come.
struct Blog {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl Blog {
    fn start(dir: &std::path::Path) -> Blog {
        Blog::start_with(dir, &[])
    }

    /// The blog, with these variables set besides.
    fn start_with(dir: &std::path::Path, vars: &[(&str, &str)]) -> Blog {
        let mut child = Command::new(env!("CARGO_BIN_EXE_blog"))
            .current_dir(dir)
            .env_clear()
            .env("PORT", "0")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the blog");
        // The log on standard error, the development mailer's mail on standard output: each
        // stream in its order, both in one channel.
        let (tx, lines) = mpsc::unbounded_channel();
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        for stream in [stdout, stderr] {
            let stream = stream.expect("a piped stream");
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Blog {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line of output, without the log's timestamp and level.
    async fn line(&mut self) -> String {
        let next = tokio::time::timeout(Duration::from_secs(60), self.lines.recv()).await;
        let Ok(Some(line)) = next else {
            panic!(
                "the blog stopped printing; it printed:\n{}",
                self.seen.join("\n")
            );
        };
        self.seen.push(line.clone());
        match line.split_once(" chopin_") {
            Some((_, message)) => message.split_once(": ").map_or(message, |m| m.1).to_owned(),
            None => line,
        }
    }

    /// Reads output until a line starts with `prefix`: the rest of that line.
    async fn until(&mut self, prefix: &str) -> String {
        loop {
            if let Some(rest) = self.line().await.strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
    }
}

impl Drop for Blog {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test]
async fn the_blog_migrates_serves_its_docs_and_a_reader_signs_up_and_posts() {
    let dir = std::env::temp_dir().join(format!("chopin-blog-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut blog = Blog::start(&dir);

    assert_eq!(blog.until("migrate: ").await, "applied auth/0001_initial");
    assert_eq!(blog.until("migrate: ").await, "applied app/0001_initial");
    let listening = blog.until("listening on http://").await;
    let addr = listening.split_once(' ').expect("an address").0.to_owned();
    assert_eq!(
        blog.line().await,
        format!("API description at http://{addr}/openapi.json")
    );
    assert_eq!(
        blog.line().await,
        format!("API reference at http://{addr}/docs")
    );
    assert!(dir.join("chopin.db").exists(), "the default database file");
    let server = TestClient::new(addr.parse().expect("a socket address"));

    let health = server.get("/health").send().await;
    assert_eq!((health.status().as_u16(), health.text()), (200, "ok"));

    let docs = server.get("/docs").send().await;
    assert_eq!(docs.status(), 200);
    assert_eq!(
        docs.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(docs.text().contains("/openapi.json"), "{}", docs.text());

    let spec = server.get("/openapi.json").send().await.json::<Value>();
    assert_eq!(spec["info"]["title"], "blog");
    for path in [
        "/posts",
        "/posts/{id}",
        "/auth/signup",
        "/auth/login",
        "/health",
    ] {
        assert!(spec["paths"].get(path).is_some(), "{path} is not described");
    }

    let credentials = json!({"email": "ada@example.com", "password": "correct horse battery"});
    let signup = server.post("/auth/signup").json(&credentials).send().await;
    assert_eq!(signup.status(), 202, "{}", signup.text());
    // The development mailer prints the mail; the code is on the line after its introduction.
    assert_eq!(blog.until("To: ").await, "ada@example.com");
    blog.until("Your email verification code is:").await;
    let mut code = String::new();
    while code.is_empty() {
        code = blog.line().await.trim().to_owned();
    }
    let verified = server
        .post("/auth/verify-email/confirm")
        .json(&json!({ "token": code }))
        .send()
        .await;
    assert_eq!(verified.status(), 204, "{}", verified.text());

    let login = server.post("/auth/login").json(&credentials).send().await;
    assert_eq!(login.status(), 200, "{}", login.text());
    let token = login.json::<Value>()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();

    let post = json!({"title": "Hello", "body": "The first post."});
    let anonymous = server.post("/posts").json(&post).send().await;
    assert_eq!(anonymous.status(), 401);
    let created = server
        .post("/posts")
        .header("authorization", &format!("Bearer {token}"))
        .json(&post)
        .send()
        .await;
    assert_eq!(created.status(), 201, "{}", created.text());
    let location = created.header("location").expect("a location").to_owned();
    let created = created.json::<Value>();

    let read = server.get(&location).send().await;
    assert_eq!(read.status(), 200);
    let read = read.json::<Value>();
    assert_eq!(read, created);
    assert_eq!(
        (&read["title"], &read["body"]),
        (&post["title"], &post["body"])
    );

    // A picture attached to the post, as `curl -F file=@photo.png` sends it, lands in
    // `uploads/` (the default `STORAGE_URL`) under a random name, and comes back whole.
    let picture = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    let mut form =
        b"--x7\r\ncontent-disposition: form-data; name=\"file\"; filename=\"photo.png\"\r\n\r\n"
            .to_vec();
    form.extend_from_slice(picture);
    form.extend_from_slice(b"\r\n--x7--\r\n");
    let attached = server
        .post(&format!("{location}/attachments"))
        .header("authorization", &format!("Bearer {token}"))
        .header("content-type", "multipart/form-data; boundary=x7")
        .body(form)
        .send()
        .await;
    assert_eq!(attached.status(), 201, "{}", attached.text());
    let stored: Vec<_> = std::fs::read_dir(dir.join("uploads"))
        .expect("the uploads directory")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], "photo.png");
    let download = server
        .get(attached.header("location").expect("a location"))
        .send()
        .await;
    assert_eq!(download.header("content-type"), Some("image/png"));
    assert_eq!(download.bytes().as_ref(), picture);

    let status = Command::new("kill")
        .args(["-TERM", &blog.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert_eq!(blog.child.wait().expect("wait").code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends SIGTERM to the blog.
fn terminate(blog: &Blog) {
    let status = Command::new("kill")
        .args(["-TERM", &blog.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[tokio::test]
async fn sigterm_under_load_answers_every_request_already_sent_and_exits_0() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = std::env::temp_dir().join(format!("chopin-blog-sigterm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Every login hashes a password (an unknown email against a dummy hash): 50 of them keep the
    // server busy for a while, none turned away by the limits.
    let mut blog = Blog::start_with(
        &dir,
        &[
            ("SECURITY_RATE_LIMIT", "false"),
            ("SECURITY_LOCKOUT", "false"),
        ],
    );
    let listening = blog.until("listening on http://").await;
    let addr: std::net::SocketAddr = listening
        .split_once(' ')
        .expect("an address")
        .0
        .parse()
        .expect("a socket address");

    const CLIENTS: usize = 50;
    let body = r#"{"email":"nobody@example.com","password":"not the password"}"#;
    let request = format!(
        "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (sent_tx, mut sent) = mpsc::unbounded_channel::<()>();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (request, sent_tx) = (request.clone(), sent_tx.clone());
        clients.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream.write_all(request.as_bytes()).await.expect("send");
            let _ = sent_tx.send(());
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer).await;
            (answer, std::time::Instant::now())
        }));
    }
    for _ in 0..CLIENTS {
        sent.recv().await.expect("every request sent");
    }
    // Accepted by the server's loop, and most still hashing.
    tokio::time::sleep(Duration::from_millis(50)).await;
    terminate(&blog);
    let terminated = std::time::Instant::now();
    let (mut statuses, mut after) = (std::collections::BTreeMap::<String, usize>::new(), 0);
    for client in clients {
        let (answer, at) = client.await.expect("a client");
        after += usize::from(at > terminated);
        let status = answer.lines().next().unwrap_or("no answer").to_owned();
        *statuses.entry(status).or_default() += 1;
    }
    assert_eq!(
        statuses,
        std::collections::BTreeMap::from([("HTTP/1.1 401 Unauthorized".to_owned(), CLIENTS)]),
        "every request sent before SIGTERM is answered"
    );
    assert!(
        after > 0,
        "no request was still in flight at SIGTERM: the test proves nothing"
    );
    assert_eq!(blog.child.wait().expect("wait").code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_admin_createadmin_makes_signs_in_and_cannot_demote_themself() {
    use std::io::Write as _;
    let dir = std::env::temp_dir().join(format!("chopin-blog-admin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_blog"))
            .current_dir(&dir)
            .env_clear()
            .env("RUST_LOG", "off")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run blog");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.as_bytes()).expect("stdin");
        drop(input);
        child.wait_with_output().expect("blog's output")
    };
    assert!(run(&["migrate"], "").status.success());
    let made = run(
        &["createadmin", "root@example.com"],
        "an admin's long passphrase\n",
    );
    assert!(made.status.success(), "{made:?}");

    let mut blog = Blog::start(&dir);
    let listening = blog.until("listening on http://").await;
    let addr = listening.split_once(' ').expect("an address").0.to_owned();
    let server = TestClient::new(addr.parse().expect("a socket address"));
    let credentials =
        json!({"email": "root@example.com", "password": "an admin's long passphrase"});
    let login = server.post("/auth/login").json(&credentials).send().await;
    assert_eq!(login.status(), 200, "verified at once: {}", login.text());
    let login = login.json::<Value>();
    assert_eq!(login["user"]["role"], "admin");
    let token = login["access_token"].as_str().expect("a token").to_owned();
    let id = login["user"]["id"].as_i64().expect("an id");
    let demoted = server
        .put(&format!("/auth/users/{id}/role"))
        .header("authorization", &format!("Bearer {token}"))
        .json(&json!({"role": "user"}))
        .send()
        .await;
    assert_eq!(demoted.status(), 409, "the only admin: {}", demoted.text());
    let me = server
        .get("/auth/me")
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(me.json::<Value>()["role"], "admin");
    terminate(&blog);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn with_log_format_json_every_log_line_is_a_json_object_and_requests_are_logged() {
    let dir = std::env::temp_dir().join(format!("chopin-blog-json-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut blog = Blog::start_with(&dir, &[("LOG_FORMAT", "json")]);
    // Each line is one object; the address is in the message of the one that says so.
    let addr = loop {
        let line = blog.line().await;
        let event: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(event["timestamp"].is_string(), "{event}");
        let message = event["fields"]["message"].as_str().unwrap_or_default();
        if let Some(rest) = message.strip_prefix("listening on http://") {
            break rest.split_once(' ').expect("an address").0.to_owned();
        }
    };
    let server = TestClient::new(addr.parse().expect("a socket address"));
    let res = server
        .get("/posts")
        .header("x-request-id", "json-log-7")
        .send()
        .await;
    assert_eq!(res.status(), 200);
    let access = loop {
        let line = blog.line().await;
        let event: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if event["target"] == "chopin::access" {
            break event;
        }
    };
    let fields = &access["fields"];
    assert_eq!(fields["method"], "GET", "{access}");
    assert_eq!(fields["route"], "/posts", "{access}");
    assert_eq!(fields["status"], 200, "{access}");
    assert_eq!(fields["request_id"], "json-log-7", "{access}");
    assert!(fields["latency_ms"].is_f64(), "{access}");
    assert_eq!(access["level"], "INFO");
    // The request's span, with its id, is around the line.
    assert_eq!(access["spans"][0]["request_id"], "json-log-7", "{access}");
    terminate(&blog);

    let mut bad = Blog::start_with(&dir, &[("LOG_FORMAT", "xml")]);
    let said = bad.until("Error: ").await;
    assert!(said.contains("LOG_FORMAT"), "{said}");
}
