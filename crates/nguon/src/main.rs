//! The `nguon` command. Everything lives in the library so tests can drive it.

// glibc's allocator spent ~40% of `nguon verify` in malloc/free of row buffers; mimalloc halves that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    nguon::cli::main()
}
