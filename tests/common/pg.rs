//! A throw-away PostgreSQL cluster for the master's tests (`tests/master.rs`): `initdb` into a
//! temporary folder, started on 127.0.0.1 at a free port with its socket in that folder, trust
//! authentication, stopped and removed when dropped. Run as `nobody` when the tests run as
//! root (initdb refuses root). `.ci/run` installs PostgreSQL and PostGIS (Debian packages).
//!
//! [`Pg::start`] returns `None` after printing `*** SKIPPED: … ***` (on the process's stderr,
//! uncaptured, and on stdout) when there is no PostgreSQL with PostGIS here or it cannot start: the test then
//! returns, loudly, instead of failing on a machine without the server.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running cluster; stopped when dropped.
pub struct Pg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_nobody: bool,
    /// The connection URL (`postgres://lamppost@127.0.0.1:PORT/postgres`).
    pub url: String,
}

/// Says loudly that (and why) the test did not run.
pub fn skipped(why: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_owned();
    // Straight to the process's stderr, which the test harness does not capture: shown even
    // when the test passes; and on stdout for `--show-output` (as `skip_for_packaged`).
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {test}: {why} ***\n");
    println!("SKIPPED: {test}: {why}");
}

/// The folder of `initdb` and `pg_ctl`: `LAMPPOST_TEST_PG_BIN`, else the newest
/// `/usr/lib/postgresql/N/bin` (Debian), else `pg_config --bindir`.
fn bin_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("LAMPPOST_TEST_PG_BIN") {
        return Some(PathBuf::from(d));
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((n, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, b)) = debian.pop() {
        return Some(b);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let b = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    b.join("initdb").is_file().then_some(b)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

impl Pg {
    fn run(&self, line: &str) -> std::io::Result<std::process::Output> {
        if self.as_nobody {
            Command::new("su")
                .args(["nobody", "-s", "/bin/sh", "-c", line])
                .output()
        } else {
            Command::new("/bin/sh").args(["-c", line]).output()
        }
    }

    /// Starts a cluster, or says SKIPPED and returns `None`.
    pub fn start() -> Option<Pg> {
        let Some(bin) = bin_dir() else {
            skipped("no PostgreSQL server here (initdb not found; .ci/run installs it)");
            return None;
        };
        let share = Command::new(bin.join("pg_config"))
            .arg("--sharedir")
            .output()
            .ok()
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        if !share.is_some_and(|s| s.join("extension/postgis.control").is_file()) {
            skipped("PostGIS is not installed for this PostgreSQL (.ci/run installs it)");
            return None;
        }
        let dir = match tempfile::Builder::new().prefix("lamppost-pg").tempdir() {
            Ok(d) => d,
            Err(e) => {
                skipped(&format!("no temporary folder: {e}"));
                return None;
            }
        };
        let as_nobody = is_root();
        if as_nobody {
            let _ = Command::new("chown")
                .args(["-R", "nobody"])
                .arg(dir.path())
                .status();
        }
        let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(a) => a.port(),
            Err(e) => {
                skipped(&format!("no free port on 127.0.0.1: {e}"));
                return None;
            }
        };
        let pg = Pg {
            url: format!("postgres://lamppost@127.0.0.1:{port}/postgres"),
            dir,
            bin,
            as_nobody,
        };
        let data = pg.dir.path().join("data");
        let log = pg.dir.path().join("server.log");
        let init = format!(
            "{} -D {} -U lamppost --auth=trust -E UTF8 --no-locale >{} 2>&1",
            quote(&pg.bin.join("initdb")),
            quote(&data),
            quote(&pg.dir.path().join("initdb.log"))
        );
        let start = format!(
            "{} -D {} -l {} -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off\" start",
            quote(&pg.bin.join("pg_ctl")),
            quote(&data),
            quote(&log),
            quote(pg.dir.path())
        );
        for (what, line) in [("initdb", init), ("pg_ctl start", start)] {
            let ok = pg.run(&line).is_ok_and(|o| o.status.success());
            if !ok {
                let tail = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
                skipped(&format!(
                    "the PostgreSQL server could not start ({what} failed): {}{}",
                    tail(&pg.dir.path().join("initdb.log")),
                    tail(&log)
                ));
                return None;
            }
        }
        Some(pg)
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let stop = format!(
            "{} -D {} -m immediate -w stop >/dev/null 2>&1",
            quote(&self.bin.join("pg_ctl")),
            quote(&self.dir.path().join("data"))
        );
        let _ = self.run(&stop);
    }
}
