//! Which errors are outages: a dependency (the database, the cache) that cannot be reached or
//! did not answer in time, as opposed to a bug.
//!
//! `?` turns any error into a [`ChopinError`](crate::ChopinError): a `500` by default, a `503
//! unavailable` naming the dependency, with `retry-after`, when a classifier registered here
//! recognises the error or one of its sources. The kernel cannot name a battery's error types, so
//! each battery registers a classifier for its own when it is set up (the cache's when a `Cache`
//! is made, the database's when a `Db` is), and the conversion asks them all.

use std::error::Error;
use std::sync::RwLock;
use std::time::Duration;

/// A dependency that cannot be reached, as a classifier recognises it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outage {
    /// What cannot be reached, as clients will read it: `database`, `cache`.
    pub dependency: &'static str,
    /// How long a client should wait before it retries.
    pub retry_after: Duration,
}

/// Recognises an outage in one error (not its sources: [`classify`] walks them).
pub type Classifier = fn(&(dyn Error + 'static)) -> Option<Outage>;

static CLASSIFIERS: RwLock<Vec<Classifier>> = RwLock::new(Vec::new());

/// Adds `classifier`, once however often it is registered.
pub fn register(classifier: Classifier) {
    let mut list = CLASSIFIERS.write().unwrap_or_else(|e| e.into_inner());
    if !list.iter().any(|c| std::ptr::fn_addr_eq(*c, classifier)) {
        list.push(classifier);
    }
}

/// The outage `error` or one of its sources is, if a registered classifier recognises one.
pub fn classify(error: &(dyn Error + 'static)) -> Option<Outage> {
    let list = CLASSIFIERS.read().unwrap_or_else(|e| e.into_inner());
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(outage) = list.iter().find_map(|classify| classify(error)) {
            return Some(outage);
        }
        next = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    #[derive(Debug)]
    struct Refused;

    impl fmt::Display for Refused {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection refused")
        }
    }

    impl Error for Refused {}

    #[derive(Debug)]
    struct Wrapped(Refused);

    impl fmt::Display for Wrapped {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("query failed")
        }
    }

    impl Error for Wrapped {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    fn refused(error: &(dyn Error + 'static)) -> Option<Outage> {
        error.downcast_ref::<Refused>().map(|_| Outage {
            dependency: "test server",
            retry_after: Duration::from_secs(2),
        })
    }

    #[test]
    fn a_registered_classifier_recognises_its_error_among_the_sources() {
        let outage = Outage {
            dependency: "test server",
            retry_after: Duration::from_secs(2),
        };
        register(refused);
        register(refused);
        assert_eq!(
            CLASSIFIERS
                .read()
                .map(|l| l
                    .iter()
                    .filter(|c| std::ptr::fn_addr_eq(**c, refused as Classifier))
                    .count())
                .ok(),
            Some(1),
            "registered once"
        );
        assert_eq!(classify(&Refused), Some(outage));
        assert_eq!(classify(&Wrapped(Refused)), Some(outage));
        assert_eq!(classify(&fmt::Error), None);
    }
}
