//! Any bytes through `ferrodis_aof::Loader` (at once and in chunk sizes taken from
//! the input) and `Manifest::parse`: never a panic, the same commands either way,
//! a kept truncated prefix that loads cleanly, manifests that write back as read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrodis_aof::fuzzing::load(data);
});
