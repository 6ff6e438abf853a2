//! Crash test: a load of trades and steps while the server is killed with SIGKILL at random moments
//! (mid-request included) and restarted on the same database. Every acknowledged write must be
//! there after each restart (retrying it under its idempotency key answers the first response
//! again), and the run must end byte-identical to an uninterrupted control run of the same requests.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Server, temp_dir};
use serde_json::{Value, json};

const KILLS: usize = 20;
const REQUESTS: usize = 600;
const UNIVERSE: [&str; 6] = ["AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "META"];

/// The i-th request of the load: (path suffix, body), each under its own idempotency key. A buy,
/// a step that fills it, a sell of what it bought: every request succeeds, so every one is kept
/// under its key.
fn request(i: usize) -> (&'static str, Value) {
    let symbol = UNIVERSE[i / 3 % 6];
    let quantity = 1 + i / 3 % 4;
    match i % 3 {
        0 => (
            "trades",
            json!({"symbol": symbol, "side": "buy", "quantity": quantity, "idempotency_key": format!("t-{i}")}),
        ),
        1 => ("step", json!({"count": 1, "idempotency_key": format!("s-{i}")})),
        _ => (
            "trades",
            json!({"symbol": symbol, "side": "sell", "quantity": quantity, "idempotency_key": format!("t-{i}")}),
        ),
    }
}

/// Replays the acknowledged requests on a fresh server that is never killed: each answers as it
/// was answered, and the run ends in the same state.
fn assert_matches_control(acked: &[(usize, (u16, Value))], crashed: &[Value], name: &str) {
    let control = Server::start(&temp_dir(name).join("vectrade.db"));
    let ckey = control.key().to_string();
    let (_, created) = control.post("/api/v1/runs", Some(&ckey), &json!({"scenario_slug": "tech-2024-q2"}));
    let cid = created["run"]["id"].as_str().unwrap().to_string();
    for (j, answer) in acked {
        let (suffix, body) = request(*j);
        let got = control.post(&format!("/api/v1/runs/{cid}/{suffix}"), Some(&ckey), &body);
        assert_eq!(&got, answer, "request {j} answered differently than in the killed run");
    }
    control.post(&format!("/api/v1/runs/{cid}/step"), Some(&ckey), &json!({"count": 100000}));
    assert_eq!(final_state(&control, &ckey, &cid), crashed, "the killed run ended differently than the control run");
}

/// A small deterministic generator (xorshift), so a failing schedule can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn try_post(s: &Server, path: &str, key: &str, body: &Value) -> Option<(u16, Value)> {
    let r = s.http.post(s.url(path)).header("X-API-Key", key).json(body).send().ok()?;
    let status = r.status().as_u16();
    let text = r.text().ok()?;
    Some((status, serde_json::from_str(&text).ok()?))
}

fn final_state(s: &Server, key: &str, id: &str) -> Vec<Value> {
    ["", "/trades", "/results"]
        .iter()
        .map(|p| {
            let (status, mut body) = s.get(&format!("/api/v1/runs/{id}{p}"), Some(key));
            assert_eq!(status, 200, "{p}: {body}");
            // The run's own id and creation time are the only things allowed to differ.
            if let Some(run) = body.get_mut("run").and_then(Value::as_object_mut) {
                run.remove("id");
                run.remove("created_at");
            }
            body
        })
        .collect()
}

#[test]
fn every_acknowledged_write_survives_sigkill_and_the_run_matches_a_control_run() {
    let dir = temp_dir("crash");
    let db = dir.join("vectrade.db");
    let mut server = Server::start(&db);
    let key = server.key().to_string();
    let (_, created) = server.post("/api/v1/runs", Some(&key), &json!({"scenario_slug": "tech-2024-q2"}));
    let id = created["run"]["id"].as_str().unwrap().to_string();

    let mut rng = Rng(0x5eed_cafe_f00d);
    let mut acked: Vec<(usize, (u16, Value))> = Vec::new();
    let (mut kills, mut checks) = (0, 0);
    let mut i = 0;
    while i < REQUESTS {
        if kills < KILLS && rng.next().is_multiple_of(REQUESTS as u64 / KILLS as u64 / 2) {
            // A SIGKILL somewhere in the next few milliseconds: before, during or after a request.
            let pid = server.child.id().to_string();
            let delay = Duration::from_micros(rng.next() % 3000);
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let _ = Command::new("kill").args(["-9", &pid]).status();
            });
            kills += 1;
        }
        let (suffix, body) = request(i);
        match try_post(&server, &format!("/api/v1/runs/{id}/{suffix}"), &key, &body) {
            Some(answer) => {
                assert!(answer.0 < 300, "request {i} failed: {answer:?}");
                acked.push((i, answer));
                i += 1;
            }
            None => {
                // Killed: restart on the same file and check every acknowledged write is there.
                let _ = server.child.wait();
                server = Server::start(&db);
                for (j, answer) in &acked {
                    let (suffix, body) = request(*j);
                    let again = try_post(&server, &format!("/api/v1/runs/{id}/{suffix}"), &key, &body)
                        .expect("the restarted server answers");
                    assert_eq!(&again, answer, "acknowledged request {j} changed after a restart");
                    checks += 1;
                }
                // The request in flight is retried under its key: applied once whether or not it
                // was committed before the kill.
            }
        }
    }
    // Make sure the last kill (if any is pending) happened before comparing.
    std::thread::sleep(Duration::from_millis(10));
    if server.child.try_wait().ok().flatten().is_some() {
        server = Server::start(&db);
    }
    let (_, end) = server.post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({"count": 100000}));
    assert_eq!(end["done"], true, "{end}");
    let crashed = final_state(&server, &key, &id);
    drop(server);

    assert_matches_control(&acked, &crashed, "crash-control");
    println!(
        "crash test: {kills} SIGKILLs, {} acknowledged writes, {checks} re-checks after restarts, final state identical to the control run",
        acked.len()
    );
    assert!(kills >= KILLS, "only {kills} kills happened");
}

/// The same load on two processes sharing a PostgreSQL database (`--shared`): requests go through
/// the process that does not hold the account, which forwards them; the holder is killed with
/// SIGKILL at random moments and restarted, and the other takes the account over. Every
/// acknowledged write survives each takeover and the run ends as the control run.
#[test]
fn shared_processes_hand_an_account_over_after_sigkill_without_losing_a_write() {
    if common::postgres_url().is_none() {
        eprintln!("skipped: runs on PostgreSQL only (VECTRADE_TEST_POSTGRES)");
        return;
    }
    let dir = temp_dir("crash-shared");
    let db = dir.join("vectrade.db");
    let mut servers = [Server::start_with(&db, &["--shared"]), Server::start_with(&db, &["--shared"])];
    let key = servers[0].key().to_string();
    // The account's first request goes to servers[1]: it holds the account from then on.
    let mut holder = 1;
    let (_, created) = servers[holder].post("/api/v1/runs", Some(&key), &json!({"scenario_slug": "tech-2024-q2"}));
    let id = created["run"]["id"].as_str().unwrap().to_string();

    let mut rng = Rng(0x0dd_ba11_5eed);
    let mut acked: Vec<(usize, (u16, Value))> = Vec::new();
    let (mut kills, mut checks, mut moving) = (0, 0, 0);
    let mut i = 0;
    while i < REQUESTS {
        if kills < KILLS && rng.next().is_multiple_of(REQUESTS as u64 / KILLS as u64 / 2) {
            // The holder dies in the next few milliseconds, perhaps in the middle of a request.
            let pid = servers[holder].child.id().to_string();
            let delay = Duration::from_micros(rng.next() % 3000);
            let killer = std::thread::spawn(move || {
                std::thread::sleep(delay);
                let _ = Command::new("kill").args(["-9", &pid]).status();
            });
            let (suffix, body) = request(i);
            let entry = &servers[1 - holder];
            if let Some(answer) = try_post(entry, &format!("/api/v1/runs/{id}/{suffix}"), &key, &body)
                && answer.0 < 300
            {
                acked.push((i, answer));
                i += 1;
            }
            killer.join().unwrap();
            let _ = servers[holder].child.wait();
            kills += 1;
            // The survivor takes the account on the next request; the dead one comes back as the
            // entry, and every acknowledged write is checked through it.
            servers[holder] = Server::start_with(&db, &["--shared"]);
            holder = 1 - holder;
            loop {
                match servers[holder].get(&format!("/api/v1/runs/{id}"), Some(&key)) {
                    (503, _) => {
                        moving += 1;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    (status, body) => {
                        assert_eq!(status, 200, "{body}");
                        break;
                    }
                }
            }
            for (j, answer) in &acked {
                let (suffix, body) = request(*j);
                let again = loop {
                    match try_post(&servers[1 - holder], &format!("/api/v1/runs/{id}/{suffix}"), &key, &body) {
                        Some((503, _)) | None => {
                            moving += 1;
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Some(a) => break a,
                    }
                };
                assert_eq!(&again, answer, "acknowledged request {j} changed after a takeover");
                checks += 1;
            }
            continue;
        }
        let (suffix, body) = request(i);
        match try_post(&servers[1 - holder], &format!("/api/v1/runs/{id}/{suffix}"), &key, &body) {
            Some(answer) if answer.0 < 300 => {
                acked.push((i, answer));
                i += 1;
            }
            // Moving between processes: retried under its idempotency key.
            Some((503, _)) | None => {
                moving += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            Some(answer) => panic!("request {i} failed: {answer:?}"),
        }
    }
    let (_, end) = servers[0].post(&format!("/api/v1/runs/{id}/step"), Some(&key), &json!({"count": 100000}));
    assert_eq!(end["done"], true, "{end}");
    let crashed = final_state(&servers[1], &key, &id);
    assert_eq!(final_state(&servers[0], &key, &id), crashed, "both processes show one run");
    drop(servers);
    assert_matches_control(&acked, &crashed, "crash-shared-control");
    println!(
        "shared crash test: {kills} SIGKILLs of the account's holder, {} acknowledged writes, {checks} re-checks after takeovers, {moving} answers 'moving' retried, final state identical to the control run",
        acked.len()
    );
    assert!(kills >= KILLS, "only {kills} kills happened");
}
