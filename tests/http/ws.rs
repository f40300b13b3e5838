//! WebSockets over a real socket: a fast route answered from the socket buffer, then, on the same
//! connection, the upgrade handed to hyper and axum, then messages both ways and a close. The
//! handler's time limit does not cut an open socket, and shutdown does not wait for one.

use std::time::Duration;

use chopin::axum::response::Response;
use chopin::prelude::*;
use chopin::testing::TestApp;
use chopin::ws::{Message, WebSocket, WebSocketUpgrade};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Client;

struct Chat;

#[chopin::module(name = "chat")]
impl Chat {
    #[fast_route("/health", text)]
    const HEALTH: &'static str = "OK";

    /// Greets, then answers every text message in capitals.
    #[get("/chat")]
    async fn chat(ws: WebSocketUpgrade) -> Response {
        ws.on_upgrade(shout)
    }
}

async fn shout(mut socket: WebSocket) {
    if socket.send(Message::text("welcome")).await.is_err() {
        return;
    }
    // A close from the client is answered by the next `recv`, which then ends the loop: returning
    // on `Message::Close` would drop the connection before the answer is sent.
    while let Some(Ok(message)) = socket.recv().await {
        let Message::Text(text) = message else {
            continue;
        };
        let reply = Message::text(text.to_uppercase());
        if socket.send(reply).await.is_err() {
            return;
        }
    }
}

/// The application with `HANDLER_TIMEOUT_MS=100` and `SHUTDOWN_TIMEOUT_MS=500`.
async fn spawn() -> TestApp {
    let config = Config::from_lookup(|name| match name {
        "HANDLER_TIMEOUT_MS" => Some("100".to_owned()),
        "SHUTDOWN_TIMEOUT_MS" => Some("500".to_owned()),
        _ => None,
    })
    .expect("a valid configuration");
    TestApp::spawn(App::with_config(config).mount_module(Chat)).await
}

type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

/// Connects, asks for the fast route `/health` and reads its answer whole, then upgrades the
/// same connection at `/chat`.
async fn connect(app: &TestApp) -> Socket {
    let mut stream = TcpStream::connect(app.addr()).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    let mut answer = Vec::new();
    while !(answer.ends_with(b"\r\n\r\nOK")) {
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let (socket, response) = tokio_tungstenite::client_async("ws://x/chat", stream)
        .await
        .expect("the upgrade");
    assert_eq!(response.status(), 101);
    socket
}

async fn next_text(socket: &mut Socket) -> String {
    match socket.next().await {
        Some(Ok(Client::Text(text))) => text.as_str().to_owned(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

#[tokio::test]
async fn a_connection_moves_from_the_fast_path_to_a_websocket_that_outlives_the_handler_timeout() {
    let app = spawn().await;
    let mut socket = connect(&app).await;
    assert_eq!(next_text(&mut socket).await, "welcome");
    socket.send(Client::text("hello")).await.expect("send");
    assert_eq!(next_text(&mut socket).await, "HELLO");

    // Three times HANDLER_TIMEOUT_MS: the handler answered 101 long ago, and the socket's task
    // is not the handler's.
    tokio::time::sleep(Duration::from_millis(300)).await;
    socket
        .send(Client::text("still there?"))
        .await
        .expect("send");
    assert_eq!(next_text(&mut socket).await, "STILL THERE?");

    socket.close(None).await.expect("close");
    match socket.next().await {
        Some(Ok(Client::Close(_))) | None => {}
        other => panic!("expected the close to be answered, got {other:?}"),
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_request_that_is_not_a_handshake_is_refused_before_the_handler() {
    let app = spawn().await;
    let res = app.get("/chat").send().await;
    assert_eq!(res.status(), 400, "{}", res.text());
}

#[tokio::test]
async fn shutdown_does_not_wait_for_an_open_websocket() {
    let app = spawn().await;
    let mut socket = connect(&app).await;
    assert_eq!(next_text(&mut socket).await, "welcome");
    // The upgraded connection is no longer a request in flight: the server stops at once and
    // reports nothing cut off.
    let stopped = tokio::time::timeout(Duration::from_secs(2), app.stop()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "the server did not stop cleanly: {stopped:?}"
    );
}

#[test]
fn the_route_is_described_as_switching_protocols() {
    let spec = serde_json::to_value(
        App::with_config(Config::default())
            .mount_module(Chat)
            .openapi(),
    )
    .expect("JSON");
    let responses = &spec["paths"]["/chat"]["get"]["responses"];
    let statuses: Vec<&String> = responses
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(statuses, ["101", "400", "426"], "{responses:#}");
}
