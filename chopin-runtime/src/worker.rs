//! Which worker runtime the current thread serves on.
//!
//! With `REUSEPORT=true` the server runs `WORKERS` tokio runtimes, one per thread, each
//! accepting on a listener of its own. A socket is driven by the runtime it was opened on: a
//! connection a battery opened on another runtime (the main one, while the application
//! started) costs a wake-up of that runtime's thread for every read. A battery that keeps
//! connections (the database's pools) therefore keeps them per worker, and asks here which one
//! it is on.

use std::cell::Cell;

thread_local! {
    static INDEX: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The index, from 0 to `WORKERS - 1`, of the worker runtime this thread runs; `None` off the
/// workers (the main runtime, a management command, a test, `REUSEPORT=false`).
pub fn current() -> Option<usize> {
    INDEX.with(Cell::get)
}

/// How many worker runtimes an application with `config` serves on: `WORKERS` with
/// `REUSEPORT=true`, none otherwise (it serves on the main runtime).
pub fn count(config: &crate::config::Config) -> usize {
    if config.reuseport {
        config.workers.get()
    } else {
        0
    }
}

/// Marks this thread as worker `index`'s.
pub(crate) fn enter(index: usize) {
    INDEX.with(|i| i.set(Some(index)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_is_no_worker_until_it_enters() {
        assert_eq!(current(), None);
        std::thread::spawn(|| {
            enter(3);
            assert_eq!(current(), Some(3));
        })
        .join()
        .map_err(|_| "the worker thread panicked")
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(current(), None);
    }
}
