//! hyper's timer, made cheap per request.
//!
//! hyper starts a header-read timeout for every request on a connection and drops it once the
//! head has arrived. With `hyper_util::rt::TokioTimer` each of those is a boxed tokio timer,
//! registered and deregistered in the timer wheel: about 1 900 instructions per request, 7 % of a
//! whole axum request (`perf stat` on `/users/42`, unpipelined).
//!
//! A connection has at most one header timeout running at a time, so its state lives with the
//! connection's task: [`ConnectionTimer::scope`] runs the connection with a task-local holding the
//! current deadline and one tokio timer that stays registered across requests. The sleeps hyper
//! receives are zero-sized (boxing them allocates nothing); starting one stores a deadline, and
//! the tokio timer is re-armed only when it fires before the current deadline (at most once per
//! timeout period while requests keep coming) or when a deadline moves earlier. A timeout still
//! fires exactly at its deadline.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

#[derive(Default)]
struct State {
    deadline: Option<tokio::time::Instant>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

tokio::task_local! {
    static CONNECTION: RefCell<State>;
}

/// The timer of hyper connections run inside [`ConnectionTimer::scope`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ConnectionTimer;

impl ConnectionTimer {
    /// Runs one connection with its timer state.
    pub(crate) async fn scope<F: Future>(connection: F) -> F::Output {
        CONNECTION
            .scope(RefCell::new(State::default()), connection)
            .await
    }
}

/// The connection's current header timeout. It has no state of its own: the deadline is the
/// connection's.
struct HeaderTimeout;

impl Future for HeaderTimeout {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Outside a connection's scope there is no deadline: such a sleep never fires.
        CONNECTION
            .try_with(|state| {
                let mut state = state.borrow_mut();
                let State { deadline, timer } = &mut *state;
                let Some(deadline) = *deadline else {
                    return Poll::Pending;
                };
                let timer =
                    timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                loop {
                    if timer.deadline() > deadline {
                        timer.as_mut().reset(deadline);
                    }
                    if timer.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    if timer.deadline() >= deadline {
                        return Poll::Ready(());
                    }
                    // Fired for an earlier request's deadline: wait for this one.
                    timer.as_mut().reset(deadline);
                }
            })
            .unwrap_or(Poll::Pending)
    }
}

impl Sleep for HeaderTimeout {}

impl Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        let _ = CONNECTION.try_with(|state| state.borrow_mut().deadline = Some(deadline.into()));
        Box::pin(HeaderTimeout)
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        *sleep = self.sleep_until(new_deadline);
    }

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn each_sleep_ends_at_its_own_deadline() {
        ConnectionTimer::scope(async {
            let timer = ConnectionTimer;
            let start = Instant::now();
            // A first request's timeout, polled (so the tokio timer is armed), then dropped.
            let mut first = timer.sleep(Duration::from_secs(10));
            assert!(futures_util::poll!(first.as_mut()).is_pending());
            drop(first);
            tokio::time::sleep(Duration::from_secs(6)).await;
            // The next request's timeout outlives the tokio timer's first arming.
            timer.sleep(Duration::from_secs(10)).await;
            assert_eq!(start.elapsed(), Duration::from_secs(16));
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_moves_the_deadline_either_way() {
        ConnectionTimer::scope(async {
            let timer = ConnectionTimer;
            let start = Instant::now();
            let mut sleep = timer.sleep(Duration::from_secs(10));
            assert!(futures_util::poll!(sleep.as_mut()).is_pending());
            timer.reset(&mut sleep, timer.now() + Duration::from_secs(2));
            sleep.as_mut().await;
            assert_eq!(start.elapsed(), Duration::from_secs(2));

            let mut sleep = timer.sleep(Duration::from_secs(1));
            timer.reset(&mut sleep, timer.now() + Duration::from_secs(5));
            sleep.as_mut().await;
            assert_eq!(start.elapsed(), Duration::from_secs(7));
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn outside_a_connection_a_sleep_never_fires() {
        let mut sleep = ConnectionTimer.sleep(Duration::from_secs(1));
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(futures_util::poll!(sleep.as_mut()).is_pending());
    }
}
