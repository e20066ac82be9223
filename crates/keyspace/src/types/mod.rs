//! The data structures behind the value types.

pub(crate) mod quicklist;
mod quicklist_entry;
mod quicklist_node;
