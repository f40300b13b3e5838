//! Sections: a battery's settings, read from the configuration's variables when the battery asks.

use std::any::{Any, TypeId};
use std::fmt;

use super::{ConfigError, Vars};

/// A battery's settings, such as `chopin-db`'s `DbConfig`: read from the configuration's
/// variables over defaults given in code, when the battery asks for them with
/// [`Config::section`](super::Config::section).
///
/// ```
/// use chopin_runtime::config::{ConfigError, Section, Vars};
/// use chopin_runtime::Config;
///
/// #[derive(Clone, Debug, Default, PartialEq)]
/// struct Search {
///     url: Option<String>,
/// }
///
/// impl Section for Search {
///     fn read(vars: &Vars, defaults: Search) -> Result<Search, ConfigError> {
///         Ok(Search {
///             url: vars.get("SEARCH_URL").url(&["http://", "https://"], "an http:// URL")?.or(defaults.url),
///         })
///     }
/// }
///
/// let config = Config::from_lookup(|name| (name == "SEARCH_URL").then(|| "ftp://x".to_owned())).unwrap();
/// let err = config.section::<Search>().unwrap_err();
/// assert_eq!(err.to_string(), "invalid value for `SEARCH_URL`: `ftp://x` (an http:// URL)");
/// ```
pub trait Section: Any + Clone + fmt::Debug + Default + Send + Sync {
    /// Reads the section's variables from `vars`, with `defaults` for each one that is not set.
    ///
    /// # Errors
    /// When a variable is set to a value the section does not accept.
    fn read(vars: &Vars, defaults: Self) -> Result<Self, ConfigError>;
}

/// A section behind a pointer.
trait AnySection: Any + fmt::Debug + Send + Sync {
    fn clone_box(&self) -> Box<dyn AnySection>;
}

impl<T: Section> AnySection for T {
    fn clone_box(&self) -> Box<dyn AnySection> {
        Box::new(self.clone())
    }
}

/// The sections given in code, one of each type.
#[derive(Default)]
pub struct Sections(Vec<(TypeId, Box<dyn AnySection>)>);

impl Sections {
    /// Gives `section`, in the place of one of its type.
    pub fn insert<T: Section>(&mut self, section: T) {
        let id = TypeId::of::<T>();
        self.0.retain(|(t, _)| *t != id);
        self.0.push((id, Box::new(section)));
    }

    /// The section of type `T` given, if one was.
    pub fn get<T: Section>(&self) -> Option<T> {
        self.0
            .iter()
            .find(|(t, _)| *t == TypeId::of::<T>())
            .and_then(|(_, s)| (&**s as &dyn Any).downcast_ref::<T>())
            .cloned()
    }
}

impl Clone for Sections {
    fn clone(&self) -> Sections {
        Sections(self.0.iter().map(|(t, s)| (*t, s.clone_box())).collect())
    }
}

impl fmt::Debug for Sections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(_, s)| s))
            .finish()
    }
}
