// A prefix's parameters come first in a handler's `Path`; `""` and `"/"` are the root.
use chopin::prelude::*;

pub struct Projects;

#[chopin::module(prefix = "/orgs/{org}")]
impl Projects {
    #[get("/")]
    async fn org(Path(org): Path<String>) -> String {
        org
    }

    #[get("/projects/{id}")]
    async fn show(Path((org, id)): Path<(String, u64)>) -> String {
        format!("{org}/{id}")
    }

    #[delete("/projects/{id}")]
    async fn remove(Path((org, id)): Path<(String, u64)>) -> String {
        format!("{org}/{id}")
    }
}

pub struct Empty;

#[chopin::module(prefix = "")]
impl Empty {
    #[get("/a")]
    async fn a() {}
}

pub struct Slash;

#[chopin::module(prefix = "/")]
impl Slash {
    #[get("/b")]
    async fn b() {}
}

chopin::assert_app!(Projects, Empty, Slash);

fn main() {
    let app = App::with_config(Config::default())
        .mount_module(Projects)
        .mount_module(Empty)
        .mount_module(Slash);
    let paths: Vec<String> = app.routes().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/orgs/{org}", "/orgs/{org}/projects/{id}", "/orgs/{org}/projects/{id}", "/a", "/b"]
    );
}
