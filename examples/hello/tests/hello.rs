//! The hello application as its users see it: through the test client, and as a process that
//! reads its configuration, serves, and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use chopin::Config;
use chopin::testing::TestApp;

#[tokio::test]
async fn serves_its_fast_routes_and_its_dynamic_route() {
    let app = TestApp::spawn(hello::app(Config::default())).await;

    let res = app.get("/json").send().await;
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), r#"{"message":"Hello, World!"}"#);

    let res = app.get("/plaintext").send().await;
    assert_eq!(res.text(), "Hello, World!");

    let res = app.get("/api/status").send().await;
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(res.header("cache-control"), Some("public, max-age=5"));
    let res = app
        .request(chopin::http::Method::OPTIONS, "/api/status")
        .send()
        .await;
    assert_eq!(res.status(), 204);

    let res = app.get("/users/42").send().await;
    assert_eq!(
        res.json::<serde_json::Value>(),
        serde_json::json!({"id": 42, "name": "user 42"})
    );
    assert_eq!(app.get("/users/not-a-number").send().await.status(), 400);
}

/// Runs the built `hello` binary in a fresh directory with these variables.
fn hello(dir: &std::path::Path, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hello"));
    cmd.current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("chopin-hello-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn prints_its_routes_serves_and_exits_0_on_sigterm() {
    let dir = scratch_dir("sigterm");
    let mut child = hello(
        &dir,
        &[("PORT", "0"), ("REUSEPORT", "true"), ("WORKERS", "2")],
    )
    .spawn()
    .expect("start hello");
    let mut out = BufReader::new(child.stderr.take().expect("stderr"));

    let mut banner = Vec::new();
    let mut line = String::new();
    while banner.len() < 8 {
        line.clear();
        assert!(
            out.read_line(&mut line).expect("read stderr") > 0,
            "hello exited early: {banner:?}"
        );
        banner.push(
            line.trim_end()
                .split_once(": ")
                .map_or("", |(_, msg)| msg)
                .to_owned(),
        );
    }
    let addr = banner[0]
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split_once(' '))
        .map(|(addr, _)| addr.to_owned())
        .expect("a listening line");
    assert_eq!(
        banner,
        [
            format!("listening on http://{addr} (SO_REUSEPORT, 2 workers)"),
            format!("API description at http://{addr}/openapi.json"),
            format!("API reference at http://{addr}/docs"),
            "fast route /json [GET, HEAD] (27 bytes)".to_owned(),
            "fast route /plaintext [GET, HEAD] (13 bytes)".to_owned(),
            "fast route /api/status [GET, HEAD] +cors (15 bytes)".to_owned(),
            banner[6].clone(),
            banner[7].clone(),
        ]
    );
    // The description's length, then (where the `compression` feature is on: not for hello
    // alone, which is the kernel alone) its compressed variants', which move with its text.
    let description = hello::app(Config::default())
        .openapi()
        .to_json()
        .map_or(0, |s| s.len());
    assert!(
        banner[6].starts_with(&format!(
            "fast route /openapi.json [GET, HEAD] ({description} bytes"
        )),
        "{}",
        banner[6]
    );
    assert!(
        banner[7].starts_with("fast route /docs [GET, HEAD] ("),
        "{}",
        banner[7]
    );

    let mut conn = TcpStream::connect(&addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    conn.write_all(b"GET /users/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut response = String::new();
    conn.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response.ends_with(r#"{"id":7,"name":"user 7"}"#),
        "{response}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM");
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("stderr");
    assert!(rest.contains("shut down"), "{rest}");
}

#[test]
fn the_openapi_command_writes_the_description_it_serves() {
    let dir = scratch_dir("openapi");
    let expected = hello::app(Config::default())
        .openapi()
        .to_pretty_json()
        .expect("the description");

    let output = hello(&dir, &[]).arg("openapi").output().expect("run hello");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        expected.clone() + "\n"
    );

    let file = dir.join("openapi.json");
    let output = hello(&dir, &[])
        .args(["openapi", "--out", "openapi.json"])
        .output()
        .expect("run hello");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stdout.is_empty());
    let written = std::fs::read_to_string(&file).expect("the file");
    assert_eq!(written, expected + "\n");

    let output = hello(&dir, &[])
        .args(["openapi", "--out"])
        .output()
        .expect("run hello");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        "Error: `openapi --out`: expected `openapi` or `openapi --out FILE`"
    );
    let output = hello(&dir, &[])
        .args(["openapi", "--out", "no/such/dir/openapi.json"])
        .output()
        .expect("run hello");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        "Error: cannot write no/such/dir/openapi.json: No such file or directory (os error 2)"
    );
}

#[test]
fn a_bad_value_in_dot_env_stops_start_up_naming_the_variable() {
    let dir = scratch_dir("dotenv");
    std::fs::write(dir.join(".env"), "WORKERS=4\nREAD_TIMEOUT_MS=soon\n").expect("write .env");
    let output = hello(&dir, &[]).output().expect("run hello");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "Error: invalid value for `READ_TIMEOUT_MS`: `soon` (a duration in milliseconds, at least 1)"
    );
}

#[test]
fn the_routes_command_prints_the_route_table_without_serving() {
    let dir = scratch_dir("routes");
    let output = hello(&dir, &[]).arg("routes").output().expect("run hello");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "\
METHODS             PATH         HANDLER           MODULE  ACCESS  KIND
GET, HEAD           /json        Hello::JSON       hello   public  fast
GET, HEAD           /plaintext   Hello::PLAINTEXT  hello   public  fast
GET, HEAD, OPTIONS  /api/status  Hello::STATUS     hello   public  fast
GET, HEAD           /users/{id}  Hello::user       hello   public  dynamic
"
    );

    let output = hello(&dir, &[]).arg("migrat").output().expect("run hello");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        "Error: unknown command `migrat`: expected `serve` (the default), `routes` or `openapi [--out FILE]`"
    );
}
