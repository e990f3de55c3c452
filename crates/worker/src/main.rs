//! `kensa-worker run` loops until SIGTERM; `kensa-worker run-once --now <RFC 3339>` does what
//! is due at that instant and exits (for cron and tests). See [`kensa_worker::process`].

use std::process::ExitCode;

/// glibc's allocator kept each 19 MiB argon2 buffer resident (RSS grew by that much per
/// sign-in); mimalloc returns large blocks to the OS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    kensa_worker::process::main()
}
