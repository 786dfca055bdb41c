//! Every configuration key is declared once, as a field in a [`settings!`] block: its name,
//! type, default and meaning. From that one line come the struct field, its default, reading
//! it from the TOML file, reading it from its environment variable, and the key list the
//! example-config test checks. Adding a key is adding that line.
//!
//! Environment variables are derived from the key: `OUTLOUD_<SECTION>_<KEY>` for the
//! single sections (`OUTLOUD_WEB_BIND`), and `OUTLOUD_MAILBOX_<NAME>_<KEY>` /
//! `OUTLOUD_GROUP_<SLUG>_<KEY>` for an entry of `[[mailboxes]]` / `[[groups]]`, named by its
//! name or slug upper-cased with every other character as `_` (`OUTLOUD_MAILBOX_CORP_HOST`).

use std::path::PathBuf;

use crate::model::{GroupAddress, Slug};

/// A value as it arrives: from the TOML file or from an environment variable.
#[derive(Debug, Clone, Copy)]
pub enum Raw<'a> {
    Toml(&'a toml::Value),
    Env(&'a str),
}

/// A type a configuration key can have: how to read it from either source. Errors say what
/// was expected; the caller adds the key and where the value came from.
pub trait Setting: Sized {
    fn read(raw: Raw<'_>) -> Result<Self, String>;

    /// Like [`Setting::read`], but a value that is a table of keys of its own (such as
    /// `[mailboxes.oauth2]`) reports each bad key apart, as (key within the table, message).
    fn read_table(raw: Raw<'_>) -> Result<Self, Vec<(String, String)>> {
        Self::read(raw).map_err(|m| vec![(String::new(), m)])
    }

    /// The keys of a value that is a table of its own, to set them one by one from the
    /// environment; `None` for a plain value.
    fn as_section(&mut self) -> Option<&mut dyn Section> {
        None
    }
}

fn got(v: &toml::Value) -> String {
    format!("got {} {v}", v.type_str())
}

fn text<'a>(raw: Raw<'a>) -> Result<&'a str, String> {
    match raw {
        Raw::Env(s) => Ok(s),
        Raw::Toml(toml::Value::String(s)) => Ok(s),
        Raw::Toml(v) => Err(format!("expected a string, {}", got(v))),
    }
}

impl Setting for String {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        text(raw).map(str::to_string)
    }
}

impl Setting for PathBuf {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        text(raw).map(PathBuf::from)
    }
}

impl Setting for bool {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        match raw {
            Raw::Toml(toml::Value::Boolean(b)) => Ok(*b),
            Raw::Toml(v) => Err(format!("expected true or false, {}", got(v))),
            Raw::Env(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(format!("expected true or false, got {s:?}")),
            },
        }
    }
}

macro_rules! whole_number {
    ($($t:ty),*) => {$(
        impl Setting for $t {
            fn read(raw: Raw<'_>) -> Result<Self, String> {
                let expected = || {
                    format!("expected a whole number from {} to {}", <$t>::MIN, <$t>::MAX)
                };
                match raw {
                    Raw::Toml(toml::Value::Integer(i)) => {
                        <$t>::try_from(*i).map_err(|_| format!("{}, got {i}", expected()))
                    }
                    Raw::Toml(v) => Err(format!("{}, {}", expected(), got(v))),
                    Raw::Env(s) => s.trim().parse().map_err(|_| format!("{}, got {s:?}", expected())),
                }
            }
        }
    )*};
}
whole_number!(u16, u32, u64, i64, usize);

/// Present means set: an empty environment variable unsets it.
impl<T: Setting> Setting for Option<T> {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        match raw {
            Raw::Env(s) if s.trim().is_empty() => Ok(None),
            _ => T::read(raw).map(Some),
        }
    }

    fn read_table(raw: Raw<'_>) -> Result<Self, Vec<(String, String)>> {
        match raw {
            Raw::Env(s) if s.trim().is_empty() => Ok(None),
            _ => T::read_table(raw).map(Some),
        }
    }

    fn as_section(&mut self) -> Option<&mut dyn Section> {
        self.as_mut()?.as_section()
    }
}

/// A TOML array, or a comma-separated environment variable.
impl<T: Setting> Setting for Vec<T> {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        match raw {
            Raw::Toml(toml::Value::Array(items)) => {
                items.iter().map(|v| T::read(Raw::Toml(v))).collect()
            }
            Raw::Toml(v) => Err(format!(
                "expected a list such as [\"a\", \"b\"], {}",
                got(v)
            )),
            Raw::Env(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| T::read(Raw::Env(s)))
                .collect(),
        }
    }
}

impl Setting for Slug {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        Slug::parse(text(raw)?).map_err(|e| e.to_string())
    }
}

impl Setting for GroupAddress {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        GroupAddress::parse(text(raw)?).map_err(|e| e.to_string())
    }
}

/// An enum read from one of a fixed set of lower-case words.
macro_rules! choice {
    ($t:ty { $($word:literal => $value:expr),+ $(,)? }) => {
        impl $crate::config::keys::Setting for $t {
            fn read(raw: $crate::config::keys::Raw<'_>) -> Result<Self, String> {
                let s = $crate::config::keys::text_of(raw)?;
                match s.trim() {
                    $($word => Ok($value),)+
                    _ => Err(format!(
                        "{s:?}: expected {}",
                        [$(concat!("\"", $word, "\"")),+].join(" or ")
                    )),
                }
            }
        }
        impl $t {
            /// The word this value is written as in the configuration.
            pub fn as_str(&self) -> &'static str {
                $(if *self == $value { return $word; })+
                unreachable!("every value has a word")
            }
        }
    };
}
pub(crate) use choice;

/// For [`choice!`], which expands outside this module.
pub(crate) fn text_of(raw: Raw<'_>) -> Result<&str, String> {
    text(raw)
}

/// A group of keys: a `[section]` or one entry of a `[[list]]`.
pub trait Section {
    /// The keys, in declaration order.
    fn keys(&self) -> &'static [&'static str];
    /// Set one key. `None` when there is no such key.
    fn set(&mut self, key: &str, raw: Raw<'_>) -> Option<Result<(), String>>;
    /// The key `key` when its value is a table of keys of its own (and present).
    fn section_of(&mut self, key: &str) -> Option<&mut dyn Section>;
    /// Read a whole table: every problem as (key, message), keys relative to the table.
    fn from_table(table: &toml::Table) -> Result<Self, Vec<(String, String)>>
    where
        Self: Sized;
}

/// Keys in `table` that are not in `known`, as errors.
pub(crate) fn unknown_keys(table: &toml::Table, known: &[&str]) -> Vec<(String, String)> {
    table
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| {
            (
                k.clone(),
                format!("unknown key; known keys: {}", known.join(", ")),
            )
        })
        .collect()
}

/// One key of `table`: its value, `default` when absent, or `None` after recording why not
/// (a table's own keys as `key.sub`).
pub(crate) fn read_key<T: Setting>(
    table: &toml::Table,
    key: &str,
    default: Option<T>,
    errors: &mut Vec<(String, String)>,
) -> Option<T> {
    let result = match table.get(key) {
        Some(v) => T::read_table(Raw::Toml(v)),
        None => {
            default.ok_or_else(|| vec![(String::new(), "missing: this key is required".into())])
        }
    };
    let name = |sub: String| match sub.is_empty() {
        true => key.to_string(),
        false => format!("{key}.{sub}"),
    };
    result
        .map_err(|list| errors.extend(list.into_iter().map(|(sub, m)| (name(sub), m))))
        .ok()
}

/// Declares a group of keys. Each field is `name: Type = default,` or, in an entry of a list,
/// `name: Type,` when it must be given. `section` also derives `Default` from the defaults.
macro_rules! settings {
    (section $($rest:tt)*) => {
        $crate::config::keys::settings!(entry $($rest)*);
        $crate::config::keys::settings!(@default $($rest)*);
    };
    (@default $(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        impl Default for $name {
            fn default() -> Self {
                <Self as $crate::config::keys::Section>::from_table(&toml::Table::new())
                    .expect("every key of a section has a default")
            }
        }
    };
    (@or_default) => { None };
    (@or_default $default:expr) => { Some($default) };
    (
        entry
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident: $ty:ty $(= $default:expr)?,
            )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::config::keys::Section for $name {
            fn keys(&self) -> &'static [&'static str] {
                &[$(stringify!($field)),*]
            }

            fn set(
                &mut self,
                key: &str,
                raw: $crate::config::keys::Raw<'_>,
            ) -> Option<Result<(), String>> {
                use $crate::config::keys::Setting;
                match key {
                    $(stringify!($field) => Some(Setting::read(raw).map(|v| self.$field = v)),)*
                    _ => None,
                }
            }

            fn section_of(&mut self, key: &str) -> Option<&mut dyn $crate::config::keys::Section> {
                use $crate::config::keys::Setting;
                match key {
                    $(stringify!($field) => Setting::as_section(&mut self.$field),)*
                    _ => None,
                }
            }

            fn from_table(table: &toml::Table) -> Result<Self, Vec<(String, String)>> {
                use $crate::config::keys::{read_key, settings, unknown_keys};
                let mut errors = unknown_keys(table, &[$(stringify!($field)),*]);
                $(
                    let $field: Option<$ty> = read_key(
                        table,
                        stringify!($field),
                        settings!(@or_default $($default)?),
                        &mut errors,
                    );
                )*
                if !errors.is_empty() {
                    return Err(errors);
                }
                Ok($name {
                    $($field: $field.expect("no errors, so every key has a value"),)*
                })
            }
        }
    };
}
pub(crate) use settings;

/// `OUTLOUD_<PART>_<PART>…`: upper-cased, every character other than a letter or digit as `_`.
pub fn env_name(parts: &[&str]) -> String {
    let mut out = String::from("OUTLOUD");
    for p in parts {
        out.push('_');
        out.extend(p.chars().map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_ascii_uppercase(),
            false => '_',
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toml_value(text: &str) -> toml::Value {
        toml::from_str::<toml::Table>(&format!("v = {text}")).unwrap()["v"].clone()
    }

    #[test]
    fn values_from_both_sources() {
        assert_eq!(u16::read(Raw::Env(" 993 ")), Ok(993));
        assert!(u16::read(Raw::Env("70000"))
            .unwrap_err()
            .contains("0 to 65535"));
        assert!(u16::read(Raw::Toml(&toml_value("-1"))).is_err());
        assert!(i64::read(Raw::Toml(&toml_value("\"5\"")))
            .unwrap_err()
            .contains("got string"));
        assert_eq!(
            Vec::<String>::read(Raw::Env("a, b,,c")).unwrap(),
            vec!["a", "b", "c"]
        );
        assert_eq!(
            Vec::<String>::read(Raw::Toml(&toml_value("[\"a\"]"))).unwrap(),
            vec!["a"]
        );
        assert_eq!(Option::<u64>::read(Raw::Env("")), Ok(None));
        assert_eq!(bool::read(Raw::Env("yes")), Ok(true));
        assert!(Slug::read(Raw::Env("Eng")).unwrap_err().contains("slug"));
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name(&["web", "bind"]), "OUTLOUD_WEB_BIND");
        assert_eq!(
            env_name(&["mailbox", "corp-eu", "password_env"]),
            "OUTLOUD_MAILBOX_CORP_EU_PASSWORD_ENV"
        );
    }
}
