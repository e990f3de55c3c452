//! Closed sets that are stored and sent as snake_case text (locales, visibilities, kinds).
//!
//! One declaration gives the Rust enum, its JSON names, its OpenAPI `enum` and its GraphQL
//! enum (conventional `SCREAMING_CASE`), and the two ways in from text: [`parse`] for a
//! client's value (the caller decides the 422) and `TryFrom<&str>` for a stored one, where
//! an unknown value is a corrupt row (a 500), never read as a default.

/// `closed_set! { /// doc  pub enum Name("what it is") { Variant => "text", … } }`
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident($what:literal) { $($(#[$vmeta:meta])* $variant:ident => $text:tt),+ $(,)? }
    ) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        // After the derives, so that a set may rename itself (`schema(as)`, `graphql(name)`).
        $(#[$meta])*
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// A client's text; `None` when it is not one of [`Self::ALL`].
            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.as_str() == raw)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = crate::error::DomainError;
            fn try_from(raw: &str) -> Result<Self, Self::Error> {
                Self::parse(raw).ok_or_else(|| crate::error::unknown_stored($what, raw))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use closed_set;

#[cfg(test)]
mod tests {
    closed_set! {
        /// A test set.
        pub enum Colour("colour") { DarkRed => "dark_red", Blue => "blue" }
    }

    #[test]
    fn text_json_and_stored_values_agree() {
        assert_eq!(Colour::DarkRed.as_str(), "dark_red");
        assert_eq!(Colour::parse("blue"), Some(Colour::Blue));
        assert_eq!(Colour::parse("Blue"), None);
        assert_eq!(serde_json::to_string(&Colour::DarkRed).ok().as_deref(), Some("\"dark_red\""));
        assert_eq!(serde_json::from_str::<Colour>("\"blue\"").ok(), Some(Colour::Blue));
        assert!(Colour::try_from("green").is_err());
        assert_eq!(Colour::ALL.len(), 2);
    }
}
