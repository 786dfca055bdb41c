//! The `outloud` binary: everything lives in the library; see `outloud --help`.
fn main() -> std::process::ExitCode {
    outloud::cli::main()
}
