//! Whatever `ferrodis_rdb::Decoder` accepts, `ferrodis_rdb::Encoder` writes
//! back to bytes that decode and re-encode identically.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrodis_rdb::fuzzing::round_trip(data);
});
