//! The `nguon` command. Everything lives in the library so tests can drive it.

fn main() -> std::process::ExitCode {
    nguon::cli::main()
}
