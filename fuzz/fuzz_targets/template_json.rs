//! See `kensa_api::fuzzing::template_json`: the checks live in the product crate so that unit tests
//! replay this target's seeds (`fuzz/seeds/template_json/`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kensa_api::fuzzing::template_json(data));
