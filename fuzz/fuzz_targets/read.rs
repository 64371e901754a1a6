//! Any bytes: read every record and decode every parameter without panicking.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    scapkit_fuzz::read(data);
});
