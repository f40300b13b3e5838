//! The `date` header value, cached per thread and refreshed when the second changes.
//!
//! Formatting an IMF-fixdate costs far more than serving a fast route, so each thread keeps the
//! current value and reformats it only when the wall clock has moved to a new second.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) const DATE_LEN: usize = 29;

thread_local! {
    static CACHE: Cell<(u64, [u8; DATE_LEN])> = const { Cell::new((u64::MAX, [b' '; DATE_LEN])) };
}

/// The current date as the `date` header's value.
#[inline]
pub(crate) fn now() -> [u8; DATE_LEN] {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let (cached_secs, bytes) = cache.get();
        if cached_secs == secs {
            return bytes;
        }
        let mut fresh = [b' '; DATE_LEN];
        let formatted = httpdate::fmt_http_date(now);
        // An IMF-fixdate is always 29 bytes for years 1970..=9999.
        let n = formatted.len().min(DATE_LEN);
        fresh[..n].copy_from_slice(&formatted.as_bytes()[..n]);
        cache.set((secs, fresh));
        fresh
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn is_an_imf_fixdate_of_now() {
        let date = super::now();
        let text = std::str::from_utf8(&date).expect("ascii");
        let parsed = httpdate::parse_http_date(text).expect("IMF-fixdate");
        let age = std::time::SystemTime::now()
            .duration_since(parsed)
            .expect("not in the future");
        assert!(age.as_secs() <= 1, "{text} is {age:?} old");
        assert!(text.ends_with(" GMT"));
    }
}
