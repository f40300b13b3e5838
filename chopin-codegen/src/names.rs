//! How the code generator spells Rust names: a type as a person writes it, for messages and
//! manifests, and a type's name in snake case, for defaults derived from it.

use quote::ToTokens;
use syn::Type;

/// `Blog<T>` as a person writes it, not as tokens print (`Blog < T >`).
pub fn pretty(ty: &Type) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(' ', "")
        .replace(',', ", ")
}

/// `AuthModule` → `auth_module`.
pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
