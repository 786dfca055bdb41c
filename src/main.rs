//! The `outloud` binary: everything lives in the library; see `outloud --help`.

// mimalloc instead of glibc's malloc: a thread page spent a fifth of its CPU in glibc's
// allocator and waited on its arena locks when a row allocated on SQLite's connection thread
// was freed on the runtime's (docs/BENCHMARKS.md, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    outloud::cli::main()
}
