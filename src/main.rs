//! The `cachebench` binary: parses arguments, runs the subcommand, and maps the
//! outcome to a documented exit code (see `cachebench --help`).

use clap::Parser;

fn main() {
    // Die quietly on a closed pipe (`cachebench plan | head`), as other CLI tools do.
    // SAFETY: setting a signal disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match cachebench::config::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // A bad matrix name is one line, as in a scenario file; clap says the rest.
        Err(e) => match cachebench::config::cli::value_error(&e) {
            Some(msg) => {
                eprintln!("cachebench: error: {msg}");
                std::process::exit(cachebench::error::exit::USAGE);
            }
            None => e.exit(),
        },
    };
    let code = match cachebench::commands::dispatch::main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "cachebench: error: {}",
                cachebench::records::redact::text(&e.to_string())
            );
            e.exit_code()
        }
    };
    std::process::exit(code);
}
