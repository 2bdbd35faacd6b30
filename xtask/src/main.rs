//! Workspace automation for payhub, run as `cargo xtask <command>`.
//!
//! * `fixtures [--check]`: extract the JSON samples of `docs/upstream/` into
//!   `fixtures/<provider>/` (see [`fixtures`]).
//! * `shape`: every provider crate has the one shape (see [`shape`]).
//! * `new-provider NAME`: scaffold `crates/NAME` in that shape (see [`scaffold`]).
//! * `ci [--skip-redis]`: the local CI pipeline (see [`ci`]).

mod ci;
mod fixtures;
mod scaffold;
mod shape;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  fixtures [--check]   extract the JSON samples of docs/upstream/ into fixtures/<provider>/;
                       with --check, compare instead of writing (exit 1 on any difference)
  shape [--root DIR]   check the provider crates' shape (modules, entry points, error
                       variants, code enums, front-page sections) and, workspace-wide,
                       import circles and files over 600 lines; deliberate differences live
                       in xtask/shape-allow.toml (of DIR, default this workspace)
  new-provider NAME    scaffold crates/NAME, a provider crate in the shape, from
                       xtask/template/provider/ (passes `shape`, compiles, tested)
  ci [--skip-redis]    fmt, clippy, redis + chromedriver + postgres, test (incl. ignored),
                       fixtures --check, shape, doc; --skip-redis starts no server and runs no
                       ignored test
  help                 this message";

/// The workspace root (the parent of this crate's directory).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

#[derive(Debug, PartialEq, Eq)]
enum Command {
    Fixtures { check: bool },
    Shape { root: Option<PathBuf> },
    NewProvider(String),
    Ci(ci::Options),
    Help,
}

fn parse(args: &[String]) -> Result<Command, String> {
    let (cmd, rest) = match args.split_first() {
        None => return Ok(Command::Help),
        Some((cmd, rest)) => (cmd.as_str(), rest),
    };
    let mut flags: Vec<&str> = rest.iter().map(String::as_str).collect();
    let mut take = |flag: &str| {
        let found = flags.contains(&flag);
        flags.retain(|f| *f != flag);
        found
    };
    let command = match cmd {
        "fixtures" => Command::Fixtures {
            check: take("--check"),
        },
        "shape" => match flags.iter().position(|f| *f == "--root") {
            None => Command::Shape { root: None },
            Some(i) => match flags.get(i + 1) {
                Some(dir) => {
                    let root = PathBuf::from(dir);
                    flags.drain(i..=i + 1);
                    Command::Shape { root: Some(root) }
                }
                None => return Err("`--root` needs a directory".to_string()),
            },
        },
        "new-provider" => match flags.first() {
            Some(name) if !name.starts_with('-') => {
                let name = name.to_string();
                flags.remove(0);
                Command::NewProvider(name)
            }
            _ => return Err("`new-provider` needs a NAME".to_string()),
        },
        "ci" => Command::Ci(ci::Options {
            skip_redis: take("--skip-redis"),
        }),
        "help" | "-h" | "--help" => Command::Help,
        other => return Err(format!("unknown command `{other}`")),
    };
    match flags.first() {
        Some(extra) => Err(format!("unexpected argument `{extra}` for `{cmd}`")),
        None => Ok(command),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let root = workspace_root();
    let result = match command {
        Command::Help => {
            println!("{USAGE}");
            Ok(true)
        }
        Command::Fixtures { check: false } => fixtures::write(&root).map(|()| true),
        Command::Fixtures { check: true } => fixtures::check(&root),
        Command::Shape { root: other } => shape::run(other.as_deref().unwrap_or(&root)),
        Command::NewProvider(name) => scaffold::new_provider(&root, &name).map(|()| true),
        Command::Ci(opts) => ci::run(&root, opts).map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn parses_commands() {
        assert_eq!(
            parse(&args(&["fixtures", "--check"])),
            Ok(Command::Fixtures { check: true })
        );
        assert_eq!(
            parse(&args(&["fixtures"])),
            Ok(Command::Fixtures { check: false })
        );
        assert!(matches!(
            parse(&args(&["ci", "--skip-redis"])),
            Ok(Command::Ci(ci::Options { skip_redis: true }))
        ));
        assert_eq!(parse(&args(&["shape"])), Ok(Command::Shape { root: None }));
        assert_eq!(
            parse(&args(&["shape", "--root", "/x"])),
            Ok(Command::Shape {
                root: Some(PathBuf::from("/x"))
            })
        );
        assert!(parse(&args(&["shape", "--root"])).is_err());
        assert!(parse(&args(&["shape", "--x"])).is_err());
        assert_eq!(
            parse(&args(&["new-provider", "acme"])),
            Ok(Command::NewProvider("acme".into()))
        );
        assert!(parse(&args(&["new-provider"])).is_err());
        assert!(parse(&args(&["new-provider", "a", "b"])).is_err());
        assert_eq!(parse(&args(&[])), Ok(Command::Help));
        assert!(parse(&args(&["fixtures", "--bogus"])).is_err());
        assert!(parse(&args(&["deploy"])).is_err());
    }
}
