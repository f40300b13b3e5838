//! What the server counts for its metrics: fast-path hits, handoffs to hyper, connections
//! accepted and open, with no atomic shared between threads on the way of a request.
//!
//! Each thread that serves has its own slot per application, a cache line of its own, registered
//! once, the first time the thread counts for that application. Only that thread writes its slot,
//! so an increment is a relaxed load and store, not a read-modify-write: no lock prefix, no line
//! bouncing between cores. A task adds to the slot of the thread it runs on at that moment, so a
//! connection that moves between threads of a multi-thread runtime (`REUSEPORT=false`) is still
//! counted once. Reading sums every slot under the registry's lock, which only the reader and a
//! thread registering take.
//!
//! Fast-path hits are added once per batch, after its write: one addition for a pipelined batch.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// The server's counters, summed over every thread that counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CounterSnapshot {
    /// Requests answered from the socket buffer by the fast path (not those of fast routes that
    /// hyper answered after a handoff).
    pub(crate) fast_hits: u64,
    /// Connections handed to hyper: at their first request the fast path does not serve, or at
    /// once when the application has no fast route.
    pub(crate) handoffs: u64,
    /// Connections accepted since the server started.
    pub(crate) connections_accepted: u64,
    /// Connections accepted and not yet closed.
    pub(crate) connections_open: u64,
}

/// One thread's counts for one application, alone on its cache line (128 bytes: two 64-byte
/// lines, as the adjacent-line prefetcher of x86 and the line of Apple's cores).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Slot {
    fast_hits: AtomicU64,
    handoffs: AtomicU64,
    accepted: AtomicU64,
    closed: AtomicU64,
}

/// Adds `n` to a counter only this thread writes.
#[inline]
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// Every slot of one application.
#[derive(Debug, Default)]
struct Registry {
    slots: Mutex<Vec<Arc<Slot>>>,
}

thread_local! {
    /// This thread's slot in each application it counts for (one, outside tests), by registry.
    /// The weak reference keeps the registry's allocation, so no other registry takes its address.
    static SLOTS: RefCell<Vec<(Weak<Registry>, Arc<Slot>)>> = const { RefCell::new(Vec::new()) };
}

/// The counters of one application's server; clones count together.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counters {
    registry: Arc<Registry>,
}

impl Counters {
    /// Counts `n` requests answered by the fast path.
    #[inline]
    pub(crate) fn fast_hits(&self, n: u64) {
        with_slot(&self.registry, |s| bump(&s.fast_hits, n));
    }

    /// Counts a connection handed to hyper.
    pub(crate) fn handoff(&self) {
        with_slot(&self.registry, |s| bump(&s.handoffs, 1));
    }

    /// Counts a connection accepted; it is open until the guard drops (on whichever thread).
    pub(crate) fn accepted(&self) -> Open {
        with_slot(&self.registry, |s| bump(&s.accepted, 1));
        Open(Arc::clone(&self.registry))
    }

    /// The sums over every thread.
    #[cfg_attr(
        not(feature = "metrics"),
        allow(dead_code, reason = "read by the metrics endpoint")
    )]
    pub(crate) fn snapshot(&self) -> CounterSnapshot {
        let slots = self
            .registry
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut sum = CounterSnapshot::default();
        let mut closed = 0u64;
        for s in slots.iter() {
            // Closed first: a connection closed after this read and accepted before the next one
            // is not counted open; one accepted and closed between them is seen open a moment.
            closed = closed.wrapping_add(s.closed.load(Relaxed));
        }
        for s in slots.iter() {
            sum.fast_hits = sum.fast_hits.wrapping_add(s.fast_hits.load(Relaxed));
            sum.handoffs = sum.handoffs.wrapping_add(s.handoffs.load(Relaxed));
            sum.connections_accepted = sum
                .connections_accepted
                .wrapping_add(s.accepted.load(Relaxed));
        }
        sum.connections_open = sum.connections_accepted.saturating_sub(closed);
        sum
    }
}

/// Runs `f` on this thread's slot in `registry`, registering one the first time.
#[inline]
fn with_slot(registry: &Arc<Registry>, f: impl FnOnce(&Slot)) {
    let ptr = Arc::as_ptr(registry);
    let mut f = Some(f);
    let counted = SLOTS.try_with(|slots| {
        let mut slots = slots.borrow_mut();
        let f = f.take();
        if let Some((_, slot)) = slots.iter().find(|(r, _)| Weak::as_ptr(r) == ptr) {
            return f.map(|f| f(slot));
        }
        // The applications this thread counted for and that are gone.
        slots.retain(|(r, _)| r.strong_count() > 0);
        let slot = register(registry);
        let counted = f.map(|f| f(&slot));
        slots.push((Arc::downgrade(registry), slot));
        counted
    });
    // A thread whose thread-locals are being destroyed (a connection dropped as its thread
    // exits) counts in a slot of its own, so that the count is not lost.
    if counted.is_err()
        && let Some(f) = f
    {
        f(&register(registry));
    }
}

/// A new slot, in `registry`.
fn register(registry: &Registry) -> Arc<Slot> {
    let slot = Arc::new(Slot::default());
    registry
        .slots
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Arc::clone(&slot));
    slot
}

/// An open connection: counted closed when dropped.
#[derive(Debug)]
pub(crate) struct Open(Arc<Registry>);

impl Drop for Open {
    fn drop(&mut self) {
        with_slot(&self.0, |s| bump(&s.closed, 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads_add_up() {
        let counters = Counters::default();
        let open: Vec<Open> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let counters = &counters;
                    scope.spawn(move || {
                        let mut open = Vec::new();
                        for i in 0..1000 {
                            let conn = counters.accepted();
                            counters.fast_hits(3);
                            if i % 10 == 0 {
                                counters.handoff();
                            }
                            // One in four stays open, to be closed on another thread.
                            if i % 4 == 0 {
                                open.push(conn);
                            }
                        }
                        open
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("no panic"))
                .collect()
        });
        assert_eq!(
            counters.snapshot(),
            CounterSnapshot {
                fast_hits: 12_000,
                handoffs: 400,
                connections_accepted: 4000,
                connections_open: 1000,
            }
        );
        // The threads are gone; their counts stay. Closing on this thread is counted here.
        drop(open);
        let snapshot = counters.snapshot();
        assert_eq!(
            (snapshot.connections_accepted, snapshot.connections_open),
            (4000, 0)
        );
        assert_eq!(counters.registry.slots.lock().expect("lock").len(), 5);
    }

    #[test]
    fn two_applications_on_one_thread_count_apart() {
        let (a, b) = (Counters::default(), Counters::default());
        a.fast_hits(2);
        b.fast_hits(5);
        a.fast_hits(1);
        assert_eq!((a.snapshot().fast_hits, b.snapshot().fast_hits), (3, 5));
        drop(b);
        let c = Counters::default();
        c.handoff();
        assert_eq!(c.snapshot().handoffs, 1);
        // `b`'s slot was let go when `c` registered.
        SLOTS.with_borrow(|slots| assert_eq!(slots.len(), 2));
    }
}
