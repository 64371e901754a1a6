//! Any prefix of the input yields a prefix of the input's events and loses none whose block
//! is complete (STYLE.md §1.6).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    scapkit_fuzz::prefix(data);
});
