//! `kensa-worker` as a process of the tests' own (Cargo gives a test the path of its own
//! package's binaries only): the same entry point, `kensa_worker::process::main`.

fn main() -> std::process::ExitCode {
    kensa_worker::process::main()
}
