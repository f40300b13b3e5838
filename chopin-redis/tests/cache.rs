//! The cache service, on the backend `test_cache` gives: memory, or Redis when
//! `CHOPIN_TEST_REDIS_URL` is set (CI runs this file both ways).

use std::collections::HashSet;
use std::time::Duration;

use chopin_redis::test_cache;
use chopin_runtime::axum::extract::FromRequestParts;
use chopin_runtime::cache::{Cache, CacheError};
use chopin_runtime::http::StatusCode;
use serde::{Deserialize, Serialize};

/// A time to live short enough for tests, long enough to outlast the writes made under it.
const SHORT: Duration = Duration::from_millis(400);

/// Sleeps past `SHORT`, with room for Redis's expiry and a loaded machine.
async fn outlive_short() {
    tokio::time::sleep(SHORT + Duration::from_millis(150)).await;
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Session {
    user: String,
    roles: Vec<String>,
    expires: Option<u64>,
}

#[tokio::test]
async fn raw_values_round_trip() -> Result<(), CacheError> {
    let cache = test_cache().await;
    let bytes = [0u8, 1, 2, 255, b'\n'];
    cache.set_raw("blob", &bytes, Some(SHORT * 10)).await?;
    assert_eq!(cache.get_raw("blob").await?, Some(bytes.to_vec()));
    cache.set_raw("empty", b"", Some(SHORT * 10)).await?;
    assert_eq!(cache.get_raw("empty").await?, Some(Vec::new()));
    Ok(())
}

#[tokio::test]
async fn json_values_round_trip() -> Result<(), CacheError> {
    let cache = test_cache().await;
    let session = Session {
        user: "alice".into(),
        roles: vec!["user".into(), "admin".into()],
        expires: None,
    };
    cache
        .set_json("session", &session, Some(SHORT * 10))
        .await?;
    assert_eq!(cache.get_json::<Session>("session").await?, Some(session));
    // Unsized values write as well.
    cache
        .set_json("tags", &["a", "b"][..], Some(SHORT * 10))
        .await?;
    assert_eq!(
        cache.get_raw("tags").await?.as_deref(),
        Some(&br#"["a","b"]"#[..])
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_key_is_none() -> Result<(), CacheError> {
    let cache = test_cache().await;
    assert_eq!(cache.get_raw("nothing").await?, None);
    assert_eq!(cache.get_json::<Session>("nothing").await?, None);
    assert_eq!(cache.ttl("nothing").await?, None);
    assert!(!cache.exists("nothing").await?);
    Ok(())
}

#[tokio::test]
async fn overwriting_replaces_the_value_and_its_expiry() -> Result<(), CacheError> {
    let cache = test_cache().await;
    cache.set_raw("k", b"one", Some(SHORT * 10)).await?;
    cache.set_raw("k", b"two", Some(SHORT * 20)).await?;
    assert_eq!(cache.get_raw("k").await?, Some(b"two".to_vec()));
    let ttl = cache.ttl("k").await?.expect("a time to live");
    assert!(ttl > SHORT * 10 && ttl <= SHORT * 20, "{ttl:?}");

    // Written again without a time to live, it loses the one it had.
    cache.set_raw("k", b"three", None).await?;
    assert_eq!(cache.get_raw("k").await?, Some(b"three".to_vec()));
    assert_eq!(cache.ttl("k").await?, None);
    assert!(cache.del("k").await?);
    Ok(())
}

#[tokio::test]
async fn values_expire_after_their_ttl() -> Result<(), CacheError> {
    let cache = test_cache().await;
    cache.set_raw("raw", b"v", Some(SHORT)).await?;
    cache.set_json("json", &7, Some(SHORT)).await?;
    cache.set_raw("long", b"v", Some(SHORT * 10)).await?;

    let ttl = cache.ttl("raw").await?.expect("a time to live");
    assert!(ttl > Duration::ZERO && ttl <= SHORT, "{ttl:?}");
    assert!(cache.exists("raw").await?);

    outlive_short().await;
    assert_eq!(cache.get_raw("raw").await?, None);
    assert_eq!(cache.get_json::<i32>("json").await?, None);
    assert_eq!(cache.ttl("raw").await?, None);
    assert!(!cache.exists("raw").await?);
    assert!(
        !cache.del("raw").await?,
        "an expired key is not there to delete"
    );
    assert_eq!(cache.get_raw("long").await?, Some(b"v".to_vec()));
    Ok(())
}

#[tokio::test]
async fn a_value_set_without_ttl_has_none() -> Result<(), CacheError> {
    let cache = test_cache().await;
    cache.set_raw("forever", b"v", None).await?;
    cache.set_json("forever-json", &true, None).await?;
    assert!(cache.exists("forever").await?);
    assert_eq!(cache.ttl("forever").await?, None);
    assert_eq!(cache.ttl("forever-json").await?, None);
    // Tidy up: on Redis, keys without expiry outlive the test.
    assert!(cache.del("forever").await?);
    assert!(cache.del("forever-json").await?);
    Ok(())
}

#[tokio::test]
async fn incr_counts_in_a_fixed_window() -> Result<(), CacheError> {
    let cache = test_cache().await;
    let window = Duration::from_millis(500);

    let first = cache.incr("hits", window).await?;
    assert_eq!(first.count, 1);
    assert!(
        first.ttl > Duration::ZERO && first.ttl <= window,
        "{first:?}"
    );

    tokio::time::sleep(Duration::from_millis(150)).await;
    let second = cache.incr("hits", window).await?;
    let third = cache.incr("hits", window).await?;
    assert_eq!((second.count, third.count), (2, 3));
    // Later increments do not extend the window: 150 ms of it have gone.
    assert!(
        second.ttl <= window - Duration::from_millis(100),
        "{second:?}"
    );
    assert!(third.ttl <= second.ttl, "{third:?} after {second:?}");
    assert_eq!(cache.get_raw("hits").await?, Some(b"3".to_vec()));
    assert_eq!(cache.get_json::<u64>("hits").await?, Some(3));
    let ttl = cache.ttl("hits").await?.expect("a counter expires");
    assert!(ttl <= third.ttl, "{ttl:?}");

    // Once the window has passed, a new one starts.
    tokio::time::sleep(window + Duration::from_millis(100) - Duration::from_millis(150)).await;
    let fresh = cache.incr("hits", window).await?;
    assert_eq!(fresh.count, 1);
    assert!(fresh.ttl > window - Duration::from_millis(100), "{fresh:?}");
    Ok(())
}

#[tokio::test]
async fn incr_counts_on_from_an_integer_and_gives_it_a_window() -> Result<(), CacheError> {
    let cache = test_cache().await;
    let window = Duration::from_secs(5);
    cache.set_raw("n", b"41", None).await?;
    let counter = cache.incr("n", window).await?;
    assert_eq!(counter.count, 42);
    assert!(
        counter.ttl <= window && counter.ttl > window / 2,
        "{counter:?}"
    );
    let ttl = cache.ttl("n").await?.expect("the counter got the window");
    assert!(ttl <= window, "{ttl:?}");
    Ok(())
}

#[tokio::test]
async fn incr_refuses_a_value_that_is_not_a_counter() -> Result<(), CacheError> {
    let cache = test_cache().await;
    for (key, value) in [
        ("text", &b"abc"[..]),
        ("float", b"1.5"),
        ("negative", b"-5"),
    ] {
        cache.set_raw(key, value, Some(SHORT * 10)).await?;
        let err = cache.incr(key, SHORT).await.expect_err("an error");
        assert!(
            matches!(&err, CacheError::NotACounter { key: k } if k.ends_with(key)),
            "{key}: {err:?}"
        );
        assert!(err.to_string().contains(key), "{err}");
    }
    // Text that is not a counter is left as it was.
    assert_eq!(cache.get_raw("text").await?, Some(b"abc".to_vec()));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_increments_are_atomic() -> Result<(), CacheError> {
    let cache = test_cache().await;
    let window = Duration::from_secs(10);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.incr("concurrent", window).await })
        })
        .collect();
    let mut counts = HashSet::new();
    for task in tasks {
        let counter = task.await.expect("the task ran").expect("incr succeeded");
        assert!(counter.ttl <= window, "{counter:?}");
        assert!(
            counts.insert(counter.count),
            "count {} twice",
            counter.count
        );
    }
    assert_eq!(counts, (1..=50).collect::<HashSet<u64>>());
    assert_eq!(cache.get_raw("concurrent").await?, Some(b"50".to_vec()));
    assert!(cache.del("concurrent").await?);
    Ok(())
}

#[tokio::test]
async fn del_says_whether_the_key_existed() -> Result<(), CacheError> {
    let cache = test_cache().await;
    cache.set_raw("k", b"v", Some(SHORT * 10)).await?;
    assert!(cache.del("k").await?);
    assert_eq!(cache.get_raw("k").await?, None);
    assert!(!cache.del("k").await?);
    assert!(!cache.del("never").await?);
    cache.incr("counter", SHORT * 10).await?;
    assert!(cache.del("counter").await?);
    assert_eq!(cache.incr("counter", SHORT * 10).await?.count, 1);
    Ok(())
}

#[tokio::test]
async fn exists_sees_values_and_counters() -> Result<(), CacheError> {
    let cache = test_cache().await;
    assert!(!cache.exists("k").await?);
    cache.set_raw("k", b"", Some(SHORT * 10)).await?;
    assert!(cache.exists("k").await?);
    cache.incr("c", SHORT * 10).await?;
    assert!(cache.exists("c").await?);
    cache.del("k").await?;
    assert!(!cache.exists("k").await?);
    Ok(())
}

#[tokio::test]
async fn prefixes_keep_keys_apart() -> Result<(), CacheError> {
    let cache = test_cache().await;
    let a = cache.prefixed("a:");
    let b = cache.prefixed("b:");
    let ttl = Some(SHORT * 10);
    a.set_raw("k", b"from a", ttl).await?;
    b.set_raw("k", b"from b", ttl).await?;
    assert_eq!(a.get_raw("k").await?, Some(b"from a".to_vec()));
    assert_eq!(b.get_raw("k").await?, Some(b"from b".to_vec()));

    a.set_raw("only-a", b"v", ttl).await?;
    assert!(!b.exists("only-a").await?);
    assert_eq!(b.get_raw("only-a").await?, None);
    assert!(!b.del("only-a").await?);
    assert!(a.exists("only-a").await?);

    assert_eq!(a.incr("n", SHORT * 10).await?.count, 1);
    assert_eq!(b.incr("n", SHORT * 10).await?.count, 1);
    assert_eq!(a.incr("n", SHORT * 10).await?.count, 2);

    // A prefix is a plain key prefix, and prefixes nest.
    assert_eq!(cache.get_raw("a:k").await?, Some(b"from a".to_vec()));
    assert_eq!(
        cache.prefixed("a").get_raw(":k").await?,
        Some(b"from a".to_vec())
    );
    assert_eq!(a.prefix(), format!("{}a:", cache.prefix()));
    assert_eq!(a.prefixed("x:").prefix(), format!("{}a:x:", cache.prefix()));
    Ok(())
}

#[tokio::test]
async fn two_test_caches_do_not_share_keys() -> Result<(), CacheError> {
    let one = test_cache().await;
    let two = test_cache().await;
    assert_ne!(one.prefix(), two.prefix());
    one.set_raw("k", b"v", Some(SHORT * 10)).await?;
    assert!(!two.exists("k").await?);
    Ok(())
}

#[tokio::test]
async fn get_json_of_a_value_that_is_not_json_is_an_error() -> Result<(), CacheError> {
    let cache = test_cache().await;
    cache.set_raw("bad", b"{not json", Some(SHORT * 10)).await?;
    let err = cache
        .get_json::<Session>("bad")
        .await
        .expect_err("an error");
    assert!(matches!(err, CacheError::Json(_)), "{err:?}");

    // Valid JSON of another shape is an error too.
    cache.set_json("number", &5, Some(SHORT * 10)).await?;
    let err = cache
        .get_json::<Session>("number")
        .await
        .expect_err("an error");
    assert!(matches!(err, CacheError::Json(_)), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn set_json_of_a_value_json_cannot_write_is_an_error() -> Result<(), CacheError> {
    let cache = test_cache().await;
    let map = std::collections::HashMap::from([((1, 2), "v")]);
    let err = cache
        .set_json("map", &map, None)
        .await
        .expect_err("an error");
    assert!(matches!(err, CacheError::Json(_)), "{err:?}");
    assert!(!cache.exists("map").await?);
    Ok(())
}

#[tokio::test]
async fn a_redis_server_that_is_not_there_fails_to_connect() -> Result<(), CacheError> {
    let started = std::time::Instant::now();
    let err = chopin_redis::connect("redis://127.0.0.1:1")
        .await
        .expect_err("an error");
    assert!(
        matches!(&err, CacheError::Connect { url, .. } if url == "redis://127.0.0.1:1"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("redis://127.0.0.1:1"),
        "the message names the URL: {err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "failed at once, not after retries"
    );

    // The password stays out of the error.
    let err = chopin_redis::connect("redis://:hunter2@127.0.0.1:1/0")
        .await
        .expect_err("no server there");
    let message = err.to_string();
    assert!(message.contains("redis://:***@127.0.0.1:1/0"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");

    // As does a URL that is not one.
    let err = chopin_redis::connect("http://127.0.0.1:6379")
        .await
        .expect_err("an error");
    assert!(matches!(err, CacheError::Connect { .. }), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn the_plugin_gives_the_app_the_cache_redis_url_names() -> Result<(), chopin_runtime::Error> {
    use chopin_redis::Redis;
    use chopin_runtime::{App, Config};

    // Without `REDIS_URL`: the in-memory cache.
    let app = App::with_config(Config::default())
        .with_plugin(Redis)
        .connect()
        .await?;
    assert_eq!(app.cache().map(Cache::backend_name), Some("memory"));

    // A cache given by hand is kept, whatever `REDIS_URL` says.
    let nowhere = Config::from_lookup(|name| {
        (name == "REDIS_URL").then(|| "redis://127.0.0.1:1".to_owned())
    })?;
    let app = App::with_config(nowhere.clone())
        .with_plugin(Redis)
        .with_cache(Cache::memory().prefixed("mine:"))
        .connect()
        .await?;
    assert_eq!(app.cache().map(Cache::prefix), Some("mine:"));

    // A server that is not there stops the start, naming the variable and the URL.
    let err = App::with_config(nowhere)
        .with_plugin(Redis)
        .connect()
        .await
        .err()
        .map(|e| e.to_string());
    let err = err.unwrap_or_default();
    assert!(
        err.starts_with(
            "the cache service (REDIS_URL): cannot connect to Redis at redis://127.0.0.1:1:"
        ),
        "{err}"
    );

    // The server tests run on, when there is one.
    if let Ok(url) = std::env::var("CHOPIN_TEST_REDIS_URL")
        && !url.trim().is_empty()
    {
        let config = Config::from_lookup(move |name| (name == "REDIS_URL").then(|| url.clone()))?;
        let app = App::with_config(config)
            .with_plugin(Redis)
            .connect()
            .await?;
        assert_eq!(app.cache().map(Cache::backend_name), Some("redis"));
        assert_eq!(test_cache().await.backend_name(), "redis");
    } else {
        assert_eq!(test_cache().await.backend_name(), "memory");
    }
    Ok(())
}

#[tokio::test]
async fn handlers_extract_the_cache_from_the_request() -> Result<(), CacheError> {
    let cache = test_cache().await;
    cache.set_raw("k", b"v", Some(SHORT * 10)).await?;

    let (mut parts, ()) = chopin_runtime::http::Request::new(()).into_parts();
    parts.extensions.insert(cache.clone());
    let extracted = Cache::from_request_parts(&mut parts, &())
        .await
        .expect("the cache is in the extensions");
    assert_eq!(extracted.get_raw("k").await?, Some(b"v".to_vec()));

    let (mut parts, ()) = chopin_runtime::http::Request::new(()).into_parts();
    let rejection = Cache::from_request_parts(&mut parts, &())
        .await
        .expect_err("no cache in the extensions");
    assert_eq!(rejection.status(), StatusCode::INTERNAL_SERVER_ERROR);
    Ok(())
}

#[tokio::test]
async fn a_cache_server_that_refuses_is_a_503_that_names_the_cache_and_nothing_else()
-> Result<(), CacheError> {
    let err = chopin_redis::connect("redis://127.0.0.1:1")
        .await
        .expect_err("an error");
    let err = chopin_runtime::ChopinError::from(err);
    assert_eq!(
        (
            err.status(),
            err.code(),
            err.dependency(),
            err.retry_after_secs()
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            Some("cache"),
            Some(1)
        )
    );
    assert!(
        !err.message().contains("127.0.0.1"),
        "the client is not told"
    );
    // A value that is not what was asked for is a bug, not an outage.
    let cache = test_cache().await;
    cache
        .set_raw("not-a-counter", b"abc", Some(SHORT * 10))
        .await?;
    let err = cache
        .incr("not-a-counter", SHORT)
        .await
        .map_err(chopin_runtime::ChopinError::from)
        .expect_err("not a counter");
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    Ok(())
}
