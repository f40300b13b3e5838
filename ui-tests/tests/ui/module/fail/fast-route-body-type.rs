// A fast route's constant holds bytes or text.

struct Status;

#[chopin::module]
impl Status {
    #[fast_route("/answer", text)]
    const ANSWER: u32 = 42;
}

fn main() {}
