//! [`Local`]: a typed, bounded cache in the process's memory.

use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::extract::FromRequestParts;
use hashbrown::HashTable;
use http::request::Parts;
use tokio::time::Instant;

use crate::openapi::{Operation, OperationInput};
use crate::response::ChopinError;
use crate::service;

/// How many entries of a full shard an insert looks at to choose the one to evict.
const SAMPLE: usize = 5;

/// A typed cache in the process's memory, for values read far more often than they
/// change (reference rows, lookups, what a page is built from). A value is kept as it is and
/// handed out as a clone: no serialization, no key formatting, no server, and no `await`.
///
/// It is bounded: when it holds its capacity, an insert of a new key evicts from that key's
/// shard, expired entries first, else approximately the least recently used (as Redis does: of
/// five entries sampled from the shard, the one used longest ago). Entries may live for a
/// time to live, measured on tokio's clock. Clones of the cache share its store, across every
/// worker runtime; the store is split into shards, each behind its own lock, held only for a
/// lookup or an insert.
///
/// Unlike [`Cache`](super::Cache), it is not shared between processes, and a value is not checked
/// against the database: what an application puts there it must remove when the row changes,
/// or give a time to live it can accept being stale for.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), std::convert::Infallible> {
/// use std::convert::Infallible;
///
/// use chopin_runtime::cache::Local;
///
/// let names: Local<i64, String> = Local::new(10_000);
/// names.insert(7, "Ada".to_owned());
/// assert_eq!(names.get(&7).as_deref(), Some("Ada"));
/// // Read through: the closure runs only when the key is missing.
/// let name = names
///     .get_or_try_insert_with(8, || async { Ok::<_, Infallible>("Grace".to_owned()) })
///     .await?;
/// assert_eq!(name, "Grace");
/// # Ok(())
/// # }
/// ```
///
/// Handlers take it as an extractor when the application provides one
/// (`App::with_service(Local::<i64, String>::new(10_000))`): `async fn show(names: Local<i64,
/// String>) -> …`.
///
/// Cheap to clone: clones share the store.
pub struct Local<K, V> {
    inner: Arc<Inner<K, V>>,
}

struct Inner<K, V> {
    shards: Box<[Mutex<Shard<K, V>>]>,
    /// The entries the cache holds at most.
    capacity: usize,
    /// The entries it holds, across its shards.
    len: AtomicUsize,
    ttl: Option<Duration>,
    hasher: RandomState,
}

/// A shard: its entries in a table addressed by the key's hash, computed once per operation
/// (the same hash chose the shard).
struct Shard<K, V> {
    table: HashTable<Entry<K, V>>,
    /// Counts the shard's lookups and inserts: an entry's `used` is the count at its last use,
    /// so no two entries of a shard have the same.
    clock: u64,
}

struct Entry<K, V> {
    hash: u64,
    key: K,
    value: V,
    expires: Option<Instant>,
    used: u64,
}

impl<K, V> Clone for Local<K, V> {
    fn clone(&self) -> Self {
        Local {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K, V> fmt::Debug for Local<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("capacity", &self.inner.capacity)
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

impl<K: Eq + Hash, V: Clone> Local<K, V> {
    /// A cache of at most about `capacity` entries (rounded up to a whole number per shard),
    /// kept until evicted or removed.
    pub fn new(capacity: usize) -> Local<K, V> {
        Local::build(capacity, None)
    }

    /// A cache of at most about `capacity` entries, each kept for `ttl` after it was inserted.
    pub fn with_ttl(capacity: usize, ttl: Duration) -> Local<K, V> {
        Local::build(capacity, Some(ttl))
    }

    fn build(capacity: usize, ttl: Option<Duration>) -> Local<K, V> {
        // Enough shards that workers rarely wait on each other, few enough that a small cache
        // still holds what it is asked to.
        let shards = (capacity / 64).clamp(1, 16);
        Local {
            inner: Arc::new(Inner {
                shards: (0..shards)
                    .map(|_| {
                        Mutex::new(Shard {
                            table: HashTable::new(),
                            clock: 0,
                        })
                    })
                    .collect(),
                capacity: capacity.max(1),
                len: AtomicUsize::new(0),
                ttl,
                hasher: RandomState::new(),
            }),
        }
    }

    /// The value under `key`, if it is there and has not expired.
    pub fn get(&self, key: &K) -> Option<V> {
        let now = self.inner.ttl.map(|_| Instant::now());
        let (hash, mut shard) = self.shard(key);
        shard.clock += 1;
        let clock = shard.clock;
        let found = shard.table.find_entry(hash, |e| e.key == *key).ok()?;
        if found
            .get()
            .expires
            .zip(now)
            .is_some_and(|(at, now)| at <= now)
        {
            found.remove();
            self.inner.len.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        let entry = found.into_mut();
        entry.used = clock;
        Some(entry.value.clone())
    }

    /// Puts `value` under `key`, replacing what was there; when the cache is full, another
    /// entry is evicted first.
    pub fn insert(&self, key: K, value: V) {
        // The clock is read only by a cache with a time to live.
        let now = self.inner.ttl.map(|_| Instant::now());
        let expires = now.zip(self.inner.ttl).map(|(now, ttl)| now + ttl);
        let (hash, mut shard) = self.shard(&key);
        shard.clock += 1;
        let used = shard.clock;
        if let Some(entry) = shard.table.find_mut(hash, |e| e.key == key) {
            entry.value = value;
            entry.expires = expires;
            entry.used = used;
            return;
        }
        if self.inner.len.load(Ordering::Relaxed) >= self.inner.capacity {
            // Room is made in this shard: the cache is full, and keys spread evenly over
            // shards, so this one holds its share. (An empty shard makes none: the cache then
            // goes past its capacity by this entry until another insert evicts.)
            let evicted = shard.make_room(now, self.inner.hasher.hash_one(used));
            self.inner.len.fetch_sub(evicted, Ordering::Relaxed);
        }
        self.inner.len.fetch_add(1, Ordering::Relaxed);
        let entry = Entry {
            hash,
            key,
            value,
            expires,
            used,
        };
        shard.table.insert_unique(hash, entry, |e| e.hash);
    }

    /// The value under `key`, or the one `make` returns, which is then kept. `make` runs
    /// without a lock held: two requests that miss the same key at once may both run it, and
    /// the later value stays. Its error is returned and nothing is kept.
    ///
    /// # Errors
    /// `make`'s.
    pub async fn get_or_try_insert_with<F, Fut, E>(&self, key: K, make: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.get(&key) {
            return Ok(value);
        }
        let value = make().await?;
        self.insert(key, value.clone());
        Ok(value)
    }

    /// Removes the value under `key`, returning it if it was there and had not expired.
    pub fn remove(&self, key: &K) -> Option<V> {
        let (hash, mut shard) = self.shard(key);
        let (entry, _) = shard
            .table
            .find_entry(hash, |e| e.key == *key)
            .ok()?
            .remove();
        self.inner.len.fetch_sub(1, Ordering::Relaxed);
        let live = entry.expires.is_none_or(|at| at > Instant::now());
        live.then_some(entry.value)
    }

    /// Removes every value.
    pub fn clear(&self) {
        for shard in &self.inner.shards {
            let mut shard = lock(shard);
            self.inner
                .len
                .fetch_sub(shard.table.len(), Ordering::Relaxed);
            shard.table.clear();
        }
    }

    /// How many entries it holds, expired ones not yet evicted included.
    pub fn len(&self) -> usize {
        self.inner.len.load(Ordering::Relaxed)
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key's hash, and its shard, locked.
    fn shard(&self, key: &K) -> (u64, MutexGuard<'_, Shard<K, V>>) {
        let shards = &self.inner.shards;
        let hash = self.inner.hasher.hash_one(key);
        // Bits the table does not use: it places an entry by the low bits and tells entries
        // apart by the top seven. At most 16 shards: the remainder fits any usize.
        let i = ((hash >> 32) % shards.len() as u64) as usize;
        (hash, lock(&shards[i]))
    }
}

impl<K, V> Shard<K, V> {
    /// Evicts the entries expired at `expiring` (a cache with a time to live), or if none has,
    /// the least recently used of a sample that starts at the bucket `draw` points to: how many
    /// it evicted.
    fn make_room(&mut self, expiring: Option<Instant>, draw: u64) -> usize {
        // Entries expire only in a cache with a time to live: without one, no scan.
        if let Some(now) = expiring {
            let before = self.table.len();
            self.table.retain(|e| e.expires.is_none_or(|at| at > now));
            if self.table.len() < before {
                return before - self.table.len();
            }
        }
        let buckets = self.table.num_buckets();
        if buckets == 0 {
            return 0;
        }
        // The bucket count is a power of two no larger than a usize holds.
        let start = (draw % buckets as u64) as usize;
        let oldest = (0..buckets)
            .map(|i| (start + i) % buckets)
            .filter_map(|i| self.table.get_bucket(i).map(|e| (i, e.used)))
            .take(SAMPLE)
            .min_by_key(|&(_, used)| used);
        match oldest.and_then(|(i, _)| self.table.get_bucket_entry(i).ok()) {
            Some(entry) => {
                entry.remove();
                1
            }
            None => 0,
        }
    }
}

/// A shard, locked. No operation panics halfway through a change, so a poisoned shard is still
/// consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K, V> Local<K, V>
where
    K: Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    /// The cache of this type the request's application provides.
    pub fn of(parts: &Parts) -> Option<Local<K, V>> {
        service::of::<Local<K, V>>(parts)
    }
}

impl<S: Send + Sync, K, V> FromRequestParts<S> for Local<K, V>
where
    K: Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    type Rejection = ChopinError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Local::of(parts).ok_or_else(|| {
            ChopinError::internal(format!(
                "a handler takes `{}`, but the application provides none: give it one with `App::with_service(Local::new(capacity))`",
                std::any::type_name::<Local<K, V>>()
            ))
        })
    }
}

/// In the process's memory: nothing a client sees.
impl<K, V> OperationInput for Local<K, V> {
    fn describe(_: &mut Operation<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_keeps_what_it_is_given_and_hands_out_clones() {
        let cache = Local::new(100);
        cache.insert("a", vec![1, 2]);
        assert_eq!(cache.get(&"a"), Some(vec![1, 2]));
        assert_eq!(cache.get(&"b"), None);
        cache.insert("a", vec![3]);
        assert_eq!(cache.get(&"a"), Some(vec![3]));
        assert_eq!(cache.remove(&"a"), Some(vec![3]));
        assert!(cache.is_empty());
    }

    #[test]
    fn it_never_holds_more_than_its_capacity() {
        let cache = Local::new(1000);
        for i in 0..10_000 {
            cache.insert(i, i);
        }
        assert_eq!(cache.len(), 1000);
        let held: usize = cache.inner.shards.iter().map(|s| lock(s).table.len()).sum();
        assert_eq!(held, 1000);
    }

    #[test]
    fn a_full_cache_evicts_what_was_used_longest_ago() {
        let cache = Local::new(64); // one shard of 64
        for i in 0..64 {
            cache.insert(i, i);
        }
        // Keys 0 to 7 are read before each insert of a new key: the entry evicted is the least
        // recently used of five sampled, so one of them only when all five are (about once in
        // 100,000 inserts). Evicting at random would leave about four of them.
        for round in 0..48 {
            for i in 0..8 {
                cache.get(&i);
            }
            cache.insert(1000 + round, 0);
        }
        let kept = (0..8).filter(|i| cache.get(i).is_some()).count();
        assert!(kept >= 7, "{kept} of the 8 keys read often are left");
        assert_eq!(cache.len(), 64);
    }

    #[tokio::test(start_paused = true)]
    async fn an_entry_is_gone_after_its_time_to_live() {
        let cache = Local::with_ttl(10, Duration::from_secs(60));
        cache.insert(1, "one");
        tokio::time::advance(Duration::from_secs(59)).await;
        assert_eq!(cache.get(&1), Some("one"));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(cache.get(&1), None);
        assert!(cache.is_empty(), "a lookup of an expired entry removes it");
    }

    #[tokio::test]
    async fn read_through_runs_the_loader_only_on_a_miss_and_keeps_no_error() {
        let cache: Local<u32, String> = Local::new(10);
        let failed = cache
            .get_or_try_insert_with(1, || async { Err::<String, _>("database away") })
            .await;
        assert_eq!(failed, Err("database away"));
        assert!(cache.is_empty());
        let made = cache
            .get_or_try_insert_with(1, || async { Ok::<_, &str>("one".to_owned()) })
            .await;
        assert_eq!(made.as_deref(), Ok("one"));
        let again = cache
            .get_or_try_insert_with(1, || async { Err::<String, _>("not called") })
            .await;
        assert_eq!(again.as_deref(), Ok("one"));
    }
}
