//! Drills at production proportions (issue 14): `ocfail sim` as a process
//! of its own with a 2 s monitor and Cloudflare's defaults for retries and
//! consecutive checks, a 5 s hold, and `ocfail drill` against it. Unlike
//! `--sim`'s 100 ms monitor, users lose seconds of requests before the
//! load balancer moves; the drill must judge that window by itself.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ocfail::exit_code;
use serde_json::Value;

use crate::running::Running;
use crate::util::{exit, text};

/// `ocfail sim` running as a process of its own.
struct SimProcess {
    child: Child,
    dir: tempfile::TempDir,
    admin: String,
}

impl SimProcess {
    /// Starts the seed fleet's simulator with a 2 s monitor (2 retries,
    /// one failed or passed check to flip), plus `extra` flags.
    fn start(extra: &[&str]) -> SimProcess {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_ocfail"))
            .args(["sim", "-f", "fixtures/fleet.yaml", "--out"])
            .arg(dir.path())
            .args([
                "--monitor-interval",
                "2s",
                "--monitor-retries",
                "2",
                "--consecutive-down",
                "1",
                "--consecutive-up",
                "1",
                "--admin-port",
                &port.to_string(),
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let sim = SimProcess {
            child,
            dir,
            admin: format!("http://127.0.0.1:{port}"),
        };
        let until = Instant::now() + Duration::from_secs(30);
        while !sim.fleet().exists() || sim.admin_down() {
            assert!(Instant::now() < until, "ocfail sim never started");
            std::thread::sleep(Duration::from_millis(50));
        }
        // 20 requests a second: the outage at a 2 s monitor is then
        // dozens of requests, never a lucky handful.
        sim.edit("rps: 5.0", "rps: 20.0");
        sim
    }

    fn admin_down(&self) -> bool {
        std::net::TcpStream::connect(self.admin.trim_start_matches("http://")).is_err()
    }

    fn fleet(&self) -> PathBuf {
        self.dir.path().join("fleet.yaml")
    }

    /// Rewrites the written manifest: `from` becomes `to` (which must match).
    fn edit(&self, from: &str, to: &str) {
        let fleet = std::fs::read_to_string(self.fleet()).unwrap();
        assert!(fleet.contains(from), "no {from:?} in {fleet}");
        std::fs::write(self.fleet(), fleet.replacen(from, to, 1)).unwrap();
    }

    /// One request to the admin API, in plain HTTP/1.1 on loopback (these
    /// tests are synchronous, like the processes they drive): the status
    /// and the body.
    fn admin(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut conn =
            std::net::TcpStream::connect(self.admin.trim_start_matches("http://")).unwrap();
        write!(
            conn,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// `PUT /_sim/faults/origin/REGION` (`None` clears it).
    fn origin_fault(&self, region: &str, status: Option<u16>) {
        let path = format!("/_sim/faults/origin/{region}");
        let (code, answer) = match status {
            Some(s) => self.admin(
                "PUT",
                &path,
                &format!(r#"{{"unreachable":true,"status":{s}}}"#),
            ),
            None => self.admin("DELETE", &path, ""),
        };
        assert!((200..300).contains(&code), "{path}: {code} {answer}");
    }

    /// Waits (60 s at most) until the simulator has logged `kind` in
    /// `region` at least `nth` times, e.g. the second `deployment-scaled`
    /// of us-east-1: the drill's restore.
    fn wait_event(&self, kind: &str, region: &str, nth: usize) {
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, body) = self.admin("GET", "/_sim/events", "");
            // The body may be chunked; the JSON array is its one line.
            let events: Vec<Value> = body
                .lines()
                .find_map(|l| serde_json::from_str(l).ok())
                .unwrap_or_default();
            let seen = events
                .iter()
                .filter(|e| e["kind"] == kind && e["region"] == region)
                .count();
            if seen >= nth {
                return;
            }
            assert!(
                Instant::now() < until,
                "the simulator never logged {kind} #{nth} in {region}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ocfail drill --region us-east-1 --yes --hold 5s -o json` against `fleet`.
fn drill(fleet: &Path) -> Running {
    Running::spawn_at(
        fleet,
        &[
            "drill",
            "--region",
            "us-east-1",
            "--yes",
            "--hold",
            "5s",
            "-o",
            "json",
            "-v",
        ],
    )
}

fn phase<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["traffic"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == name)
        .unwrap_or_else(|| panic!("no phase {name}: {}", doc["traffic"]))
}

fn check<'a>(doc: &'a Value, region: &str, name: &str) -> &'a Value {
    doc["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region"] == region)
        .and_then(|r| {
            r["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
        })
        .unwrap_or_else(|| panic!("no check {name} in {region}: {doc}"))
}

/// Prints the numbers the issue's closing note gives.
fn say(what: &str, doc: &Value) {
    let w = &doc["traffic"]["outageWindow"];
    let rates: Vec<String> = doc["traffic"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}/{} ({:.1}%)",
                p["phase"].as_str().unwrap_or(""),
                p["errors"],
                p["requests"],
                p["errorRate"].as_f64().unwrap_or(0.0) * 100.0
            )
        })
        .collect();
    eprintln!(
        "{what}: window {} ms, {} requests lost, moved after {} ms; {}",
        w["durationMs"],
        w["requestsLost"],
        w["movedMs"],
        rates.join(", ")
    );
}

#[test]
fn at_production_proportions_the_drill_passes_and_names_the_outage_window() {
    let sim = SimProcess::start(&[]);
    let out = drill(&sim.fleet()).finish(Duration::from_secs(120));
    let doc: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    say("seed fleet", &doc);
    assert_eq!(out.code(), exit(exit_code::OK), "{doc:#}");
    // Users lose requests until the monitor notices: far more than the 5%
    // a whole-run error rate would allow, and that is what is measured.
    let outage = phase(&doc, "outage");
    assert!(outage["errorRate"].as_f64().unwrap() > 0.2, "{outage}");
    let w = &doc["traffic"]["outageWindow"];
    assert!(w["requestsLost"].as_u64().unwrap() >= 2, "{w}");
    assert!(w["durationMs"].as_u64().unwrap() > 0, "{w}");
    assert_eq!(check(&doc, "us-east-1", "outage")["verdict"], "pass");
    assert_eq!(check(&doc, "us-east-1", "failed-over")["verdict"], "pass");
    assert_eq!(phase(&doc, "failedOver")["errors"], 0);
    let notes = doc["notes"].to_string();
    assert!(notes.contains("users saw 503 for"), "{notes}");
    assert!(notes.contains("does not retry"), "{notes}");
}

#[test]
fn errors_after_the_move_fail_the_drill_and_name_the_region() {
    let sim = SimProcess::start(&[]);
    let running = drill(&sim.fleet());
    sim.wait_event("lb-route-changed", "eu-central-1", 1);
    // Once the drill has seen the move and holds, the region that took the
    // traffic loses its pods too: its ingress answers 503 until the
    // monitor notices.
    std::thread::sleep(Duration::from_millis(1500));
    let kubeconfig = sim.dir.path().join("kubeconfig");
    let scaled = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "--context",
            "prod-eu-central-1",
            "-n",
            "eu-central-1",
            "scale",
            "deployment/openclaw-api-blue",
            "--replicas=0",
        ])
        .output()
        .unwrap();
    assert!(scaled.status.success(), "{}", text(&scaled.stderr));
    let out = running.finish(Duration::from_secs(120));
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    say("receiver loses its pods after the move", &doc);
    assert_eq!(out.code(), exit(exit_code::FAILED), "{doc:#}");
    let failed = check(&doc, "us-east-1", "failed-over");
    assert_eq!(failed["verdict"], "fail", "{failed}");
    assert!(
        failed["detail"].as_str().unwrap().contains("eu-central-1"),
        "{failed}"
    );
}

#[test]
fn an_outage_window_longer_than_max_outage_fails() {
    let sim = SimProcess::start(&[]);
    sim.edit("maxOutage: auto", "maxOutage: 1ms");
    let out = drill(&sim.fleet()).finish(Duration::from_secs(120));
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.progress()));
    assert_eq!(out.code(), exit(exit_code::FAILED), "{doc:#}");
    let outage = check(&doc, "us-east-1", "outage");
    assert_eq!(outage["verdict"], "fail", "{outage}");
    assert!(
        outage["detail"]
            .as_str()
            .unwrap()
            .contains("longer than maxOutage"),
        "{outage}"
    );
}

/// Lost requests when us-east-1's origin becomes unreachable (522 at the
/// edge) as the drill takes it down, with the load balancer's
/// `failover_across_pools` as `flags` set it.
fn lost_with_unreachable_origin(flags: &[&str]) -> (u64, Value) {
    let sim = SimProcess::start(flags);
    let running = drill(&sim.fleet());
    // As the pods go, the origin is unreachable too: the edge answers 522.
    sim.wait_event("deployment-scaled", "us-east-1", 1);
    sim.origin_fault("us-east-1", Some(522));
    sim.wait_event("deployment-scaled", "us-east-1", 2);
    sim.origin_fault("us-east-1", None);
    let out = running.finish(Duration::from_secs(120));
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        out.code(),
        exit(exit_code::OK),
        "{doc:#}\n{}",
        text(out.stdout.as_bytes())
    );
    let lost = doc["traffic"]["outageWindow"]["requestsLost"]
        .as_u64()
        .unwrap_or(0);
    (lost, doc)
}

#[test]
fn failover_across_pools_hides_an_unreachable_origin_from_users() {
    let (off, doc_off) = lost_with_unreachable_origin(&[]);
    say("unreachable origin, failover_across_pools off", &doc_off);
    let (on, doc_on) = lost_with_unreachable_origin(&["--failover-across-pools"]);
    say("unreachable origin, failover_across_pools on", &doc_on);
    assert!(on < off, "lost {on} with it on, {off} with it off");
    let notes = doc_off["notes"].to_string();
    assert!(notes.contains("failover_across_pools"), "{notes}");
}
