//! See `kensa_api::fuzzing::graphql_request`: the checks live in the product crate so that unit tests
//! replay this target's seeds (`fuzz/seeds/graphql_request/`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kensa_api::fuzzing::graphql_request(data));
