//! `payhub completions <shell>`: the shell completion script, generated from the same clap
//! definition as the command itself, so every provider, operation and event completes.

use crate::failure::Failure;
use clap_complete::Shell;

/// Arguments of `payhub completions`.
#[derive(clap::Args)]
#[command(
    after_help = "bash: payhub completions bash > ~/.local/share/bash-completion/completions/payhub\n\
zsh:  payhub completions zsh > ~/.zfunc/_payhub (with fpath+=~/.zfunc)\n\
fish: payhub completions fish > ~/.config/fish/completions/payhub.fish"
)]
pub struct Args {
    /// The shell to complete for.
    shell: Shell,
}

/// Prints the script for the command `C` on stdout.
pub fn run<C: clap::CommandFactory>(args: Args) -> Result<(), Failure> {
    let mut command = C::command();
    let name = command.get_name().to_owned();
    // Into memory first: the generator panics on a write error, and a reader that stops
    // early (`| head`) is not one.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, name, &mut script);
    crate::output::write_stdout(&script)
}
