//! Data structures behind the value types, free of command logic.

pub(crate) mod intset;
pub(crate) mod set;

pub(crate) mod hash;
mod hash_table;
mod listpack;

pub(crate) mod quicklist;
mod quicklist_entry;
mod quicklist_node;
pub(crate) mod table_scan;
pub(crate) mod zset;
