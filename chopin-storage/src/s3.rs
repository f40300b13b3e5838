//! S3-compatible stores through object_store's S3 client on our own hyper connector: rustls on ring
//! with Mozilla's roots compiled in, so neither reqwest nor aws-lc-rs is built.

use std::error::Error as StdError;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{self, Client};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{
    ClientOptions, HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpRequestBody,
    HttpResponse, HttpResponseBody, HttpService,
};
use object_store::{BackoffConfig, RetryConfig};
use tokio::time::{Instant, Sleep};

/// Where and as whom to reach a bucket.
pub(crate) struct S3Settings<'a> {
    /// The bucket's name.
    pub(crate) bucket: &'a str,
    /// A base URL such as `http://127.0.0.1:9000` for MinIO-like stores; `None` means AWS.
    pub(crate) endpoint: Option<&'a str>,
    /// The region requests are signed for; `None` means `us-east-1`.
    pub(crate) region: Option<&'a str>,
    /// The access key's id.
    pub(crate) access_key_id: &'a str,
    /// The access key's secret.
    pub(crate) secret_access_key: &'a str,
    /// How long one request may wait for the store, and how long retries may go on.
    pub(crate) timeout: Duration,
}

/// Opens the bucket: path-style requests and plain http allowed when an endpoint is given
/// (MinIO-like), virtual-hosted https to AWS otherwise; region default us-east-1; a small retry
/// budget bounded by `timeout`.
pub(crate) fn open(s: &S3Settings<'_>) -> Result<AmazonS3, object_store::Error> {
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 3,
        retry_timeout: s.timeout,
    };
    let builder = AmazonS3Builder::new()
        .with_bucket_name(s.bucket)
        .with_region(s.region.unwrap_or("us-east-1"))
        .with_access_key_id(s.access_key_id)
        .with_secret_access_key(s.secret_access_key)
        .with_retry(retry)
        .with_http_connector(Connector {
            timeout: s.timeout,
            allow_http: s.endpoint.is_some(),
        });
    match s.endpoint {
        Some(endpoint) => builder.with_endpoint(endpoint),
        None => builder.with_virtual_hosted_style_request(true),
    }
    .build()
}

/// How long connecting may take at most, as object_store's default: a connection that has not
/// come up by then is tried again (within the retry budget) rather than waited for.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// object_store's HTTP transport on hyper.
///
/// It keeps its own settings rather than reading `ClientOptions`, which gives its timeouts out
/// only as text; [`open`] is the one place that makes it.
#[derive(Debug)]
struct Connector {
    /// Bounds waiting for a response's head (connecting included) and each wait for more of its
    /// body.
    timeout: Duration,
    /// Whether `http://` URLs may be used (a local endpoint); otherwise only `https://`.
    allow_http: bool,
}

impl object_store::client::HttpConnector for Connector {
    fn connect(&self, _: &ClientOptions) -> object_store::Result<HttpClient> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(self.timeout.min(CONNECT_TIMEOUT)));
        #[expect(
            deprecated,
            reason = "ring has no post-quantum key exchange; it spares us aws-lc-rs's C build"
        )]
        let ring = rustls::crypto::ring::default_provider();
        let tls = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(ring)
            .map_err(|e| object_store::Error::Generic {
                store: "S3",
                source: Box::new(e),
            })?;
        let tls = if self.allow_http {
            tls.https_or_http()
        } else {
            tls.https_only()
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(tls.enable_http1().wrap_connector(http));
        Ok(HttpClient::new(Service {
            client,
            timeout: self.timeout,
        }))
    }
}

/// The client a [`Connector`] makes.
#[derive(Debug)]
struct Service {
    /// hyper's pooling client, over TLS where the URL says `https`.
    client: Client<HttpsConnector<HttpConnector>, HttpRequestBody>,
    /// See [`Connector::timeout`].
    timeout: Duration,
}

#[async_trait::async_trait]
impl HttpService for Service {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let response = tokio::time::timeout(self.timeout, self.client.request(req))
            .await
            .map_err(|_| timed_out(format!("no response within {:?}", self.timeout)))?
            .map_err(failure)?;
        Ok(response.map(|body| {
            HttpResponseBody::new(IdleTimeout {
                body,
                idle: self.timeout,
                sleep: Box::pin(tokio::time::sleep(self.timeout)),
                waiting: false,
            })
        }))
    }
}

/// A [`HttpErrorKind::Timeout`] saying what took too long.
fn timed_out(what: String) -> HttpError {
    HttpError::new(
        HttpErrorKind::Timeout,
        std::io::Error::new(std::io::ErrorKind::TimedOut, what),
    )
}

/// A transport failure as object_store wants it: sorted, with its causes in the message.
fn failure<E: StdError + Send + Sync + 'static>(e: E) -> HttpError {
    HttpError::new(kind_of(&e), Causes(e))
}

/// An error shown with all its causes: hyper's and hyper-util's own messages stop at "client
/// error (Connect)" or "connection error", and object_store shows no deeper than that.
#[derive(Debug)]
struct Causes<E>(E);

impl<E: StdError> fmt::Display for Causes<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(e) = next {
            write!(f, ": {e}")?;
            next = e.source();
        }
        Ok(())
    }
}

/// The causes are in the message, so none is given as a source (a report would repeat them).
impl<E: StdError> StdError for Causes<E> {}

/// Sorts a transport failure the way object_store sorts reqwest's, so that its retries behave
/// the same: a failed connect or a connection closed under the request is retried, a timeout or a
/// reset only when the request is idempotent, anything else never.
fn kind_of(error: &(dyn StdError + 'static)) -> HttpErrorKind {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.downcast_ref::<legacy::Error>()
            .is_some_and(legacy::Error::is_connect)
        {
            return HttpErrorKind::Connect;
        }
        if let Some(e) = e.downcast_ref::<hyper::Error>() {
            if e.is_timeout() {
                return HttpErrorKind::Timeout;
            }
            if e.is_closed() || e.is_incomplete_message() || e.is_body_write_aborted() {
                return HttpErrorKind::Request;
            }
            if e.is_parse() {
                return HttpErrorKind::Decode;
            }
        }
        if let Some(e) = e.downcast_ref::<std::io::Error>() {
            match e.kind() {
                std::io::ErrorKind::TimedOut => return HttpErrorKind::Timeout,
                std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => return HttpErrorKind::Interrupted,
                _ => {}
            }
        }
        next = e.source();
    }
    HttpErrorKind::Unknown
}

/// A response body that fails with [`HttpErrorKind::Timeout`] when the store sends nothing for
/// `idle` while the reader waits (object_store then resumes a download with a range request).
struct IdleTimeout {
    /// The body as hyper reads it.
    body: Incoming,
    /// How long a wait for the next frame may last.
    idle: Duration,
    /// Fires when the current wait has lasted `idle`.
    sleep: Pin<Box<Sleep>>,
    /// Whether a wait is under way: the clock runs only then, not while the reader is busy.
    waiting: bool,
}

impl Body for IdleTimeout {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            this.waiting = false;
            return Poll::Ready(frame.map(|f| f.map_err(failure)));
        }
        if !this.waiting {
            this.waiting = true;
            this.sleep.as_mut().reset(Instant::now() + this.idle);
        }
        match this.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(timed_out(format!(
                "the response's body stalled for {:?}",
                this.idle
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
