//! Any bytes through `ferrodis_rdb::Decoder`, at once and in chunk sizes taken from
//! the input: never a panic, and the same items either way.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrodis_rdb::fuzzing::decode(data);
});
