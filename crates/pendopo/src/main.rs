fn main() -> std::process::ExitCode {
    pendopo::cli::main()
}
