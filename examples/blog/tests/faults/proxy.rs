//! A TCP proxy between the application and a server (PostgreSQL, Redis) that can be made to fail
//! as networks and servers do.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;

/// What the proxy does with connections, new and open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Forwards both ways.
    Forward,
    /// Nothing listens: a new connection is refused; open ones are reset.
    Refuse,
    /// Accepts a new connection and resets it at once; open ones are reset.
    Reset,
    /// Accepts and reads, and forwards nothing either way: a server or a network that hangs.
    /// Connections open through it are reset when the mode changes again.
    Hang,
}

/// A proxy on `127.0.0.1` to one upstream server.
pub(crate) struct Proxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
}

impl Proxy {
    /// Starts forwarding to `upstream`, on a free port.
    pub(crate) async fn start(upstream: SocketAddr) -> Proxy {
        let listener = bind("127.0.0.1:0".parse().expect("an address"));
        let addr = listener.local_addr().expect("the proxy's address");
        let (mode, watching) = watch::channel(Mode::Forward);
        tokio::spawn(accept(Some(listener), addr, upstream, watching));
        Proxy { addr, mode }
    }

    /// Where the application connects.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Fails, or forwards again, from now on.
    pub(crate) fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

fn bind(addr: SocketAddr) -> tokio::net::TcpListener {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind(addr).expect("the proxy's port is free");
    socket.listen(128).expect("listen")
}

async fn accept(
    mut listener: Option<tokio::net::TcpListener>,
    addr: SocketAddr,
    upstream: SocketAddr,
    mut mode: watch::Receiver<Mode>,
) {
    loop {
        let now = *mode.borrow_and_update();
        if now == Mode::Refuse {
            // Closing the listening socket: the kernel refuses connections to the port.
            listener = None;
        } else if listener.is_none() {
            listener = Some(bind(addr));
        }
        let Some(open) = &listener else {
            if mode.changed().await.is_err() {
                return;
            }
            continue;
        };
        tokio::select! {
            changed = mode.changed() => if changed.is_err() { return },
            accepted = open.accept() => {
                let Ok((client, _)) = accepted else { continue };
                match now {
                    Mode::Reset => reset(&client),
                    Mode::Forward | Mode::Hang => {
                        tokio::spawn(connection(client, upstream, mode.clone(), now));
                    }
                    Mode::Refuse => {}
                }
            }
        }
    }
}

/// Closes `stream` with a reset rather than a FIN.
fn reset(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}

async fn connection(
    mut client: TcpStream,
    upstream: SocketAddr,
    mut mode: watch::Receiver<Mode>,
    started: Mode,
) {
    if started == Mode::Hang {
        hang(&mut client, &mut mode).await;
        reset(&client);
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        reset(&client);
        return;
    };
    let (mut up, mut down) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    loop {
        tokio::select! {
            read = client.read(&mut up) => match read {
                Ok(n) if n > 0 => if server.write_all(&up[..n]).await.is_err() { break },
                _ => break,
            },
            read = server.read(&mut down) => match read {
                Ok(n) if n > 0 => if client.write_all(&down[..n]).await.is_err() { break },
                _ => break,
            },
            changed = mode.changed() => {
                if changed.is_err() {
                    break;
                }
                let now = *mode.borrow_and_update();
                if now == Mode::Forward {
                    continue;
                }
                if now == Mode::Hang {
                    hang(&mut client, &mut mode).await;
                }
                reset(&client);
                reset(&server);
                return;
            }
        }
    }
}

/// Reads what `client` sends and forwards none of it, until the mode changes.
async fn hang(client: &mut TcpStream, mode: &mut watch::Receiver<Mode>) {
    let mut sink = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            read = client.read(&mut sink) => if !matches!(read, Ok(n) if n > 0) {
                // The client gave up: wait for the mode to change, without a busy loop.
                let _ = tokio::time::timeout(Duration::from_secs(60), mode.changed()).await;
                return;
            },
            changed = mode.changed() => if changed.is_err() || *mode.borrow() != Mode::Hang {
                return;
            },
        }
    }
}
