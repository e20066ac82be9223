//! The data structures behind the collection types, each in its own module.

pub(crate) mod zset;
