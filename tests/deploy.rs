//! The systemd unit in `deploy/`: `systemd-analyze verify` accepts it, its sandbox scores
//! "OK" or better in `systemd-analyze security`, and its `ExecStart` is a command line
//! outloud understands. The unit is checked with its `ExecStart` pointed at the binary under
//! test, since `verify` insists that the program exists.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const UNIT: &str = include_str!("../deploy/outloud.service");
const INSTALLED_BINARY: &str = "/usr/local/bin/outloud";
/// `systemd-analyze security` rates exposure 0.0-10.0; `--threshold` takes tenths. 2.0 is
/// the top of its "OK" band: the sandbox must not loosen unnoticed.
const EXPOSURE_THRESHOLD: &str = "20";

fn systemd_analyze(args: &[&str], unit: &Path) -> Output {
    let out = Command::new("systemd-analyze")
        .args(args)
        .arg(unit)
        .output();
    out.expect(
        "systemd-analyze is needed to check deploy/outloud.service \
         (Debian package `systemd`; scripts/test.sh installs it)",
    )
}

/// The unit as shipped, but running the binary under test; written under the unit's own
/// name, since systemd derives the service name from the file name.
fn unit_for_test() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outloud.service");
    let unit = UNIT.replace(INSTALLED_BINARY, env!("CARGO_BIN_EXE_outloud"));
    std::fs::write(&path, unit).unwrap();
    (dir, path)
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn unit_passes_systemd_analyze_verify() {
    let (_dir, unit) = unit_for_test();
    let out = systemd_analyze(&["verify", "--man=no"], &unit);
    assert!(out.status.success(), "{}", show(&out));
    // verify exits 0 on unknown directives and typos, only warning about them.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "warnings: {stderr}");
}

#[test]
fn unit_sandbox_stays_ok() {
    let (_dir, unit) = unit_for_test();
    let threshold = format!("--threshold={EXPOSURE_THRESHOLD}");
    let out = systemd_analyze(&["security", "--offline=yes", &threshold], &unit);
    assert!(out.status.success(), "{}", show(&out));
}

#[test]
fn unit_exec_start_is_a_command_outloud_understands() {
    let line = UNIT.lines().find_map(|l| l.strip_prefix("ExecStart="));
    let mut words = line.expect("ExecStart= in the unit").split_whitespace();
    assert_eq!(words.next(), Some(INSTALLED_BINARY));
    let args: Vec<&str> = words.collect();
    assert_eq!(args.last(), Some(&"run"), "the unit runs the daemon");
    // clap parses the whole line; `--help` after it stops before the config is read.
    let out = Command::new(env!("CARGO_BIN_EXE_outloud"))
        .args(&args)
        .arg("--help")
        .output();
    let out = out.unwrap();
    assert!(out.status.success(), "{}", show(&out));
}
