//! Why a subcommand failed, and the exit status that tells the reasons apart.

use crate::output;
use std::process::ExitCode;

/// Why a subcommand failed.
pub enum Failure {
    /// The command line asks for something impossible (an unknown or missing field, two
    /// options that exclude each other). Exit 2, as clap's own usage errors.
    Usage(String),
    /// Anything else before or around a call: the config file, a key file, the runtime. Exit 1.
    Other(String),
    /// A call through the SDK: printed as JSON, exit status by class (see `payhub call`).
    Call(payhub::Error),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Other(s)
    }
}

impl From<payhub::Error> for Failure {
    fn from(e: payhub::Error) -> Self {
        Failure::Call(e)
    }
}

impl Failure {
    /// Prints the failure on stderr and returns its exit status.
    pub fn report(self) -> ExitCode {
        match self {
            Failure::Usage(e) => {
                output::fail(&e);
                ExitCode::from(2)
            }
            Failure::Other(e) => {
                output::fail(&e);
                ExitCode::FAILURE
            }
            Failure::Call(e) => {
                output::fail_json(&crate::cmd::call::error_json(&e));
                ExitCode::from(crate::cmd::call::exit_status(e.class()))
            }
        }
    }
}
