//! See `kensa_api::fuzzing::json_body`: the checks live in the product crate so that unit tests
//! replay this target's seeds (`fuzz/seeds/json_body/`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kensa_api::fuzzing::json_body(data));
