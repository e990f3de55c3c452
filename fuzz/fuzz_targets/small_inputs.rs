//! See `kensa_api::fuzzing::small_inputs`: the checks live in the product crate so that unit tests
//! replay this target's seeds (`fuzz/seeds/small_inputs/`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kensa_api::fuzzing::small_inputs(data));
