//! The static table's lookup: the perfect hash against a `match` and a linear scan, at 4, 32 and
//! 256 routes. Each iteration looks up every route once and as many paths that miss.
//!
//! `cargo bench -p benchmark --bench static_table`
//!
//! Measured on the project's 2-core machine (per lookup): at 4 routes the match takes 1.6 ns, the
//! linear scan 1.7 ns and the perfect hash 3.1 ns; at 32 routes 2.3, 8.9 and 3.1 ns; at 256
//! routes 2.4, 78 and 3.4 ns. A `match` wins everywhere but can only be written where every path
//! is known at once; of the tables an application can assemble from its modules, the scan wins
//! up to about 8 routes and the hash from there on, so the runtime uses each where it wins.

use std::hint::black_box;

use chopin_runtime::perfect_hash::PerfectHash;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

mod matches {
    include!(concat!(env!("OUT_DIR"), "/matches.rs"));
}

fn path(i: usize) -> String {
    format!(
        "/api/v{}/{}-{i}",
        i % 3 + 1,
        ["users", "posts", "comments", "tags"][i % 4]
    )
}

type Matcher = fn(&[u8]) -> Option<usize>;

fn lookups(c: &mut Criterion) {
    let mut group = c.benchmark_group("static table lookup");
    let matchers: [(usize, Matcher); 3] = [
        (4, matches::match_4),
        (32, matches::match_32),
        (256, matches::match_256),
    ];
    for (n, matcher) in matchers {
        let keys: Vec<String> = (0..n).map(path).collect();
        let probes: Vec<Vec<u8>> = keys
            .iter()
            .map(|k| k.clone().into_bytes())
            .chain((0..n).map(|i| format!("/api/v1/missing-{i}").into_bytes()))
            .collect();
        let bytes: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
        let table = PerfectHash::build(&bytes);
        let perfect = |p: &[u8]| table.candidate(p).filter(|&i| bytes[i] == p);
        let linear = |p: &[u8]| bytes.iter().position(|k| *k == p);
        for (i, probe) in probes.iter().enumerate() {
            let expected = (i < n).then_some(i);
            assert_eq!(
                (perfect(probe), linear(probe), matcher(probe)),
                (expected, expected, expected)
            );
        }

        group.bench_with_input(BenchmarkId::new("perfect hash", n), &probes, |b, probes| {
            b.iter(|| {
                probes
                    .iter()
                    .filter_map(|p| perfect(black_box(p)))
                    .sum::<usize>()
            });
        });
        group.bench_with_input(BenchmarkId::new("match", n), &probes, |b, probes| {
            b.iter(|| {
                probes
                    .iter()
                    .filter_map(|p| matcher(black_box(p)))
                    .sum::<usize>()
            });
        });
        group.bench_with_input(BenchmarkId::new("linear scan", n), &probes, |b, probes| {
            b.iter(|| {
                probes
                    .iter()
                    .filter_map(|p| linear(black_box(p)))
                    .sum::<usize>()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
