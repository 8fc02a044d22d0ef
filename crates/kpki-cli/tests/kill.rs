//! Nothing lost on a crash: `kpki init`, `kpki certs renew all` and each `kpki ca rotate`
//! phase run in a child process and SIGKILLed at random points. After each kill the
//! next kpki call on the directory (`kpki certs check-expiration`, a reader) recovers it,
//! and then, checked with kpki-testkit's oracle (x509-cert, webpki, rustls's key loader):
//!
//! - no temporary file or journal is left;
//! - every key matches its certificate (the first of a bundle), `sa.key` is in `sa.pub`,
//!   every kubeconfig's client key matches its certificate;
//! - every leaf chains to a CA of its role's bundle, every kubeconfig's client
//!   certificate to `pki/ca.crt`'s, and `apiserver.crt` to every kubeconfig's
//!   `certificate-authority-data`;
//! - the command was all or nothing: the files changed since before it are none or
//!   exactly those a whole run changes;
//! - the same command run again completes the job (for `init` whose kill came after the
//!   commit point: the PKI is whole already, so the rerun refuses to overwrite it and
//!   changes nothing — kpki's rule for an existing directory without `--force`).
//!
//! `KPKI_KILLS` sets the number of kills over the five commands (default 200, the quick
//! mode of `scripts/test.sh`; the README's full mode is 1,000); `KPKI_KILL_SEED` replays
//! a run. Kill times are drawn over the command's measured run time, two thirds of them
//! over its last 60 %, where the writing happens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::*;

/// One command under test: its arguments (after `kpki`) and the directory state it
/// starts from, made by running `setup` commands on an empty directory.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    setup: &'static [&'static [&'static str]],
}

const INIT: &[&str] = &[
    "init",
    "--quiet",
    "--node-name",
    "node01",
    "--advertise-address",
    "10.0.0.10",
    "--key-algorithm",
    "ecdsa-p256",
];
const RENEW: &[&str] = &["certs", "renew", "all"];
const START: &[&str] = &["ca", "rotate", "start"];
const REISSUE: &[&str] = &["ca", "rotate", "reissue"];
const FINISH: &[&str] = &["ca", "rotate", "finish"];

/// A small deterministic generator (xorshift64*), seeded per run and printed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn seed(case: &str) -> u64 {
    let base = std::env::var("KPKI_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    // Each case its own stream; `| 1` keeps xorshift off zero.
    let mix = case.bytes().fold(base, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    eprintln!("kill test {case}: KPKI_KILL_SEED={base}");
    mix | 1
}

fn kills_per_case() -> usize {
    let total: usize = std::env::var("KPKI_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    total.div_ceil(5).max(1)
}

fn command(args: &[&str], dir: &Path) -> Command {
    let mut cmd = Command::new(kpki_bin());
    cmd.args(args)
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn run_ok(args: &[&str], dir: &Path) {
    let out = run(&mut command(args, dir), Duration::from_secs(120));
    assert!(
        out.status.success(),
        "kpki {args:?} --dir {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir` with its bytes and mode.
type Snapshot = Vec<(String, Vec<u8>, u32)>;

fn restore(snapshot: &Snapshot, dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes, mode) in snapshot {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
}

/// The files that differ between two snapshots: changed, created or removed.
fn changed(before: &Snapshot, after: &Snapshot) -> BTreeSet<String> {
    let names: BTreeSet<&String> = before.iter().chain(after).map(|(n, _, _)| n).collect();
    let find = |s: &Snapshot, n: &str| {
        s.iter()
            .find(|(m, _, _)| m == n)
            .map(|(_, b, m)| (b.clone(), *m))
    };
    names
        .into_iter()
        .filter(|n| find(before, n) != find(after, n))
        .cloned()
        .collect()
}

/// What a kill left before any recovery: a journal (cut after the commit point),
/// temporary files without one (cut while writing), or neither.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Cut {
    BeforeAnyWrite,
    WhileWriting,
    AfterCommitPoint,
    AfterTheWrite,
}

fn leftovers(dir: &Path) -> (bool, usize) {
    let files = if dir.exists() {
        list_files(dir)
    } else {
        vec![]
    };
    let journal = files.iter().any(|f| f == ".kpki-journal.json");
    let temps = files
        .iter()
        .filter(|f| {
            let name = Path::new(f).file_name().unwrap().to_string_lossy();
            name.starts_with('.') && name.contains(".kpki-")
        })
        .count();
    (journal, temps)
}

fn pem_certs(path: &Path) -> Vec<Vec<u8>> {
    pem_blocks(&std::fs::read(path).unwrap())
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect()
}

/// `leaf` chains to one of `anchors` for some purpose (client or server), per webpki.
fn chains_to_one_of(leaf: &[u8], anchors: &[Vec<u8>], at: SystemTime) -> bool {
    anchors.iter().any(|ca| {
        [Purpose::Client, Purpose::Server]
            .into_iter()
            .any(|p| webpki_verify(leaf, ca, p, at).is_ok())
    })
}

/// The value of a one-line kubeconfig field (`  name: value`), base64-decoded.
fn kubeconfig_data(text: &str, field: &str) -> Option<Vec<u8>> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix(&format!("{field}:")))
        .map(|v| b64(v.trim().trim_matches('"')).unwrap())
        .next()
}

/// The directory's invariants after recovery; returns the problems found.
fn problems(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let (journal, temps) = leftovers(dir);
    if journal || temps > 0 {
        out.push(format!(
            "left over: journal {journal}, {temps} temporary file(s)"
        ));
    }
    let files = list_files(dir);
    if files.is_empty() {
        return out;
    }
    let at = SystemTime::now();
    let pki = dir.join("pki");
    // Keys against certificates (new CAs under pki/rotation/ too).
    for f in files
        .iter()
        .filter(|f| f.ends_with(".key") && f.as_str() != "pki/sa.key")
    {
        let crt = dir.join(f.replace(".key", ".crt"));
        if !crt.exists() {
            out.push(format!("{f} without its certificate"));
            continue;
        }
        let spki = public_key_of_private(&std::fs::read(dir.join(f)).unwrap()).unwrap();
        let first = Parsed::from_der(pem_certs(&crt)[0].clone()).unwrap();
        if first.spki_der() != spki {
            out.push(format!(
                "{f} does not match the first certificate of its .crt"
            ));
        }
    }
    if pki.join("sa.key").exists() {
        let spki = public_key_of_private(&std::fs::read(pki.join("sa.key")).unwrap()).unwrap();
        let published: Vec<Vec<u8>> = pem_blocks(&std::fs::read(pki.join("sa.pub")).unwrap())
            .into_iter()
            .map(|(_, der)| der)
            .collect();
        if !published.contains(&spki) {
            out.push("sa.key's public key is not in sa.pub".into());
        }
    }
    // Leaves against their role's bundle.
    let bundle = |p: &str| pem_certs(&pki.join(p));
    for f in files
        .iter()
        .filter(|f| f.starts_with("pki/") && f.ends_with(".crt"))
    {
        if f.starts_with("pki/rotation/") {
            continue;
        }
        let der = pem_certs(&dir.join(f))[0].clone();
        let parsed = Parsed::from_der(der.clone()).unwrap();
        if parsed
            .basic_constraints()
            .unwrap()
            .is_some_and(|(_, bc)| bc.ca)
        {
            continue;
        }
        let role = if f.starts_with("pki/etcd/") || f.ends_with("apiserver-etcd-client.crt") {
            "etcd/ca.crt"
        } else if f.ends_with("front-proxy-client.crt") {
            "front-proxy-ca.crt"
        } else {
            "ca.crt"
        };
        if !chains_to_one_of(&der, &bundle(role), at) {
            out.push(format!("{f} does not chain to a CA in pki/{role}"));
        }
    }
    // Kubeconfigs: client pair, client against the cluster CA bundle, and the server
    // certificate against the kubeconfig's own CA data.
    let apiserver = pem_certs(&pki.join("apiserver.crt"))[0].clone();
    for f in files.iter().filter(|f| f.ends_with(".conf")) {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        let cas: Vec<Vec<u8>> = kubeconfig_data(&text, "certificate-authority-data")
            .map(|pem| pem_blocks(&pem).into_iter().map(|(_, d)| d).collect())
            .unwrap_or_default();
        if !chains_to_one_of(&apiserver, &cas, at) {
            out.push(format!(
                "{f}: apiserver.crt does not chain to its certificate-authority-data"
            ));
        }
        let (Some(cert), Some(key)) = (
            kubeconfig_data(&text, "client-certificate-data"),
            kubeconfig_data(&text, "client-key-data"),
        ) else {
            continue;
        };
        let cert = pem_blocks(&cert).remove(0).1;
        let parsed = Parsed::from_der(cert.clone()).unwrap();
        if parsed.spki_der() != public_key_of_private(&key).unwrap() {
            out.push(format!(
                "{f}: the client key does not match its certificate"
            ));
        }
        if !chains_to_one_of(&cert, &bundle("ca.crt"), at) {
            out.push(format!(
                "{f}: the client certificate does not chain to pki/ca.crt"
            ));
        }
    }
    out
}

struct Tally {
    kills: usize,
    finished_first: usize,
    cuts: std::collections::BTreeMap<Cut, usize>,
    none_changed: usize,
    all_changed: usize,
}

fn kill_case(case: &Case) -> Tally {
    let work = TempDir::new(&format!("kill-{}", case.name));
    // The starting state.
    let start_dir = work.join("start");
    std::fs::create_dir_all(&start_dir).unwrap();
    for args in case.setup {
        run_ok(args, &start_dir);
    }
    let start = snapshot(&start_dir);
    assert!(
        problems(&start_dir).is_empty(),
        "{:?}",
        problems(&start_dir)
    );

    // Calibration: whole runs give the run time and the set of files a run changes.
    let mut times = Vec::new();
    let mut whole: Option<BTreeSet<String>> = None;
    for i in 0..5 {
        let dir = work.join(format!("whole-{i}"));
        restore(&start, &dir);
        // Timed as the kill runs are: spawn to exit, nothing read from the child.
        let t = Instant::now();
        let status = command(case.args, &dir)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        times.push(t.elapsed());
        assert!(status.success(), "{}: a whole run failed", case.name);
        let set = changed(&start, &snapshot(&dir));
        assert!(!set.is_empty(), "{} changed nothing", case.name);
        if let Some(w) = &whole {
            assert_eq!(
                w, &set,
                "{}: two whole runs changed different files",
                case.name
            );
        }
        whole = Some(set);
        assert!(problems(&dir).is_empty(), "{:?}", problems(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let whole = whole.unwrap();
    times.sort();
    let run_time = times[times.len() / 2];

    let mut rng = Rng(seed(case.name));
    let mut tally = Tally {
        kills: 0,
        finished_first: 0,
        cuts: Default::default(),
        none_changed: 0,
        all_changed: 0,
    };
    let wanted = kills_per_case();
    let dir = work.join("run");
    let mut attempt = 0;
    while tally.kills < wanted {
        attempt += 1;
        assert!(
            attempt < wanted * 20,
            "{}: the kills keep missing",
            case.name
        );
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        restore(&start, &dir);
        let u = if rng.next().is_multiple_of(3) {
            rng.unit()
        } else {
            0.4 + rng.unit() * 0.6
        };
        let delay = run_time.mul_f64(u);
        let mut child = command(case.args, &dir)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.signal() != Some(9) {
            assert!(status.success(), "{}: {status} without a kill", case.name);
            tally.finished_first += 1;
            continue;
        }
        tally.kills += 1;
        let (journal, temps) = leftovers(&dir);
        let now_changed = changed(&start, &snapshot(&dir));
        let cut = if journal {
            Cut::AfterCommitPoint
        } else if temps > 0 {
            Cut::WhileWriting
        } else if now_changed.is_empty() {
            Cut::BeforeAnyWrite
        } else {
            Cut::AfterTheWrite
        };
        *tally.cuts.entry(cut).or_default() += 1;
        let context = || {
            format!(
                "{} killed after {delay:?} ({cut:?}; replay with KPKI_KILL_SEED)",
                case.name
            )
        };

        // Recovery: the next kpki call on the directory, a reader.
        let _ = run(
            &mut command(&["certs", "check-expiration"], &dir),
            Duration::from_secs(120),
        );
        let found = problems(&dir);
        assert!(found.is_empty(), "{}: {found:#?}", context());
        let after_kill = changed(&start, &snapshot(&dir));
        if after_kill.is_empty() {
            tally.none_changed += 1;
        } else {
            assert_eq!(
                after_kill,
                whole,
                "{}: neither nothing nor everything changed",
                context()
            );
            tally.all_changed += 1;
        }

        // The same command again completes the job.
        let before_rerun = snapshot(&dir);
        let out = run(&mut command(case.args, &dir), Duration::from_secs(120));
        let stderr = String::from_utf8_lossy(&out.stderr);
        if case.args[0] == "init" && !after_kill.is_empty() {
            assert!(
                !out.status.success() && stderr.contains("already exists"),
                "{}: a rerun of a whole init: {stderr}",
                context()
            );
            assert_eq!(
                snapshot(&dir),
                before_rerun,
                "{}: the refused rerun wrote",
                context()
            );
        } else {
            assert!(
                out.status.success(),
                "{}: the rerun failed: {stderr}",
                context()
            );
        }
        let found = problems(&dir);
        assert!(found.is_empty(), "{} and rerun: {found:#?}", context());
        assert_eq!(
            changed(&start, &snapshot(&dir)),
            whole,
            "{}: the rerun did not finish the job",
            context()
        );
    }
    println!(
        "kill test {}: {} kills ({} runs finished before their kill), run time {run_time:?}; \
         cut {:?}; after recovery: {} unchanged, {} whole; {} files per whole run",
        case.name,
        tally.kills,
        tally.finished_first,
        tally.cuts,
        tally.none_changed,
        tally.all_changed,
        whole.len()
    );
    tally
}

fn check(case: Case) {
    let tally = kill_case(&case);
    assert_eq!(tally.kills, kills_per_case());
}

#[test]
fn init_killed_at_random_points() {
    check(Case {
        name: "init",
        args: INIT,
        setup: &[],
    });
}

#[test]
fn certs_renew_killed_at_random_points() {
    check(Case {
        name: "certs-renew",
        args: RENEW,
        setup: &[INIT],
    });
}

#[test]
fn ca_rotate_start_killed_at_random_points() {
    check(Case {
        name: "rotate-start",
        args: START,
        setup: &[INIT],
    });
}

#[test]
fn ca_rotate_reissue_killed_at_random_points() {
    check(Case {
        name: "rotate-reissue",
        args: REISSUE,
        setup: &[INIT, START],
    });
}

#[test]
fn ca_rotate_finish_killed_at_random_points() {
    check(Case {
        name: "rotate-finish",
        args: FINISH,
        setup: &[INIT, START, REISSUE],
    });
}
