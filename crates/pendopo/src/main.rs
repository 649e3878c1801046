//! The `pendopo` binary: the command line in `cli`, with mimalloc as the allocator.

/// See the `mimalloc` entry of Cargo.toml for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pendopo::cli::main()
}
