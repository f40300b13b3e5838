//! A test client for applications: the app runs on an ephemeral port and every request crosses a
//! real socket, so a test exercises the fast path and the hyper path exactly as a client would.
//!
//! ```
//! use chopin_runtime::{App, Config, FastRoute, testing::TestApp};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::with_config(Config::default())
//!     .fast_route(FastRoute::text("/health", "OK"));
//! let app = TestApp::spawn(app).await;
//! let res = app.get("/health").send().await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.text(), "OK");
//! # }
//! ```
//!
//! The helpers panic with a message on failure, as test assertions do.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::error::Error;
use crate::module::ModuleList;

/// A running application, listening on `127.0.0.1` and a free port.
///
/// It is a [`TestClient`] of its own address (`app.get("/health").send().await`). Dropping it
/// shuts the application down; [`TestApp::shutdown`] also waits for that to finish.
pub struct TestApp {
    client: TestClient,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), Error>>>,
}

impl TestApp {
    /// Starts `app` on `127.0.0.1` with a free port, keeping the rest of its configuration.
    ///
    /// # Panics
    /// If the application does not start (invalid routes, no socket).
    pub async fn spawn<S, M>(mut app: App<S, M>) -> TestApp
    where
        S: Clone + Send + Sync + 'static,
        M: ModuleList,
    {
        let config = app.config_mut();
        config.host = IpAddr::V4(Ipv4Addr::LOCALHOST);
        config.port = 0;
        let app = match app.connect().await {
            Ok(app) => app,
            Err(e) => panic!("TestApp: the application did not start: {e}"),
        };
        let server = match app.bind() {
            Ok(server) => server,
            Err(e) => panic!("TestApp: the application did not start: {e}"),
        };
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        TestApp {
            client: TestClient::new(addr),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Shuts the application down gracefully and waits until it has stopped.
    ///
    /// # Panics
    /// If the server failed while running, or its shutdown cut requests off.
    pub async fn shutdown(self) {
        if let Err(e) = self.stop().await {
            panic!("TestApp: the server failed: {e}");
        }
    }

    /// Shuts the application down gracefully and waits until it has stopped: what
    /// [`Server::run`](crate::Server::run) returned, as a `main` would see it.
    ///
    /// # Errors
    /// [`Error::ShutdownCutOff`] when requests were still in flight after
    /// `SHUTDOWN_TIMEOUT_MS`; any other error the server stopped with.
    ///
    /// # Panics
    /// If the server's task panicked.
    pub async fn stop(mut self) -> Result<(), Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => match task.await {
                Ok(result) => result,
                Err(e) => panic!("TestApp: the server task failed: {e}"),
            },
            None => Ok(()),
        }
    }
}

impl std::ops::Deref for TestApp {
    type Target = TestClient;

    fn deref(&self) -> &TestClient {
        &self.client
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Sends real HTTP/1.1 requests to a server at one address: a [`TestApp`]'s, or that of an
/// application running as its own process.
///
/// ```no_run
/// use chopin_runtime::testing::TestClient;
///
/// # async fn run() {
/// let server = TestClient::new("127.0.0.1:3000".parse().unwrap());
/// let res = server.get("/health").send().await;
/// assert_eq!(res.status(), 200);
/// # }
/// ```
#[derive(Clone)]
pub struct TestClient {
    addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl TestClient {
    /// A client of the server at `addr`. It connects when a request is sent.
    pub fn new(addr: SocketAddr) -> TestClient {
        TestClient {
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// The address requests go to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDRESS` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request with any method.
    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        TestRequest {
            client: self.client.clone(),
            method,
            url: self.url(path),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A `GET` request.
    pub fn get(&self, path: &str) -> TestRequest {
        self.request(Method::GET, path)
    }

    /// A `HEAD` request.
    pub fn head(&self, path: &str) -> TestRequest {
        self.request(Method::HEAD, path)
    }

    /// A `POST` request.
    pub fn post(&self, path: &str) -> TestRequest {
        self.request(Method::POST, path)
    }

    /// A `PUT` request.
    pub fn put(&self, path: &str) -> TestRequest {
        self.request(Method::PUT, path)
    }

    /// A `PATCH` request.
    pub fn patch(&self, path: &str) -> TestRequest {
        self.request(Method::PATCH, path)
    }

    /// A `DELETE` request.
    pub fn delete(&self, path: &str) -> TestRequest {
        self.request(Method::DELETE, path)
    }
}

/// A request being built; [`TestRequest::send`] sends it.
#[must_use = "a request does nothing until it is sent"]
pub struct TestRequest {
    client: Client<HttpConnector, Full<Bytes>>,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Bytes,
}

impl TestRequest {
    /// Adds a header.
    ///
    /// # Panics
    /// If the name or value is not valid HTTP.
    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            panic!("TestRequest: `{name}: {value}` is not a valid header");
        };
        self.headers.append(n, v);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> TestRequest {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and its content type.
    ///
    /// # Panics
    /// If `value` cannot be serialised.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> TestRequest {
        match serde_json::to_vec(value) {
            Ok(body) => self.body = Bytes::from(body),
            Err(e) => panic!("TestRequest: cannot serialise the JSON body: {e}"),
        }
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self
    }

    /// Sends the request and reads the whole response.
    ///
    /// # Panics
    /// If the request cannot be sent or the response cannot be read.
    pub async fn send(self) -> TestResponse {
        let mut req = Request::new(Full::new(self.body));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = match self.url.parse() {
            Ok(uri) => uri,
            Err(e) => panic!("TestRequest: `{}` is not a valid URL: {e}", self.url),
        };
        *req.headers_mut() = self.headers;
        let res = match self.client.request(req).await {
            Ok(res) => res,
            Err(e) => panic!("TestRequest: {} {} failed: {e:?}", self.method, self.url),
        };
        let (parts, body) = res.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => panic!(
                "TestRequest: reading the body of {} {} failed: {e}",
                self.method, self.url
            ),
        };
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// A complete response.
#[derive(Debug)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// All headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text.
    ///
    /// # Panics
    /// If the body is not UTF-8.
    pub fn text(&self) -> &str {
        match std::str::from_utf8(&self.body) {
            Ok(text) => text,
            Err(e) => panic!("TestResponse: the body is not UTF-8: {e}"),
        }
    }

    /// The body parsed as JSON.
    ///
    /// # Panics
    /// If the body is not JSON of that shape; the message shows the body.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        match serde_json::from_slice(&self.body) {
            Ok(value) => value,
            Err(e) => panic!(
                "TestResponse: the body is not the expected JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            ),
        }
    }
}
