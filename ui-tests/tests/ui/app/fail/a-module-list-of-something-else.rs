// Every entry of a module list is a module, or a crate-level fast route's constant.
pub struct Settings;

chopin::modules! {
    pub type Modules = [Settings];
}

fn main() {}
