//! See `kensa_api::fuzzing::evidence_upload`: the checks live in the product crate so that unit tests
//! replay this target's seeds (`fuzz/seeds/evidence_upload/`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kensa_api::fuzzing::evidence_upload(data));
