//! Kensa end-to-end tests live in `tests/api`.
