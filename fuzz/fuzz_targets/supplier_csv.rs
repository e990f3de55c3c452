//! See `kensa_api::fuzzing::supplier_csv`: the checks live in the product crate so that unit tests
//! replay this target's seeds (`fuzz/seeds/supplier_csv/`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kensa_api::fuzzing::supplier_csv(data));
