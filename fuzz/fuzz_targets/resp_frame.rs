//! Any RESP2/RESP3 frame through `Decoder`, in chunk sizes taken from the input, and
//! every decoded frame through encode → decode.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrodis_resp::fuzzing::frame(data);
});
