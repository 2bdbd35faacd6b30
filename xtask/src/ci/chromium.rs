//! Headless Chromium and chromedriver for the dashboard's `#[ignore]`d browser tests
//! (`payhub-sandbox/tests/dashboard.rs`).
//!
//! Installs Debian's `chromium` and `chromium-driver` with apt-get when missing (root only),
//! starts `chromedriver` on a free local port, waits until it answers `/status` ready, and
//! stops it on drop, also when a later CI step fails. The tests get its URL in
//! `PAYHUB_WEBDRIVER_URL` and the browser in `PAYHUB_CHROMIUM`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::redis::{apt_get, is_root, on_path};

/// How long to wait for chromedriver to answer ready.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A chromedriver this process started; killed on drop.
pub struct ChromeDriver {
    port: u16,
    child: Child,
    browser: String,
}

impl ChromeDriver {
    /// For `PAYHUB_WEBDRIVER_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// For `PAYHUB_CHROMIUM`: the browser binary chromedriver is to start.
    pub fn browser(&self) -> &str {
        &self.browser
    }

    /// Installs what is missing and starts chromedriver on a free port.
    pub fn start() -> Result<ChromeDriver, String> {
        let (driver, browser) = ensure_installed()?;
        let port = free_port()?;
        println!("$ {driver} --port={port}");
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {driver}: {e}"))?;
        // From here on, drop kills it even if it never answers.
        let mut cd = ChromeDriver {
            port,
            child,
            browser,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while !ready(port) {
            if let Ok(Some(status)) = cd.child.try_wait() {
                return Err(format!("chromedriver exited with {status}"));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "chromedriver did not answer ready on port {port} within {}s",
                    START_TIMEOUT.as_secs()
                ));
            }
            sleep(Duration::from_millis(100));
        }
        println!(
            "chromedriver: ready on port {port} (browser {})",
            cd.browser
        );
        Ok(cd)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
        println!("chromedriver: stopped the server on port {}", self.port);
    }
}

/// A port free now (bound and released); chromedriver takes it right after.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// `GET /status` answers `"ready": true`.
fn ready(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200") && answer.replace(' ', "").contains("\"ready\":true")
}

/// The first of `names` on PATH.
fn find(names: &[&str]) -> Option<String> {
    names.iter().find(|n| on_path(n)).map(|n| n.to_string())
}

const DRIVERS: [&str; 1] = ["chromedriver"];
const BROWSERS: [&str; 2] = ["chromium", "chromium-browser"];

/// (chromedriver, browser), installing Debian's packages when either is missing.
fn ensure_installed() -> Result<(String, String), String> {
    if let (Some(d), Some(b)) = (find(&DRIVERS), find(&BROWSERS)) {
        return Ok((d, resolve(&b)));
    }
    if !is_root() {
        return Err(
            "chromium and chromedriver are not on PATH and we are not root to install them; \
             install `chromium` and `chromium-driver` or run `cargo xtask ci --skip-redis`"
                .to_string(),
        );
    }
    println!("chromium: chromium or chromedriver not found, installing them with apt-get");
    apt_get(&["update", "-qq"])?;
    apt_get(&["install", "-y", "-qq", "chromium", "chromium-driver"])?;
    match (find(&DRIVERS), find(&BROWSERS)) {
        (Some(d), Some(b)) => Ok((d, resolve(&b))),
        _ => Err("chromium or chromedriver is still not on PATH after apt-get install".to_string()),
    }
}

/// The browser's full path, for the tests' capabilities.
fn resolve(program: &str) -> String {
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(program))
                .find(|p| p.is_file())
        })
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| program.to_string())
}
