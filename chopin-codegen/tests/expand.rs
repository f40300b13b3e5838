//! What each attribute expands to, formatted with prettyplease and held in insta snapshots
//! (`tests/snapshots/`). A change to the generated code shows up as a snapshot diff to read.

use chopin_codegen::{fast_route, model, module, route};
use proc_macro2::TokenStream;
use quote::quote;

/// Tokens as prettyplease formats them (not `rustfmt`, whose output may change with the
/// toolchain), or as plain tokens when they are not a file of items.
fn pretty(tokens: &TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

#[test]
fn a_module_with_every_kind_of_route() {
    let out = module(
        quote!(name = "blog", prefix = "/blog", requires(Auth)),
        quote! {
            impl Blog {
                /// Liveness.
                #[fast_route("/health", text, cache_control = "no-cache")]
                const HEALTH: &'static str = "OK";

                #[fast_route("/about", html, cors, methods(GET, HEAD), header("X-Frame-Options", "DENY"))]
                const ABOUT: &'static [u8] = include_bytes!("about.html");

                #[get("/posts/{id}")]
                async fn show(State(db): State<Db>, Path(id): Path<i64>) -> Result<Json<Post>, StatusCode> {
                    db.post(id).await.map(Json).ok_or(StatusCode::NOT_FOUND)
                }

                #[post("/posts", auth, name = "create_post", tag = "posts")]
                async fn create(user: AuthUser, State(db): State<Db>, Json(input): Json<NewPost>) -> StatusCode {
                    db.insert(user, input).await
                }

                #[chopin::delete("/posts/{id}", auth(role = "admin"))]
                pub(crate) async fn remove(Path(id): Path<i64>) -> StatusCode {
                    StatusCode::NO_CONTENT
                }

                fn helper(&self) -> u8 {
                    1
                }
            }
        },
    );
    insta::assert_snapshot!(pretty(&out));
}

#[test]
fn an_auth_provider_and_a_generic_module() {
    let provider = module(
        quote!(name = "auth", provides(auth), crate = "my_app::chopin"),
        quote! {
            impl Accounts {
                #[get("/me", auth)]
                async fn me(user: AuthUser) -> String {
                    user.id
                }
            }
        },
    );
    let generic = module(
        quote!(),
        quote! {
            impl<R: Repo> Store<R> where R: Clone {
                #[any("/items/{*rest}")]
                async fn item(Path(rest): Path<String>, State(repo): State<R>) -> String {
                    repo.get(&rest)
                }
            }
        },
    );
    insta::assert_snapshot!(format!("{}\n{}", pretty(&provider), pretty(&generic)));
}

#[test]
fn a_crate_level_fast_route() {
    let out = fast_route(
        quote!("/json", json, cors),
        quote! {
            /// The benchmark's response.
            pub const JSON: &str = r#"{"message":"Hello, World!"}"#;
        },
    );
    insta::assert_snapshot!(pretty(&out));
}

#[test]
fn mistakes_expand_to_every_error_and_the_block_as_written() {
    let out = module(
        quote!(prefx = "/blog"),
        quote! {
            impl Blog {
                #[get("/posts/{id}")]
                fn show() {}

                #[fast_route("/about", html, auth)]
                const ABOUT: &'static str = "about";
            }
        },
    );
    insta::assert_snapshot!(pretty(&out));
    let out = route(
        "get",
        &quote! {
            async fn list() {}
        },
    );
    insta::assert_snapshot!("route_outside_a_module", pretty(&out));
}

#[test]
fn a_model_with_a_relation_validation_defaults_and_timestamps() {
    let out = model(
        quote!(table = "posts", has_many(Comment)),
        quote! {
            /// A blog post.
            pub struct Post {
                #[model(primary_key)]
                pub id: i64,
                /// The headline.
                #[model(max_len = 200, min_len = 1)]
                pub title: String,
                pub body: String,
                #[model(belongs_to = User, on_delete = "cascade")]
                pub author_id: i64,
                #[model(email)]
                pub contact: Option<String>,
                #[model(range(min = 0, max = 5))]
                pub stars: i32,
                #[model(default = false)]
                pub published: bool,
                #[model(created_at)]
                pub created_at: DateTimeUtc,
                #[model(updated_at)]
                pub updated_at: DateTimeUtc,
            }
        },
    );
    insta::assert_snapshot!(pretty(&out));
}

#[test]
fn a_model_with_private_columns() {
    let out = model(
        quote!(table = "auth_users"),
        quote! {
            pub struct User {
                #[model(primary_key)]
                pub id: i64,
                #[model(email, max_len = 254, unique)]
                pub email: String,
                #[model(max_len = 32, default = "user")]
                pub role: String,
                /// The argon2id hash of the password.
                #[model(private)]
                pub password_hash: String,
                #[model(private, max_len = 64, unique)]
                pub totp_secret: Option<String>,
                #[model(private, default = 0)]
                pub totp_last_step: i64,
                #[model(created_at)]
                pub created_at: DateTimeUtc,
            }
        },
    );
    insta::assert_snapshot!(pretty(&out));
}

#[test]
fn a_model_whose_rows_belong_to_users() {
    let out = model(
        quote!(table = "notes"),
        quote! {
            pub struct Note {
                #[model(primary_key)]
                pub id: i64,
                /// Whose note it is.
                #[model(owner, belongs_to = User, on_delete = "cascade")]
                pub owner_id: i32,
                #[model(min_len = 1, max_len = 200)]
                pub title: String,
                #[model(created_at)]
                pub created_at: DateTimeUtc,
            }
        },
    );
    insta::assert_snapshot!(pretty(&out));
}
