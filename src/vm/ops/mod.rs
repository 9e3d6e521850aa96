//! Layer 2, ops: the pure semantics of arithmetic, comparisons and type
//! tests, float operations, and the binary-matching fast path. The run loop
//! and the natives both use them, so each rule is written once.

pub mod arith;
pub mod bs;
pub mod test;

pub use arith::ArithOp;
pub use test::TestOp;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_isa_tables() {
        let names = |all: &[&'static str]| all.to_vec();
        assert_eq!(
            names(&ArithOp::ALL.iter().map(|k| k.name()).collect::<Vec<_>>()),
            ArithOp::TABLE
        );
        assert_eq!(
            names(&TestOp::ALL.iter().map(|k| k.name()).collect::<Vec<_>>()),
            TestOp::TABLE
        );
    }
}
