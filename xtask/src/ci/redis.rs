//! A throw-away redis-server for the `#[ignore]`d tests of `cargo xtask ci`.
//!
//! Reuses a server already answering on the port; otherwise installs
//! `redis-server` with apt-get when missing (root only), starts it
//! daemonized without persistence, and shuts it down again on drop — also
//! when a later CI step fails.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Port used by CI.
pub const PORT: u16 = 6399;

/// How long to wait for the server to answer.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running redis; stops it on drop if this process started it.
pub struct Redis {
    port: u16,
    started: bool,
}

impl Redis {
    /// URL for `PAYHUB_REDIS_URL`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Reuses or starts a server on [`PORT`].
    pub fn start() -> Result<Redis, String> {
        Redis::start_on(PORT)
    }

    /// Reuses or starts a server on `port`.
    pub fn start_on(port: u16) -> Result<Redis, String> {
        if ping(port) {
            println!("redis: reusing the server already answering on port {port}");
            return Ok(Redis {
                port,
                started: false,
            });
        }
        ensure_installed()?;
        let port_arg = port.to_string();
        let args = [
            "--port",
            port_arg.as_str(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
        ];
        println!("$ redis-server --port {port} --save '' --appendonly no --daemonize yes");
        let status = Command::new("redis-server")
            .args(args)
            .status()
            .map_err(|e| format!("cannot run redis-server: {e}"))?;
        if !status.success() {
            return Err(format!("redis-server exited with {status}"));
        }
        // From here on, drop stops the server even if it never answers.
        let redis = Redis {
            port,
            started: true,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while !ping(port) {
            if Instant::now() >= deadline {
                return Err(format!(
                    "redis-server did not answer PING on port {port} within {}s",
                    START_TIMEOUT.as_secs()
                ));
            }
            sleep(Duration::from_millis(100));
        }
        println!("redis: PONG on port {port}");
        Ok(redis)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if !self.started {
            return;
        }
        // SHUTDOWN closes the connection instead of replying when it works.
        let _ = send(self.port, "SHUTDOWN NOSAVE\r\n");
        let deadline = Instant::now() + Duration::from_secs(5);
        while ping(self.port) && Instant::now() < deadline {
            sleep(Duration::from_millis(100));
        }
        if ping(self.port) {
            eprintln!("redis: server on port {} did not stop", self.port);
        } else {
            println!("redis: stopped the server on port {}", self.port);
        }
    }
}

/// Sends one inline command and returns the first reply bytes.
fn send(port: u16, command: &str) -> std::io::Result<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(300))?;
    stream.set_read_timeout(Some(Duration::from_millis(500)))?;
    stream.set_write_timeout(Some(Duration::from_millis(500)))?;
    stream.write_all(command.as_bytes())?;
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Same check as `redis-cli -p <port> ping` answering `PONG`.
fn ping(port: u16) -> bool {
    send(port, "PING\r\n").is_ok_and(|reply| reply.starts_with("+PONG"))
}

/// Whether `program` is an executable file on `PATH`.
pub(super) fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

pub(super) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0")
}

pub(super) fn apt_get(args: &[&str]) -> Result<(), String> {
    println!("$ apt-get {}", args.join(" "));
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("apt-get {} exited with {status}", args.join(" ")))
    }
}

fn ensure_installed() -> Result<(), String> {
    if on_path("redis-server") {
        return Ok(());
    }
    if !is_root() {
        return Err(
            "redis-server is not on PATH and we are not root to install it; \
             install redis-server or run `cargo xtask ci --skip-redis`"
                .to_string(),
        );
    }
    println!("redis: redis-server not found, installing it with apt-get");
    apt_get(&["update", "-qq"])?;
    apt_get(&["install", "-y", "-qq", "redis-server"])?;
    if on_path("redis-server") {
        Ok(())
    } else {
        Err("redis-server is still not on PATH after apt-get install".to_string())
    }
}
