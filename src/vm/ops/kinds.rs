//! The kinds of an instruction as typed enums.

/// Defines an instruction's kind as an enum whose variants follow the
/// kind table of the ISA (`crate::lam::isa::*_KINDS`), so that the loader
/// turns a kind index into a variant once and the run loop never matches
/// numbers or names.
macro_rules! kinds {
    ($(#[$doc:meta])* $name:ident, $table:path; $($variant:ident = $text:literal,)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub enum $name {
            $(#[doc = $text] $variant,)*
        }

        impl $name {
            /// Every kind, in table order.
            pub const ALL: &[$name] = &[$($name::$variant),*];

            /// The kind at this index of the ISA's table.
            pub fn from_index(i: u8) -> Option<$name> {
                Self::ALL.get(usize::from(i)).copied()
            }

            /// The kind's name in the ISA.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The kind with this name in the ISA.
            pub fn from_name(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|k| k.name() == s)
            }

            /// The ISA's table, which the variants must follow.
            #[cfg(test)]
            pub(crate) const TABLE: &[&str] = $table;
        }
    };
}
pub(crate) use kinds;
