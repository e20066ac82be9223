//! Value types' data structures, apart from the commands that use them.

pub(crate) mod hash;
mod hash_table;
mod listpack;
