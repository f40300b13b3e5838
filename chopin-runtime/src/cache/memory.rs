//! The in-memory backend: a map behind a mutex, shared by every thread of the process.
//!
//! Every operation takes the lock once, does its work without awaiting, and lets it go, so it is
//! atomic like a Redis command. An expired entry is invisible to every operation; it leaves the
//! map when it is next written, or at a sweep: whenever the map has grown past twice its size
//! after the last sweep, the expired entries are removed, so a long-running server holds at most
//! about twice its live entries.
//!
//! Time is tokio's clock, so a test that pauses it sees values expire as it advances.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{CacheBackend, CacheError, Op};

/// The size below which the map is never swept: sweeping a small map buys nothing.
const MIN_SWEEP: usize = 1024;

/// The in-memory backend.
pub(super) struct Memory {
    store: Mutex<Store>,
}

impl Memory {
    pub(super) fn new() -> Memory {
        Memory {
            store: Mutex::new(Store::new(MIN_SWEEP)),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // No operation panics halfway through a change, so a poisoned map is still consistent.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `op` on the store, locked, and returns its result as a ready future.
    fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut Store, Instant) -> Result<T, CacheError>,
    ) -> Op<'_, T> {
        let result = op(&mut self.store(), Instant::now());
        Box::pin(std::future::ready(result))
    }
}

impl CacheBackend for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn get<'a>(&'a self, key: &'a str) -> Op<'a, Option<Vec<u8>>> {
        self.run(|store, now| Ok(store.get(key, now)))
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a [u8], ttl: Option<Duration>) -> Op<'a, ()> {
        self.run(|store, now| {
            store.set(key, Value::Bytes(value.to_vec()), ttl, now);
            Ok(())
        })
    }

    fn incr<'a>(&'a self, key: &'a str, window: Duration) -> Op<'a, (i64, Duration)> {
        self.run(|store, now| {
            store
                .incr(key, window, now)
                .ok_or_else(|| CacheError::NotACounter {
                    key: key.to_owned(),
                })
        })
    }

    fn ttl<'a>(&'a self, key: &'a str) -> Op<'a, Option<Duration>> {
        self.run(|store, now| Ok(store.ttl(key, now)))
    }

    fn del<'a>(&'a self, key: &'a str) -> Op<'a, bool> {
        self.run(|store, now| Ok(store.del(key, now)))
    }

    fn exists<'a>(&'a self, key: &'a str) -> Op<'a, bool> {
        self.run(|store, now| Ok(store.live(key, now).is_some()))
    }
}

/// What an entry holds.
#[derive(Debug, PartialEq, Eq)]
enum Value {
    Bytes(Vec<u8>),
    /// Written by `incr`: read back as its decimal text.
    Counter(i64),
}

#[derive(Debug)]
struct Entry {
    value: Value,
    expires: Option<Instant>,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
}

/// The map, and when to sweep it next. Every method takes the current time.
#[derive(Debug)]
struct Store {
    map: HashMap<String, Entry>,
    /// The map is swept when it holds more entries than this.
    sweep_above: usize,
    min_sweep: usize,
}

impl Store {
    fn new(min_sweep: usize) -> Store {
        Store {
            map: HashMap::new(),
            sweep_above: min_sweep,
            min_sweep,
        }
    }

    fn live(&self, key: &str, now: Instant) -> Option<&Entry> {
        self.map.get(key).filter(|entry| entry.is_live(now))
    }

    fn get(&self, key: &str, now: Instant) -> Option<Vec<u8>> {
        self.live(key, now).map(|entry| match &entry.value {
            Value::Bytes(bytes) => bytes.clone(),
            Value::Counter(n) => n.to_string().into_bytes(),
        })
    }

    fn set(&mut self, key: &str, value: Value, ttl: Option<Duration>, now: Instant) {
        let entry = Entry {
            value,
            expires: ttl.and_then(|ttl| now.checked_add(ttl)),
        };
        match self.map.get_mut(key) {
            Some(slot) => *slot = entry,
            None => self.insert(key.to_owned(), entry, now),
        }
    }

    /// Adds one to the counter at `key`, or starts one expiring after `window`. `None` when the
    /// value there is not an integer's decimal text, or is `i64::MAX`: it is left as it was.
    fn incr(&mut self, key: &str, window: Duration, now: Instant) -> Option<(i64, Duration)> {
        let fresh = || now.checked_add(window);
        match self.map.get_mut(key) {
            Some(entry) if entry.is_live(now) => {
                let current = match &entry.value {
                    Value::Counter(n) => *n,
                    Value::Bytes(bytes) => parse_integer(bytes)?,
                };
                entry.value = Value::Counter(current.checked_add(1)?);
                if entry.expires.is_none() {
                    entry.expires = fresh();
                }
                let count = current + 1;
                Some((count, entry.expires.map_or(window, |at| left(at, now))))
            }
            Some(entry) => {
                *entry = Entry {
                    value: Value::Counter(1),
                    expires: fresh(),
                };
                Some((1, window))
            }
            None => {
                let entry = Entry {
                    value: Value::Counter(1),
                    expires: fresh(),
                };
                self.insert(key.to_owned(), entry, now);
                Some((1, window))
            }
        }
    }

    fn ttl(&self, key: &str, now: Instant) -> Option<Duration> {
        self.live(key, now)?.expires.map(|at| left(at, now))
    }

    fn del(&mut self, key: &str, now: Instant) -> bool {
        self.map.remove(key).is_some_and(|entry| entry.is_live(now))
    }

    /// Adds a new key, sweeping when the map has doubled since the last sweep.
    fn insert(&mut self, key: String, entry: Entry, now: Instant) {
        self.map.insert(key, entry);
        if self.map.len() > self.sweep_above {
            self.sweep(now);
        }
    }

    /// Removes the expired entries, and gives back memory the map no longer needs.
    fn sweep(&mut self, now: Instant) {
        self.map.retain(|_, entry| entry.is_live(now));
        let len = self.map.len();
        self.sweep_above = (2 * len).max(self.min_sweep);
        if self.map.capacity() > 4 * self.sweep_above {
            self.map.shrink_to(self.sweep_above);
        }
    }
}

/// The time from `now` to `at`, rounded up to whole milliseconds.
fn left(at: Instant, now: Instant) -> Duration {
    let nanos = at.saturating_duration_since(now).as_nanos();
    Duration::from_millis(u64::try_from(nanos.div_ceil(1_000_000)).unwrap_or(u64::MAX))
}

/// `bytes` as an integer, if they are its decimal text exactly as Redis writes it: no sign
/// but `-`, no leading zeros, no spaces.
fn parse_integer(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let n: i64 = text.parse().ok()?;
    (n.to_string() == text).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn bytes(s: &str) -> Value {
        Value::Bytes(s.as_bytes().to_vec())
    }

    #[test]
    fn expired_entries_are_invisible() {
        let t0 = Instant::now();
        let mut store = Store::new(MIN_SWEEP);
        store.set("k", bytes("v"), Some(SECOND), t0);
        assert_eq!(store.get("k", t0), Some(b"v".to_vec()));
        assert_eq!(store.ttl("k", t0 + SECOND / 4), Some(SECOND * 3 / 4));
        let later = t0 + SECOND;
        assert_eq!(store.get("k", later), None);
        assert_eq!(store.ttl("k", later), None);
        assert!(store.live("k", later).is_none());
        assert!(!store.del("k", later), "an expired key was not there");
        assert!(store.map.is_empty(), "`del` removes it all the same");
    }

    #[test]
    fn sweeps_expired_entries_when_the_map_doubles() {
        let t0 = Instant::now();
        let mut store = Store::new(4);
        store.set("live", bytes("v"), None, t0);
        for i in 0..4 {
            store.set(&format!("short{i}"), bytes("v"), Some(SECOND), t0);
        }
        // Five entries, above the threshold of four: a sweep, but nothing has expired yet.
        assert_eq!(store.map.len(), 5);
        assert_eq!(store.sweep_above, 10);

        let later = t0 + 2 * SECOND;
        for i in 0..5 {
            store.set(&format!("next{i}"), bytes("v"), Some(SECOND), later);
        }
        // The tenth entry did not sweep; the eleventh does, leaving `live` and the `next`s.
        assert_eq!(store.map.len(), 10);
        store.set("next5", bytes("v"), Some(SECOND), later);
        assert_eq!(store.map.len(), 7);
        assert!(store.map.keys().all(|k| !k.starts_with("short")));
        assert_eq!(store.sweep_above, 14);
        assert_eq!(store.get("live", later), Some(b"v".to_vec()));
    }

    #[test]
    fn the_map_stays_bounded_under_a_stream_of_short_lived_keys() {
        let t0 = Instant::now();
        let mut store = Store::new(MIN_SWEEP);
        for i in 0..100_000u32 {
            let now = t0 + Duration::from_millis(u64::from(i));
            store.set(
                &i.to_string(),
                bytes("v"),
                Some(Duration::from_millis(10)),
                now,
            );
        }
        assert!(
            store.map.len() <= 2 * MIN_SWEEP,
            "{} entries",
            store.map.len()
        );
        assert!(store.map.capacity() <= 8 * MIN_SWEEP);
    }

    #[test]
    fn overwriting_does_not_count_towards_a_sweep() {
        let t0 = Instant::now();
        let mut store = Store::new(4);
        for _ in 0..100 {
            store.set("k", bytes("v"), Some(SECOND), t0);
        }
        assert_eq!((store.map.len(), store.sweep_above), (1, 4));
    }

    #[test]
    fn counters_count_in_a_fixed_window() {
        let t0 = Instant::now();
        let mut store = Store::new(MIN_SWEEP);
        assert_eq!(store.incr("c", SECOND, t0), Some((1, SECOND)));
        let t1 = t0 + Duration::from_millis(400);
        assert_eq!(
            store.incr("c", SECOND, t1),
            Some((2, Duration::from_millis(600)))
        );
        assert_eq!(store.get("c", t1), Some(b"2".to_vec()));
        let t2 = t0 + SECOND;
        assert_eq!(store.incr("c", SECOND, t2), Some((1, SECOND)));
        assert_eq!(store.ttl("c", t2), Some(SECOND));
    }

    #[test]
    fn counters_count_on_from_an_integer_written_as_bytes() {
        let t0 = Instant::now();
        let mut store = Store::new(MIN_SWEEP);
        store.set("c", bytes("41"), None, t0);
        assert_eq!(store.incr("c", SECOND, t0), Some((42, SECOND)));
        store.set("c", bytes("-3"), Some(SECOND / 2), t0);
        assert_eq!(store.incr("c", SECOND, t0), Some((-2, SECOND / 2)));
        for not_a_counter in ["abc", "", "+1", "01", " 1", "1.5", "9223372036854775807"] {
            store.set("c", bytes(not_a_counter), None, t0);
            assert_eq!(store.incr("c", SECOND, t0), None, "{not_a_counter:?}");
            assert_eq!(store.get("c", t0), Some(not_a_counter.as_bytes().to_vec()));
        }
    }

    #[test]
    fn rounds_time_left_up_to_whole_milliseconds() {
        let t0 = Instant::now();
        assert_eq!(
            left(t0 + Duration::from_micros(1), t0),
            Duration::from_millis(1)
        );
        assert_eq!(left(t0, t0 + SECOND), Duration::ZERO);
    }
}
