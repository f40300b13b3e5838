//! Graceful shutdown with requests in flight, and reuseport workers sharing one port.

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::time::Duration;

use chopin::Config;

use super::raw::Conn;
use super::{spawn, spawn_default};

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_then_stops() {
    let app = spawn_default().await;
    let addr = app.addr();

    // One request in flight in a handler, idle keep-alive connections on both paths.
    let mut busy = Conn::open(addr).await;
    busy.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut idle = Conn::open(addr).await;
    assert_eq!(
        idle.roundtrip(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .status,
        200
    );
    let mut idle_on_hyper = Conn::open(addr).await;
    let res = idle_on_hyper
        .roundtrip(b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    assert_eq!(res.text(), "user 1");
    tokio::time::sleep(Duration::from_millis(100)).await;

    let stopping = tokio::spawn(app.shutdown());
    let res = busy.response(false).await;
    assert_eq!((res.status, res.text()), (200, "slow done"));
    assert!(busy.is_closed().await, "closed after its last response");
    assert!(idle.is_closed().await, "idle connections are closed");
    assert!(
        idle_on_hyper.is_closed().await,
        "idle hyper connections are closed"
    );
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("shutdown completes")
        .expect("shutdown task");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn shutdown_gives_up_on_requests_after_the_shutdown_timeout() {
    let config = Config {
        shutdown_timeout: Duration::from_millis(100),
        ..Config::default()
    };
    let app = spawn(config).await;
    let mut busy = Conn::open(app.addr()).await;
    busy.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = std::time::Instant::now();
    let stopped = app.stop().await;
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(350),
        "waited {took:?} for a 400 ms handler"
    );
    // The client got no answer: the process must not report success.
    match stopped {
        Err(chopin::Error::ShutdownCutOff { cut_off, timeout }) => {
            assert_eq!((cut_off, timeout), (1, Duration::from_millis(100)));
        }
        other => panic!("expected the shutdown to report 1 connection cut off, got {other:?}"),
    }
}

#[tokio::test]
async fn reuseport_workers_share_one_port() {
    let config = Config {
        reuseport: true,
        workers: NonZeroUsize::new(2).expect("non-zero"),
        ..Config::default()
    };
    let app = spawn(config).await;
    let mut threads = BTreeSet::new();
    // The kernel spreads connections over the two sockets by their addresses: 64 connections
    // all landing on one worker has probability 2^-63.
    for _ in 0..64 {
        let mut c = Conn::open(app.addr()).await;
        assert_eq!(
            c.roundtrip(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .text(),
            "Hello, World!"
        );
        let res = c
            .roundtrip(b"GET /thread HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        threads.insert(res.text().to_owned());
    }
    assert_eq!(
        threads.into_iter().collect::<Vec<_>>(),
        ["chopin-worker-0", "chopin-worker-1"]
    );
    app.shutdown().await;
}
