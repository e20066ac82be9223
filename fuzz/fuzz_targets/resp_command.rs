//! Client requests through `CommandDecoder`, in chunk sizes taken from the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrodis_resp::fuzzing::command(data);
});
