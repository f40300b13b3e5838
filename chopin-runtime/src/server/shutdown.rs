//! Shutdown: the [`Token`] every worker and connection watches, the [`Tasks`] an accept loop
//! waits for, and [`Shutdown`], the cheap way a connection waits for the token.
//!
//! A connection waits for its next bytes and for shutdown at once. tokio's `Notified` takes the
//! `Notify`'s mutex on every poll to refresh its waker, and a connection is polled after every
//! batch it reads. With one token shared by every worker that is a lock per batch bouncing
//! between cores. [`Shutdown`] polls the token's future only while the task's waker is not the
//! one it registered; otherwise it reads the cancelled flag, one atomic load.
//!
//! Written here rather than taken from `tokio-util` (`CancellationToken`, `TaskTracker`): they
//! are a few lines over `tokio::sync::Notify`, and the crate with its `futures-util` macros is
//! about a second of an application's clean build.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use tokio::sync::Notify;

/// The server's shutdown, shared by every worker: cancelled once, seen by every connection.
#[derive(Clone, Default)]
pub(crate) struct Token(Arc<TokenInner>);

#[derive(Default)]
struct TokenInner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Token {
    /// Cancels: every [`Token::cancelled`] completes.
    pub(crate) fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Completes once the token is cancelled.
    pub(crate) async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Registered before the flag is read: a cancel in between is not missed.
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Waiting for a token's cancellation, at the cost of an atomic load on most polls.
pub(crate) struct Shutdown<'a> {
    token: &'a Token,
    cancelled: Pin<Box<dyn Future<Output = ()> + Send + 'a>>,
    /// The waker the token will wake, once registered.
    registered: Option<Waker>,
}

impl<'a> Shutdown<'a> {
    pub(crate) fn new(token: &'a Token) -> Shutdown<'a> {
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

/// The connections an accept loop has spawned, to wait for at shutdown.
#[derive(Clone, Default)]
pub(crate) struct Tasks(Arc<TasksInner>);

#[derive(Default)]
struct TasksInner {
    open: AtomicUsize,
    idle: Notify,
}

/// Counts one task until it is dropped, with the task.
struct Open(Tasks);

impl Drop for Open {
    fn drop(&mut self) {
        if self.0.0.open.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.0.idle.notify_waiters();
        }
    }
}

impl Tasks {
    /// Spawns `task` on the current runtime, counted until it ends (or panics).
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.open.fetch_add(1, Ordering::SeqCst);
        let open = Open(self.clone());
        tokio::spawn(async move {
            let _open = open;
            task.await;
        });
    }

    /// How many are still running.
    pub(crate) fn len(&self) -> usize {
        self.0.open.load(Ordering::SeqCst)
    }

    /// Completes once none is running.
    pub(crate) async fn wait(&self) {
        loop {
            let idle = self.0.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.len() == 0 {
                return;
            }
            idle.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// One poll, with a waker that does nothing.
    fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[tokio::test]
    async fn completes_when_the_token_is_cancelled_after_registering() {
        let token = Token::default();
        let mut shutdown = Shutdown::new(&token);
        assert!(poll_once(Pin::new(&mut shutdown)).is_pending());
        assert!(poll_once(Pin::new(&mut shutdown)).is_pending());
        let cancel = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            cancel.cancel();
        });
        tokio::time::timeout(Duration::from_secs(5), shutdown)
            .await
            .expect("woken by the cancellation");
        // Once cancelled, at once.
        assert!(poll_once(std::pin::pin!(token.cancelled())).is_ready());
    }

    #[tokio::test]
    async fn waits_for_every_task_including_one_that_panics() {
        let tasks = Tasks::default();
        assert!(poll_once(std::pin::pin!(tasks.wait())).is_ready());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tasks.spawn(async move {
            let _ = rx.await;
        });
        tasks.spawn(async { panic!("a connection's task panics") });
        let waiting = tasks.wait();
        tokio::pin!(waiting);
        assert!(poll_once(waiting.as_mut()).is_pending());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(tasks.len(), 1, "the panicked task is no longer counted");
        let _ = tx.send(());
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("every task ended");
    }
}
