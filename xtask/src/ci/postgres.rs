//! A throw-away PostgreSQL cluster for the ledger's `#[ignore]`d Postgres tests.
//!
//! Installs Debian's `postgresql` with apt-get when no server binaries are found (root only),
//! then runs `initdb` into a fresh temporary directory and starts that cluster on a free local
//! port, listening on 127.0.0.1 only, with trust authentication for one superuser role
//! `payhub`: the cluster lives as long as this CI run and holds nothing else. Durability
//! settings are off (`fsync`, `synchronous_commit`) because the data is thrown away; the
//! tests exercise transactions and row locks, which those settings do not change.
//!
//! `initdb` and `postgres` refuse to run as root, so as root they run as the `postgres` user
//! the Debian package creates (`runuser`). Drop stops the cluster and removes its directory,
//! also when a later CI step fails.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::redis::{apt_get, is_root, on_path};

/// First port tried; the next free one is used when it is taken.
pub const FIRST_PORT: u16 = 5441;

/// The superuser role the tests connect as.
const ROLE: &str = "payhub";

/// A running throw-away cluster; stopped and removed on drop.
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

impl Postgres {
    /// URL for `PAYHUB_POSTGRES_URL`: the role may create databases and schemas.
    pub fn url(&self) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/postgres", self.port)
    }

    /// Installs when missing, initialises and starts a cluster.
    pub fn start() -> Result<Postgres, String> {
        let bin = ensure_installed()?;
        let as_postgres_user = is_root();
        let port = free_port(FIRST_PORT)?;
        let dir = std::env::temp_dir().join(format!("payhub-ci-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        if as_postgres_user {
            run(Command::new("chown").args(["postgres:postgres", &path_str(&dir)?]))?;
        }
        // From here on, drop removes the directory (and stops the server once started).
        let pg = Postgres {
            bin,
            dir,
            port,
            as_postgres_user,
        };
        let data = pg.dir.join("data");
        let data_s = path_str(&data)?;
        pg.run_pg(
            "initdb",
            &[
                "-D",
                &data_s,
                "-U",
                ROLE,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        let opts = format!(
            "-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
            dir = path_str(&pg.dir)?,
        );
        let log = path_str(&pg.dir.join("server.log"))?;
        pg.run_pg(
            "pg_ctl",
            &[
                "-D", &data_s, "-l", &log, "-o", &opts, "-w", "-t", "60", "start",
            ],
        )
        .map_err(|e| {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            format!("{e}\n--- server.log ---\n{tail}")
        })?;
        if !answers(port) {
            return Err(format!("postgres started but port {port} does not answer"));
        }
        println!("postgres: cluster up on 127.0.0.1:{port} ({})", pg.url());
        Ok(pg)
    }

    /// Runs one of the server's binaries, as the `postgres` user when we are root.
    fn run_pg(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let exe = path_str(&self.bin.join(program))?;
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", &exe]);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args);
        println!("$ {program} {}", args.join(" "));
        run(&mut cmd)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if data.join("postmaster.pid").exists() {
            let data_s = data.to_string_lossy().into_owned();
            match self.run_pg("pg_ctl", &["-D", &data_s, "-m", "immediate", "-w", "stop"]) {
                Ok(()) => println!("postgres: stopped the cluster on port {}", self.port),
                Err(e) => eprintln!("postgres: {e}"),
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} exited with {}: {}{}",
            cmd.get_program(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn path_str(p: &Path) -> Result<String, String> {
    p.to_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} is not UTF-8", p.display()))
}

fn answers(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
}

fn free_port(first: u16) -> Result<u16, String> {
    (first..first + 50)
        .find(|&p| !answers(p) && TcpListener::bind(("127.0.0.1", p)).is_ok())
        .ok_or_else(|| format!("no free port in {first}..{}", first + 50))
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: Debian keeps them in
/// `/usr/lib/postgresql/<major>/bin` (not on PATH); elsewhere they are on PATH.
fn server_bin() -> Option<PathBuf> {
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    majors.sort();
    if let Some((_, bin)) = majors.pop() {
        return Some(bin);
    }
    if on_path("initdb") && on_path("pg_ctl") {
        let out = Command::new("pg_config").arg("--bindir").output().ok()?;
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        return Some(PathBuf::from(dir));
    }
    None
}

fn ensure_installed() -> Result<PathBuf, String> {
    if let Some(bin) = server_bin() {
        return Ok(bin);
    }
    if !is_root() {
        return Err(
            "no PostgreSQL server binaries found (/usr/lib/postgresql/*/bin or initdb on PATH) \
             and we are not root to install them; install postgresql or run \
             `cargo xtask ci --skip-redis`"
                .to_string(),
        );
    }
    println!("postgres: server binaries not found, installing postgresql with apt-get");
    apt_get(&["update", "-qq"])?;
    apt_get(&["install", "-y", "-qq", "postgresql"])?;
    server_bin().ok_or_else(|| {
        "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts a second cluster beside CI's own (the next free port), connects to it, and
    /// checks that drop stops it and removes its directory.
    #[test]
    #[ignore = "installs/starts PostgreSQL; run by `cargo xtask ci`"]
    fn cluster_starts_answers_and_is_removed() {
        let pg = Postgres::start().expect("cluster starts");
        assert!(answers(pg.port), "port {} answers", pg.port);
        assert!(pg.url().starts_with("postgres://payhub@127.0.0.1:"));
        let (port, dir) = (pg.port, pg.dir.clone());
        drop(pg);
        assert!(!dir.exists(), "{} removed", dir.display());
        assert!(!answers(port), "port {port} closed after drop");
    }
}
