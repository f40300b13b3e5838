//! `Storage` itself, on local files and in memory: what each operation does and refuses.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use chopin_runtime::http::Method;
use chopin_storage::{Storage, StorageConfig, StorageError, StorageUrl};

/// A store on a directory of its own that does not exist yet; the directory is removed after.
async fn local(name: &str) -> (Storage, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("chopin-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = StorageConfig {
        url: StorageUrl::File(dir.join("deep/files")),
        ..StorageConfig::default()
    };
    let storage = Storage::open(&config).await.expect("opens");
    (storage, dir)
}

async fn exercise(storage: &Storage) {
    let bytes = Bytes::from_static(b"0123456789abcdef");
    storage.put("a/b/c.txt", bytes.clone()).await.expect("put");
    assert_eq!(storage.head("a/b/c.txt").await.expect("head").size, 16);
    let part = storage.get("a/b/c.txt", Some(4..8)).await.expect("a range");
    assert_eq!(part.range, 4..8);
    assert_eq!(part.bytes().await.expect("bytes"), bytes.slice(4..8));
    let cut = storage
        .get("a/b/c.txt", Some(10..100))
        .await
        .expect("cut at the end");
    assert_eq!(cut.bytes().await.expect("bytes"), bytes.slice(10..));
    let past = storage.get("a/b/c.txt", Some(16..20)).await;
    assert!(
        matches!(past, Err(StorageError::InvalidRange { size: 16 })),
        "{past:?}"
    );

    // A writer's object appears whole on finish, and not at all when aborted.
    let mut writer = storage.writer("big.bin").expect("a writer");
    for _ in 0..40 {
        writer
            .write(Bytes::from(vec![7u8; 32 * 1024]))
            .await
            .expect("write");
    }
    assert!(matches!(
        storage.head("big.bin").await,
        Err(StorageError::NotFound(_))
    ));
    writer.finish().await.expect("finish");
    assert_eq!(
        storage.head("big.bin").await.expect("head").size,
        40 * 32 * 1024
    );
    let mut writer = storage.writer("dropped.bin").expect("a writer");
    for _ in 0..40 {
        writer
            .write(Bytes::from(vec![1u8; 32 * 1024]))
            .await
            .expect("write");
    }
    writer.abort().await.expect("abort");
    assert!(matches!(
        storage.head("dropped.bin").await,
        Err(StorageError::NotFound(_))
    ));

    for bad in [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a//b",
        "./a",
        "a\\b",
        "a\0b",
    ] {
        let refused = storage.put(bad, bytes.clone()).await;
        assert!(
            matches!(refused, Err(StorageError::InvalidKey(_))),
            "{bad:?}: {refused:?}"
        );
    }
    let signed = storage
        .signed_url(Method::GET, "a/b/c.txt", Duration::from_secs(60))
        .await;
    assert!(
        matches!(signed, Err(StorageError::Unsupported(_))),
        "{signed:?}"
    );

    // The sweep spares known keys, everything younger than the grace period, and every key an
    // upload would not have written.
    let orphan = "0190aaaa-0000-7000-8000-00000000000f";
    let kept = "0190bbbb-0000-7000-8000-00000000000f";
    for key in [orphan, kept] {
        storage.put(key, bytes.clone()).await.expect("put");
    }
    let known: HashSet<String> = ["big.bin".to_owned(), kept.to_owned()].into();
    let spared = storage
        .sweep(Duration::from_secs(3600), &known)
        .await
        .expect("sweep");
    assert_eq!(spared, Vec::<String>::new());
    let mut swept = storage.sweep(Duration::ZERO, &known).await.expect("sweep");
    swept.sort();
    assert_eq!(swept, [orphan]);
    for key in ["big.bin", kept, "a/b/c.txt"] {
        assert!(storage.head(key).await.is_ok(), "{key}");
    }
    storage.delete(kept).await.expect("delete");
    storage.delete("a/b/c.txt").await.expect("delete");

    storage.delete("big.bin").await.expect("delete");
    storage
        .delete("big.bin")
        .await
        .expect("deleting what is gone");
    let gone = storage.get("big.bin", None).await;
    assert!(matches!(gone, Err(StorageError::NotFound(_))), "{gone:?}");
}

#[tokio::test]
async fn on_local_files() {
    let (storage, dir) = local("ops").await;
    assert!(!dir.exists(), "nothing is created before the first write");
    let empty = storage
        .sweep(Duration::ZERO, &HashSet::new())
        .await
        .expect("sweep");
    assert_eq!(
        empty,
        Vec::<String>::new(),
        "a directory not made yet holds nothing"
    );
    exercise(&storage).await;
    assert!(dir.join("deep/files").is_dir());
    let left: Vec<_> = std::fs::read_dir(dir.join("deep/files"))
        .expect("the directory")
        .flatten()
        .filter(|e| e.path().is_file())
        .collect();
    assert!(left.is_empty(), "no staged part is left: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn in_memory() {
    exercise(&Storage::memory()).await;
}
