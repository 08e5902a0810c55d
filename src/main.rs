//! The `whosaid` binary: argv in, exit code out. Everything else is the library.

fn main() -> std::process::ExitCode {
    whosaid::cli::main()
}
