//! [`Owned`]: the rows of a model that belong to a user, as `#[model(owner)]` on its owner
//! column declares; what the generated entity implements, and the queries that reach a row only
//! for its owner (or a user with a role that may reach every row, [`Bypass`]).
//!
//! The owner is compared in the SQL statement itself (`WHERE id = ? AND author_id = ?`), so there
//! is no window between a check and the statement it guards. A row that is not the user's is a
//! `404` with the message of a row that does not exist: the answer does not say that it does.

use std::fmt::Debug;
use std::future::Future;
use std::str::FromStr;

use chopin_runtime::ChopinError;
use chopin_runtime::auth::AuthUser;
use sea_orm::sea_query::IntoValueTuple;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Iterable, PrimaryKeyToColumn,
    PrimaryKeyTrait, QueryFilter, Select, Value,
};

/// The primary key's value of entity `E` (`i64` for `id: i64`).
pub type KeyOf<E> = <<E as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType;

/// Who, besides its owner, reaches a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bypass {
    /// Nobody: a user reaches their own rows only.
    Nobody,
    /// Users with this role ([`AuthUser::has_role`]: `Role("moderator")` lets admins in too).
    Role(&'static str),
}

impl Bypass {
    /// Whether `user` reaches every row.
    pub fn admits(self, user: &AuthUser) -> bool {
        match self {
            Bypass::Nobody => false,
            Bypass::Role(role) => user.has_role(role),
        }
    }
}

/// The entity of a model whose rows belong to a user: `#[model(owner)]` on an integer field
/// holding the user's id (`AuthUser::id`, parsed) implements it.
///
/// ```text
/// #[chopin::model(table = "posts")]
/// pub struct Post {
///     #[model(primary_key)] pub id: i64,
///     #[model(owner)] pub author_id: i64,
///     pub title: String,
/// }
///
/// let mine = post::Entity::find_owned_by(&user, Bypass::Nobody)?.all(&*db).await?;
/// let post = post::Entity::find_for(&*db, id, &user, Bypass::Role("moderator")).await?;
/// post::Entity::delete_for(&*db, id, &user, Bypass::Role("moderator")).await?;
/// ```
#[diagnostic::on_unimplemented(
    message = "the rows of `{Self}` do not belong to users",
    label = "no field of its model is marked `#[model(owner)]`",
    note = "mark the model's user id field `#[model(owner)]`, as in `#[model(owner)] pub author_id: i64`"
)]
pub trait Owned: EntityTrait {
    /// The owner column's type: `i64` or `i32`.
    type OwnerId: FromStr + Into<Value> + Send;
    /// What a row is called in messages: `post` (`no post 7`).
    const NOUN: &'static str;

    /// The owner column.
    fn owner_column() -> Self::Column;

    /// The rows `user` reaches: `WHERE author_id = ?`, or every row when `bypass` admits them.
    ///
    /// # Errors
    /// `500 internal` when the user's id is not a number (the provider's ids are not the
    /// owner column's).
    fn find_owned_by(user: &AuthUser, bypass: Bypass) -> Result<Select<Self>, ChopinError> {
        Ok(Self::find().filter(owner_condition::<Self>(user, bypass)?))
    }

    /// Row `id` if `user` reaches it: `WHERE id = ? AND author_id = ?`.
    ///
    /// # Errors
    /// As [`Self::find_owned_by`].
    fn find_owned(
        id: KeyOf<Self>,
        user: &AuthUser,
        bypass: Bypass,
    ) -> Result<Select<Self>, ChopinError> {
        let owner = owner_condition::<Self>(user, bypass)?;
        Ok(Self::find_by_id(id).filter(owner))
    }

    /// Row `id`, loaded for `user`: to show it, or to change it with a patch.
    ///
    /// # Errors
    /// `404 not_found` (`no post 7`) when there is no such row or `user` does not reach it,
    /// alike; `500 internal` as [`Self::find_owned_by`]; the database's errors.
    fn find_for<'a, C: ConnectionTrait>(
        db: &'a C,
        id: KeyOf<Self>,
        user: &AuthUser,
        bypass: Bypass,
    ) -> impl Future<Output = Result<Self::Model, ChopinError>> + Send + 'a
    where
        Self: 'a,
    {
        let missing = not_found::<Self>(&id);
        let select = Self::find_owned(id, user, bypass);
        async move { select?.one(db).await?.ok_or(missing) }
    }

    /// Deletes row `id` for `user`: `DELETE … WHERE id = ? AND author_id = ?`.
    ///
    /// # Errors
    /// As [`Self::find_for`].
    fn delete_for<'a, C: ConnectionTrait>(
        db: &'a C,
        id: KeyOf<Self>,
        user: &AuthUser,
        bypass: Bypass,
    ) -> impl Future<Output = Result<(), ChopinError>> + Send + 'a
    where
        Self: 'a,
    {
        let missing = not_found::<Self>(&id);
        let delete = owner_condition::<Self>(user, bypass).map(|owner| {
            Self::delete_many()
                .filter(key_condition::<Self>(id))
                .filter(owner)
        });
        async move {
            match delete?.exec(db).await?.rows_affected {
                0 => Err(missing),
                _ => Ok(()),
            }
        }
    }
}

/// `user`'s id as the owner column of `E` holds it.
///
/// # Errors
/// `500 internal` when it is not a number of that type: the application's auth provider names
/// users in a way the owner column cannot hold, a mistake of the application, never of the
/// client (the detail is logged).
pub fn owner_id<T: FromStr>(user: &AuthUser) -> Result<T, ChopinError> {
    user.id.parse().map_err(|_| {
        ChopinError::internal(format!(
            "the signed-in user's id `{}` is not a number, and an owner column (`#[model(owner)]`) holds the user's id as one",
            user.id
        ))
    })
}

/// `WHERE owner = user`, or nothing when `bypass` admits `user`.
fn owner_condition<E: Owned>(user: &AuthUser, bypass: Bypass) -> Result<Condition, ChopinError> {
    if bypass.admits(user) {
        return Ok(Condition::all());
    }
    let id: E::OwnerId = owner_id(user)?;
    Ok(Condition::all().add(E::owner_column().eq(id)))
}

/// `WHERE id = ?`, over every column of the primary key.
fn key_condition<E: EntityTrait>(id: KeyOf<E>) -> Condition {
    E::PrimaryKey::iter()
        .zip(id.into_value_tuple())
        .fold(Condition::all(), |all, (key, value)| {
            all.add(key.into_column().eq(value))
        })
}

/// The `404` of a row that does not exist (or that the user does not reach, alike).
fn not_found<E: Owned>(id: &KeyOf<E>) -> ChopinError {
    ChopinError::not_found(format!("no {} {id:?}", E::NOUN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_bypasses_by_rank() {
        let moderator = AuthUser::new("1", ["moderator"]);
        let admin = AuthUser::new("2", ["admin"]);
        let user = AuthUser::new("3", ["user"]);
        assert!(Bypass::Role("moderator").admits(&moderator));
        assert!(Bypass::Role("moderator").admits(&admin));
        assert!(!Bypass::Role("moderator").admits(&user));
        assert!(!Bypass::Nobody.admits(&admin));
    }

    #[test]
    fn a_user_id_that_is_not_a_number_is_an_internal_error() {
        assert_eq!(
            owner_id::<i64>(&AuthUser::new("42", ["user"])).ok(),
            Some(42)
        );
        let err = owner_id::<i32>(&AuthUser::new("ann", ["user"])).expect_err("not a number");
        assert_eq!(err.status(), 500);
        let err = owner_id::<i32>(&AuthUser::new("99999999999", ["user"])).expect_err("too big");
        assert_eq!(err.status(), 500);
    }
}
