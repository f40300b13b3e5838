// A fast route's bytes are computed once, so they cannot depend on a type parameter.
use std::marker::PhantomData;

struct Store<T>(PhantomData<T>);

#[chopin::module]
impl<T: Send + Sync + 'static> Store<T> {
    #[fast_route("/health", text)]
    const HEALTH: &'static str = "OK";
}

fn main() {}
