//! Waiting for shutdown without paying for it on every wake-up.
//!
//! A connection waits for its next bytes and for shutdown at once. tokio's `Notified` (behind
//! `CancellationToken::cancelled`) takes the token's mutex on every poll to refresh its waker, and
//! a connection is polled after every batch it reads. With one token shared by every worker that
//! is a lock per batch bouncing between cores. [`Shutdown`] polls the token's future only while
//! the task's waker is not the one it registered; otherwise it reads the cancelled flag, one
//! atomic load.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

pub(crate) struct Shutdown<'a> {
    token: &'a CancellationToken,
    cancelled: Pin<Box<WaitForCancellationFuture<'a>>>,
    /// The waker the token will wake, once registered.
    registered: Option<Waker>,
}

impl<'a> Shutdown<'a> {
    pub(crate) fn new(token: &'a CancellationToken) -> Shutdown<'a> {
        Shutdown {
            token,
            cancelled: Box::pin(token.cancelled()),
            registered: None,
        }
    }
}

impl Future for Shutdown<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.token.is_cancelled() {
            return Poll::Ready(());
        }
        if self
            .registered
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        self.registered = Some(cx.waker().clone());
        self.cancelled.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn completes_when_the_token_is_cancelled_after_registering() {
        let token = CancellationToken::new();
        let mut shutdown = Shutdown::new(&token);
        assert!(futures_util::poll!(&mut shutdown).is_pending());
        assert!(futures_util::poll!(&mut shutdown).is_pending());
        let cancel = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            cancel.cancel();
        });
        tokio::time::timeout(Duration::from_secs(5), shutdown)
            .await
            .expect("woken by the cancellation");
    }
}
