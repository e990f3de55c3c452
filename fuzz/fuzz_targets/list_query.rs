//! See `kensa_api::fuzzing::list_query`: the checks live in the product crate so that unit tests
//! replay this target's seeds (`fuzz/seeds/list_query/`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kensa_api::fuzzing::list_query(data));
