//! Hosts, fan-out, ordering, batches and failure policy on the lab's real hosts over SSH.
//! Needs the lab (`sudo lab/up.sh`, done by .ci/run).

use crate::common::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const FIVE: &str = "rbh1:rbh2:rbh3:rbh9:rbh10";

fn json_map(text: &str) -> BTreeMap<String, serde_json::Value> {
    let line = text.lines().last().unwrap_or("{}");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Host names sorted by the nanosecond timestamp each host recorded.
fn by_time(stamps: &BTreeMap<String, serde_json::Value>) -> Vec<String> {
    let mut v: Vec<(u128, String)> = stamps
        .iter()
        .map(|(h, t)| (t.as_str().unwrap().trim().parse().unwrap(), h.clone()))
        .collect();
    v.sort();
    v.into_iter().map(|(_, h)| h).collect()
}

#[test]
fn each_order_visits_hosts_in_the_expected_sequence() {
    let (lab, _g) = lab!();
    // Seed 7's shuffle, recorded once and written out: a test that asked rb for the expected
    // order could not catch a shuffle that changed.
    let shuffled: Vec<String> = ["rbh2", "rbh9", "rbh10", "rbh3", "rbh1"]
        .map(String::from)
        .to_vec();
    let from_cli = lab
        .rb(&["hosts", FIVE, "--order", "shuffle", "--seed", "7"])
        .output()
        .unwrap();
    assert_eq!(stdout(&from_cli).lines().collect::<Vec<_>>(), shuffled);
    let inventory = ["rbh1", "rbh2", "rbh3", "rbh9", "rbh10"];
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("inventory", inventory.map(String::from).to_vec()),
        (
            "reverse_inventory",
            ["rbh10", "rbh9", "rbh3", "rbh2", "rbh1"]
                .map(String::from)
                .to_vec(),
        ),
        (
            "sorted",
            ["rbh1", "rbh10", "rbh2", "rbh3", "rbh9"]
                .map(String::from)
                .to_vec(),
        ),
        (
            "reverse_sorted",
            ["rbh9", "rbh3", "rbh2", "rbh10", "rbh1"]
                .map(String::from)
                .to_vec(),
        ),
        ("shuffle", shuffled),
    ];
    for (order, want) in cases {
        let out = lab.run(
            &format!(
                r#"
let list = hosts("{FIVE}");
on(list, #{{order: "{order}", serial: 1}}, |h| h.sh("date +%s%N > /tmp/rb-order-stamp"));
print(to_json(on(list, |h| h.read("/tmp/rb-order-stamp"))));
"#
            ),
            &["--seed", "7"],
        );
        out.code(0);
        assert_eq!(by_time(&json_map(&stdout(&out))), want, "order {order}");
    }
}

/// (start, end) nanosecond stamps each host recorded around a sleep.
fn intervals(out: &str) -> BTreeMap<String, (u128, u128)> {
    json_map(out)
        .into_iter()
        .map(|(h, v)| {
            let s = v.as_str().unwrap();
            let mut it = s.split_whitespace().map(|x| x.parse::<u128>().unwrap());
            (h, (it.next().unwrap(), it.next().unwrap()))
        })
        .collect()
}

const TIMED: &str = r#"
let r = on(hosts(vars.pattern), vars.opts, |h| h.sh("date +%s%N; sleep 0.4; date +%s%N").out);
print(to_json(r));
"#;

/// Each of the five hosts' (start, end) of a 0.4 s command, run with `on` options `opts`.
fn timed_run(lab: &Lab, opts: &str) -> BTreeMap<String, (u128, u128)> {
    let out = lab.run(
        TIMED,
        &[
            "-e",
            &format!("pattern={FIVE}"),
            "-e",
            &format!("opts={opts}"),
        ],
    );
    out.code(0);
    intervals(&stdout(&out))
}

#[test]
fn serial_2_never_has_more_than_2_hosts_in_flight() {
    let (lab, _g) = lab!();
    let iv = timed_run(&lab, r#"{"serial": 2}"#);
    assert_eq!(iv.len(), 5);
    let most = iv
        .values()
        .map(|&(s, _)| iv.values().filter(|&&(a, b)| a <= s && s < b).count())
        .max()
        .unwrap();
    assert_eq!(most, 2, "hosts in flight at once: {iv:?}");
}

#[test]
fn serial_list_makes_batches_of_1_then_half() {
    let (lab, _g) = lab!();
    let iv = timed_run(&lab, r#"{"serial": [1, "50%"]}"#);
    let mut iv: Vec<(u128, u128)> = iv.into_values().collect();
    iv.sort();
    // A new batch starts only after every host of the previous one ended.
    let mut batches: Vec<usize> = Vec::new();
    let mut end = 0;
    for (s, e) in iv {
        if s > end || batches.is_empty() {
            batches.push(0);
        }
        *batches.last_mut().unwrap() += 1;
        end = end.max(e);
    }
    assert_eq!(batches, [1, 2, 2]);
}

#[test]
fn a_host_whose_sshd_dies_mid_run_is_unreachable_and_the_others_finish() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("b.rhai");
    std::fs::write(
        &book,
        r#"
on(hosts("rbh1:rbh2:rbh3:rbh4:rbh5"), |h| {
    h.sh("rm -f /tmp/rb-unreach; echo started > /tmp/rb-unreach");
    h.sh("sleep 2");
    h.sh("echo finished > /tmp/rb-unreach");
});
"#,
    )
    .unwrap();
    let child = lab
        .rb(&["run", book.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    lab.kill_host("rbh3");
    let out = child.wait_with_output().unwrap();
    lab.restart_host("rbh3");
    out.code(1);
    let err = stderr(&out);
    assert!(err.contains("rbh3 › UNREACHABLE"), "{err}");
    assert!(
        !err.contains("rbh1 › UNREACHABLE") && !err.contains("FAILED"),
        "{err}"
    );
    let recap = err.lines().find(|l| l.starts_with("rbh3 ")).unwrap();
    let cols: Vec<&str> = recap.split_whitespace().collect();
    assert_eq!(cols[3..5], ["0", "1"], "failed 0, unreachable 1: {recap}");
    for h in ["rbh1", "rbh2", "rbh4", "rbh5"] {
        assert_eq!(lab.ssh(h, "cat /tmp/rb-unreach").trim(), "finished", "{h}");
    }
}

/// The lab's inventory plus `ghost`, a host whose port refuses connections.
fn with_ghost(lab: &Lab, dir: &std::path::Path) -> std::path::PathBuf {
    lab.inventory_with(
        "",
        "[ghosts]\nghost ansible_host=10.77.0.1 ansible_port=1\n",
        dir,
    )
}

#[test]
fn a_host_that_refuses_connections_is_unreachable_with_sshs_reason() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let inv = with_ghost(&lab, dir.path());
    let book = dir.path().join("b.rhai");
    std::fs::write(
        &book,
        "let r = on(hosts(\"ghost:rbh1\"), |h| h.sh(\"echo hi\").out);\nprint(r.rbh1);\n",
    )
    .unwrap();
    let out = lab
        .rb_with(&inv, &["run", book.to_str().unwrap()])
        .output()
        .unwrap();
    out.code(1);
    assert_eq!(stdout(&out), "hi\n");
    let err = stderr(&out);
    assert!(
        err.contains("ghost › UNREACHABLE") && err.contains("Connection refused"),
        "{err}"
    );
    // The same through a file function: unreachable too, not a failure of the runbook.
    std::fs::write(
        &book,
        "on(hosts(\"ghost:rbh1\"), |h| h.put(\"/tmp/rb-unreach\", \"x\"));\n",
    )
    .unwrap();
    let out = lab
        .rb_with(&inv, &["run", book.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    out.code(1);
    let failed: Vec<serde_json::Value> = json_events(&stdout(&out))
        .into_iter()
        .filter(|e| e["event"] == "host_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["host"], "ghost");
    assert_eq!(failed[0]["unreachable"], true, "{failed:?}");
}

const FAILING: &str = r#"
let list = hosts(vars.pattern);
on(list, #{ max_fail_percentage: 40 }, |h| if vars.fail.contains(h.name) { fail("planned failure") });
on(list, |h| h.sh("touch /tmp/rb-after"));
"#;

fn after_marks(lab: &Lab) -> Vec<String> {
    FIVE.split(':')
        .filter(|h| lab.ssh(h, "test -e /tmp/rb-after && echo yes").trim() == "yes")
        .map(String::from)
        .collect()
}

fn clear_marks(lab: &Lab) {
    for h in FIVE.split(':') {
        lab.ssh(h, "rm -f /tmp/rb-after /tmp/rb-fatal");
    }
}

#[test]
fn max_fail_percentage_stops_when_exceeded_and_not_before() {
    let (lab, _g) = lab!();
    clear_marks(&lab);
    // 2 of 5 = 40%: not more than 40%, the play goes on without the failed hosts.
    let out = lab.run(
        FAILING,
        &[
            "-e",
            &format!("pattern={FIVE}"),
            "-e",
            r#"fail=["rbh1","rbh2"]"#,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "failed hosts fail the run");
    assert_eq!(after_marks(&lab), ["rbh3", "rbh9", "rbh10"]);
    assert!(
        !stderr(&out).contains("max_fail_percentage"),
        "{}",
        stderr(&out)
    );
    clear_marks(&lab);
    // 3 of 5 = 60%: the run stops before the next step.
    let out = lab.run(
        FAILING,
        &[
            "-e",
            &format!("pattern={FIVE}"),
            "-e",
            r#"fail=["rbh1","rbh2","rbh3"]"#,
        ],
    );
    out.code(1);
    assert!(
        stderr(&out).contains("max_fail_percentage 40% exceeded in batch 1 (3 of 5 hosts failed"),
        "{}",
        stderr(&out)
    );
    assert!(after_marks(&lab).is_empty());
}

#[test]
fn any_errors_fatal_stops_after_the_failing_batch() {
    let (lab, _g) = lab!();
    clear_marks(&lab);
    let book = format!(
        r#"
on(hosts("{FIVE}"), #{{serial: 2, any_errors_fatal: vars.fatal}}, |h| {{
    h.sh("touch /tmp/rb-after");
    if h.name == "rbh1" {{ fail("rbh1 is broken") }}
}});
"#
    );
    let out = lab.run(&book, &["-e", "fatal=true"]);
    out.code(1);
    assert!(
        stderr(&out).contains("any_errors_fatal: rbh1 failed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        after_marks(&lab),
        ["rbh1", "rbh2"],
        "the second and third batches never start"
    );
    clear_marks(&lab);
    let out = lab.run(&book, &["-e", "fatal=false"]);
    out.code(1);
    assert_eq!(
        after_marks(&lab),
        FIVE.split(':').collect::<Vec<_>>(),
        "without it the others go on"
    );
}

#[test]
fn check_mode_changes_nothing_on_any_host() {
    let (lab, _g) = lab!();
    let book = r#"
on(hosts("lab"), |h| {
    h.put("/etc/rb-check-test.conf", "a=1\n");
    h.line_in_file("/etc/rb-check-line.conf", "^a=", "a=2", #{create: true});
    h.sh("touch /var/lib/rb-check-test");
    h.sh("hostname", #{check_mode: true}).out
});
"#;
    let out = lab.run(book, &["--check", "--diff"]);
    out.code(0);
    let err = stderr(&out);
    assert!(
        err.contains("rbh4 › put /etc/rb-check-test.conf: changed"),
        "{err}"
    );
    assert!(err.contains("+a=1"), "--diff shows the change: {err}");
    assert!(
        err.contains("rbh4 › touch /var/lib/rb-check-test: would run (check mode)"),
        "{err}"
    );
    for i in 1..=10 {
        let h = format!("rbh{i}");
        let seen = lab.ssh(
            &h,
            "ls /etc/rb-check-test.conf /etc/rb-check-line.conf /var/lib/rb-check-test 2>/dev/null",
        );
        assert_eq!(seen, "", "{h} was changed under --check");
    }
}

#[test]
fn big_and_binary_output_arrive_whole() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let local_copy = dir.path().join("copy.bin");
    let book = format!(
        r#"
let h = host("rbh2");
let big = h.sh("head -c 52428800 /dev/zero | tr '\\0' x");
print(big.stdout.len());
h.sh("head -c 300000 /dev/urandom > /tmp/rb-bin");
let bin = h.sh("cat /tmp/rb-bin");
local.put("{copy}", bin.stdout_bytes);
print(h.sh("sha256sum < /tmp/rb-bin").out == sh("sha256sum < {copy}").out);
"#,
        copy = local_copy.display()
    );
    let started = Instant::now();
    let out = lab.run(&book, &[]);
    out.code(0);
    assert_eq!(stdout(&out), "52428800\ntrue\n");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(std::fs::metadata(&local_copy).unwrap().len(), 300_000);
}

/// Over SSH too, a command printing without end is killed at the output limit: the call
/// fails with the limit, and the remote process is gone.
#[test]
fn output_past_the_limit_kills_the_remote_command() {
    let (lab, _g) = lab!();
    let book = "host(\"rbh2\").sh(\"yes rb-flood-remote\");\n";
    let out = lab.run(book, &["--max-output", "2M"]);
    assert_fails(
        &out,
        1,
        "command printed more than 2 MiB on rbh2 and was killed",
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        lab.ssh("rbh2", "pgrep -f '[y]es rb-flood-remote' || echo none")
            .trim(),
        "none"
    );
}

#[test]
fn files_behave_the_same_on_local_and_ssh_hosts() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.inventory_with("localhost\n", "", dir.path());
    let target = dir.path().join("rb-files.conf");
    let t = target.display();
    let book = dir.path().join("b.rhai");
    std::fs::write(
        &book,
        format!(
            r#"
let r = on(hosts("localhost:rbh5"), |h| {{
    h.sh("rm -f {t}; mkdir -p {dir}");
    let a = h.put("{t}", "KEY=\"1\"\nOTHER=x\n", #{{mode: "0640"}}).changed;
    let b = h.put("{t}", "KEY=\"1\"\nOTHER=x\n").changed;
    let ino = h.sh("stat -c %i {t}").out;
    let c = h.line_in_file("{t}", "^KEY=", "KEY=\"2\"");
    let d = h.line_in_file("{t}", "^KEY=", "KEY=\"2\"");
    let ino2 = h.sh("stat -c %i {t}").out;
    [a, b, c, d, ino != ino2, h.sh("stat -c %a {t}").out, h.read("{t}"),
     h.sh("ls -a {dir} | grep -c rb-put || true").out, h.exists("{t}"), h.which("sh") != ()]
}});
print(to_json(r));
"#,
            dir = dir.path().display()
        ),
    )
    .unwrap();
    let out = lab
        .rb_with(&inv, &["run", book.to_str().unwrap()])
        .output()
        .unwrap();
    out.code(0);
    let r = json_map(&stdout(&out));
    let want = serde_json::json!([
        true,
        false,
        true,
        false,
        true,
        "640",
        "KEY=\"2\"\nOTHER=x\n",
        "0",
        true,
        true
    ]);
    assert_eq!(r["localhost"], want);
    assert_eq!(r["rbh5"], want);
}

#[test]
fn progress_lines_recap_and_json_events_name_the_host() {
    let (lab, _g) = lab!();
    let book = "on(hosts(\"rbh1:rbh2\"), |h| { h.sh(\"true\"); h.sh(\"echo changed\", #{changed_if: |r| false}); });\n";
    let out = lab.run(book, &[]);
    out.code(0);
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.contains("rbh2 › true: changed"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.as_bytes()[2] == b':' && line.as_bytes()[5] == b':',
        "starts with HH:MM:SS: {line}"
    );
    assert!(err.contains("rbh1 › echo changed: ok"), "{err}");
    let recap: Vec<&str> = err.lines().skip_while(|l| *l != "RECAP").collect();
    assert!(
        recap[1].starts_with("host") && recap[1].contains("unreachable"),
        "{err}"
    );
    let row: Vec<&str> = recap
        .iter()
        .find(|l| l.starts_with("rbh2"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(
        row[1..6],
        ["2", "1", "0", "0", "0"],
        "ok changed failed unreachable skipped"
    );

    let out = lab.run(book, &["--json"]);
    let events = json_events(&stdout(&out));
    let hosts: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| e["event"] == "cmd_result")
        .map(|e| e["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts.into_iter().collect::<Vec<_>>(), ["rbh1", "rbh2"]);
}

#[test]
fn ctrl_c_kills_remote_commands_and_exits_130() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("b.rhai");
    std::fs::write(&book, "on(hosts(\"rbh1:rbh2\"), |h| h.sh(\"exec -a rbsshsleep sleep 30\", #{shell: \"/bin/bash\"}));\n").unwrap();
    let (out, took) = interrupt_after(
        lab.rb(&["run", book.to_str().unwrap()]),
        Duration::from_millis(1500),
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    out.code(130);
    assert!(stderr(&out).contains("RECAP"), "{}", stderr(&out));
    std::thread::sleep(Duration::from_millis(300));
    for h in ["rbh1", "rbh2"] {
        assert_eq!(
            lab.ssh(h, "pgrep -f rbsshslee[p] || true").trim(),
            "",
            "{h} still runs the command"
        );
    }
}

#[test]
fn exec_groups_output_per_host_and_hosts_lists_in_order() {
    let (lab, _g) = lab!();
    // Each host's answer is one block, printed as it arrives: rbh1 answers last here.
    let out = lab
        .rb(&[
            "exec",
            "lab[0:2]",
            "[ $(hostname) = rbh1 ] && sleep 1.5; hostname; echo oops >&2",
        ])
        .output()
        .unwrap();
    out.code(0);
    let text = stdout(&out);
    assert_eq!(text.matches(" | CHANGED | rc=0 >>\n").count(), 3, "{text}");
    assert!(
        text.ends_with("rbh1 | CHANGED | rc=0 >>\nrbh1\noops\n"),
        "the slow host's block comes last: {text}"
    );
    for h in ["rbh1", "rbh2", "rbh3"] {
        assert!(
            text.contains(&format!("{h} | CHANGED | rc=0 >>\n{h}\noops\n")),
            "{h}'s block whole: {text}"
        );
    }
    // No line per command and no recap table: one summary line.
    let err = stderr(&out);
    assert!(!err.contains("RECAP") && !err.contains("›"), "{err}");
    assert!(
        err.starts_with("3 hosts: 3 changed, 0 failed, 0 unreachable in "),
        "{err}"
    );
    // A non-zero rc fails the host: its output whole, counted failed, exit 1.
    let out = lab
        .rb(&[
            "exec",
            "rbh4:rbh5",
            "[ $(hostname) = rbh5 ] && sleep 0.5; echo out; [ $(hostname) = rbh5 ] || exit 3",
        ])
        .output()
        .unwrap();
    out.code(1);
    assert_eq!(
        stdout(&out),
        "rbh4 | FAILED | rc=3 >>\nout\nrbh5 | CHANGED | rc=0 >>\nout\n"
    );
    let err = stderr(&out);
    assert!(
        err.starts_with("2 hosts: 1 changed, 1 failed, 0 unreachable in "),
        "{err}"
    );
    // 127 is an exit status like any other (openssh's client library reports it as an
    // error: "remote command not found"), with the command's own words.
    let out = lab
        .rb(&["exec", "rbh4", "no-such-command-rb"])
        .output()
        .unwrap();
    out.code(1);
    assert_eq!(
        stdout(&out),
        "rbh4 | FAILED | rc=127 >>\n/bin/sh: 1: no-such-command-rb: not found\n"
    );
    let out = lab
        .rb(&["exec", "rbh4", "exit 3", "--json"])
        .output()
        .unwrap();
    out.code(1);
    let end = stdout(&out).lines().last().unwrap().to_string();
    assert!(
        end.contains(r#""event":"run_end","ok":false,"exit_code":1"#),
        "{end}"
    );
    let out = lab
        .rb(&["hosts", "lab:!rbh1*", "--order", "reverse_sorted"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "rbh9\nrbh8\nrbh7\nrbh6\nrbh5\nrbh4\nrbh3\nrbh2\n"
    );
}

#[test]
fn ssh_masters_persist_60s_by_default_and_ssh_persist_0_closes_them() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ppid.rhai");
    std::fs::write(
        &file,
        "print(on(hosts(\"rbh6\"), |h| h.sh(\"echo $PPID\").out).rbh6);\n",
    )
    .unwrap();
    // Without the flag (and without RB_SSH_PERSIST, which the tests set to 0).
    let default_run = || {
        let out = lab
            .rb(&["run", file.to_str().unwrap()])
            .env_remove("RB_SSH_PERSIST")
            .output()
            .unwrap();
        out.code(0);
        stdout(&out)
    };
    let first = default_run();
    let second = default_run();
    // $PPID is sshd's process for the connection: the same one served both runs.
    assert!(!first.trim().is_empty());
    assert_eq!(first, second, "the master was reused");
    // Its master's ControlPersist is Ansible's 60 s, in a folder private to the user.
    let masters = std::process::Command::new("pgrep")
        .args(["-a", "-f", "ControlPersist=60"])
        .output()
        .unwrap();
    let masters = stdout(&masters);
    let sock_dir = std::env::temp_dir().join(format!("rb-{}", unsafe { libc::getuid() }));
    assert!(
        masters.contains(&format!("-S {}", sock_dir.display())),
        "{masters}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sock_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    // --ssh-persist 0: a run opens (and closes) its own connection.
    let out = lab
        .rb(&["run", file.to_str().unwrap(), "--ssh-persist", "0"])
        .env_remove("RB_SSH_PERSIST")
        .output()
        .unwrap();
    let third = stdout(&out);
    assert_ne!(third, second);
    assert_eq!(
        lab.ssh(
            "rbh6",
            &format!("test -d /proc/{} && echo alive", third.trim())
        )
        .trim(),
        "",
        "closed at exit"
    );
}

#[test]
fn on_a_terminal_each_running_host_has_a_progress_line_and_each_command_leaves_one() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("slow.rhai");
    std::fs::write(
        &book,
        "on(hosts(\"rbh1:rbh2\"), |h| task(\"settle\", || h.sh(\"sleep 2\")));\n",
    )
    .unwrap();
    let cmd = format!(
        "{} run {} -i {} --ssh-config {}; sleep 30",
        env!("CARGO_BIN_EXE_rb"),
        book.display(),
        lab.inventory().display(),
        lab.ssh_config().display()
    );
    let t = Term::spawn("rbprogress", &cmd, (120, 20));
    // While the commands run: one spinner line per host, task › command, elapsed time.
    let started = Instant::now();
    let mut screen = String::new();
    while started.elapsed() < Duration::from_secs(5) {
        screen = t.screen();
        if screen.contains("rbh1 settle › sleep 2")
            && screen.contains("rbh2 settle › sleep 2")
            && screen.contains("1s")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        screen.contains("rbh1 settle › sleep 2") && screen.contains("rbh2 settle › sleep 2"),
        "{screen}"
    );
    // When they are done the spinners are gone and the recap is there.
    while started.elapsed() < Duration::from_secs(10) && !screen.contains("RECAP") {
        std::thread::sleep(Duration::from_millis(100));
        screen = t.screen();
    }
    t.close();
    // The spinners are gone; each finished command left its line.
    assert!(
        screen.contains("RECAP")
            && !screen.contains("rbh1 settle")
            && !screen.contains("rbh2 settle"),
        "{screen}"
    );
    for h in ["rbh1", "rbh2"] {
        assert!(
            screen.contains(&format!("{h} › settle › sleep 2: changed (2.")),
            "{screen}"
        );
    }
}

#[test]
fn a_control_master_the_user_already_has_is_used_and_left_open() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    // As operators write it: one ControlPath for every host, by its resolved address, so a
    // master opened as `ssh rbh4` serves rb connecting to rbh4's ansible_host too.
    let sock = dir.path().join("cm-%r@%h:%p");
    let cfg = lab.ssh_config_with(
        &format!("Host *\n    ControlPath {}\n", sock.display()),
        dir.path(),
    );
    let ssh = |args: &[&str]| {
        std::process::Command::new("ssh")
            .arg("-F")
            .arg(&cfg)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(ssh(&[
        "-o",
        "ControlMaster=yes",
        "-o",
        "ControlPersist=60",
        "-fN",
        "rbh4"
    ])
    .status
    .success());
    let theirs = stdout(&ssh(&["rbh4", "echo $PPID"]));
    let book = dir.path().join("b.rhai");
    std::fs::write(&book, "print(host(\"rbh4\").sh(\"echo $PPID\").out);\n").unwrap();
    let out = rb()
        .args(["run", book.to_str().unwrap(), "-i"])
        .arg(lab.inventory())
        .arg("--ssh-config")
        .arg(&cfg)
        .output()
        .unwrap();
    out.code(0);
    assert_eq!(
        stdout(&out),
        theirs,
        "rb's command went through the user's master"
    );
    assert!(
        ssh(&["-O", "check", "rbh4"]).status.success(),
        "and left it open"
    );
    ssh(&["-O", "exit", "rbh4"]);
}

#[test]
fn a_command_that_ends_the_run_outside_on_counts_its_host_failed_or_unreachable() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let inv = with_ghost(&lab, dir.path());
    let events = |script: &str| -> Vec<serde_json::Value> {
        let book = dir.path().join("b.rhai");
        std::fs::write(&book, script).unwrap();
        let out = lab
            .rb_with(&inv, &["run", book.to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        out.code(1);
        json_events(&stdout(&out))
    };
    let find = |ev: &[serde_json::Value], kind: &str| {
        ev.iter()
            .find(|e| e["event"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} event in {ev:?}"))
    };
    let row = |ev: &[serde_json::Value], host: &str| {
        find(ev, "recap")["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["host"] == host)
            .cloned()
            .unwrap_or_else(|| panic!("no recap row for {host}"))
    };

    let ev = events("hosts(\"rbh2\")[0].sh(\"true\");\nhosts(\"rbh1\")[0].sh(\"exit 4\");\n");
    assert_eq!(find(&ev, "error")["host"], "rbh1");
    assert_eq!(row(&ev, "rbh1")["failed"], 1);
    assert_eq!(row(&ev, "rbh2")["failed"], 0);
    assert_eq!(row(&ev, "rbh2")["ok"], 1);

    let ev = events("hosts(\"ghost\")[0].sh(\"true\");\n");
    assert_eq!(find(&ev, "error")["host"], "ghost");
    assert_eq!(row(&ev, "ghost")["unreachable"], 1);
    assert_eq!(row(&ev, "ghost")["failed"], 0);

    // A failure the runbook caught is not what ended the run: nobody is blamed for it.
    let ev = events("try { hosts(\"rbh1\")[0].sh(\"false\"); } catch {}\nfail(\"later\");\n");
    assert_eq!(find(&ev, "error")["host"], "local");
    assert_eq!(row(&ev, "rbh1")["failed"], 0);
}

#[test]
fn host_keys_are_checked_even_when_the_ssh_config_says_not_to() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known_hosts");
    std::fs::write(&known, "").unwrap();
    // A config that would accept (and record) any key; rb must not.
    let cfg = lab.ssh_config_with(
        &format!(
            "Host *\n    UserKnownHostsFile {}\n    StrictHostKeyChecking no\n",
            known.display()
        ),
        dir.path(),
    );
    lab.ssh("rbh3", "rm -f /tmp/rb-hostkey");
    for extra in [&[][..], &["--ssh-persist", "30"][..]] {
        let out = rb()
            .args(["exec", "rbh3", "touch /tmp/rb-hostkey"])
            .args(extra)
            .arg("-i")
            .arg(lab.inventory())
            .arg("--ssh-config")
            .arg(&cfg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        let text = stdout(&out);
        assert!(
            text.contains("rbh3 | UNREACHABLE >>") && text.contains("Host key verification failed"),
            "{extra:?}: {text}"
        );
        out.stderr_has("1 host: 0 changed, 0 failed, 1 unreachable");
        assert_eq!(
            std::fs::read_to_string(&known).unwrap(),
            "",
            "no key was recorded"
        );
    }
    assert_eq!(
        lab.ssh(
            "rbh3",
            "test -e /tmp/rb-hostkey && echo ran || echo untouched"
        )
        .trim(),
        "untouched"
    );
}

/// Real inventories reach hosts through a bastion (`ansible_ssh_common_args` with
/// ProxyJump) and by old-style `ansible_ssh_host`/`ansible_ssh_port`: the target's sshd
/// sees the connection come from the bastion's address, or from the controller's.
#[test]
fn hosts_are_reached_through_a_bastion_and_by_ansible_ssh_host() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.inventory_with(
        "",
        "[via_bastion]\nhidden ansible_ssh_host=10.77.0.12 ansible_ssh_user=root ansible_ssh_common_args='-o ProxyJump=rbh1'\noldstyle ansible_ssh_host=10.77.0.13 ansible_ssh_port=22\n",
        dir.path(),
    );
    let out = lab
        .rb_with(
            &inv,
            &["exec", "hidden:oldstyle", "echo $SSH_CONNECTION; hostname"],
        )
        .output()
        .unwrap();
    out.code(0);
    // `host | CHANGED | rc=0 >>` then the host's output.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut current = String::new();
    for line in stdout(&out).lines() {
        if let Some((h, _)) = line.split_once(" | ") {
            current = h.to_string();
        } else {
            seen.entry(current.clone())
                .or_default()
                .push_str(&format!("{line}\n"));
        }
    }
    let from = |h: &str| {
        seen[h]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        from("hidden"),
        "10.77.0.11",
        "through the bastion rbh1: {seen:?}"
    );
    assert!(seen["hidden"].trim_end().ends_with("rbh2"), "{seen:?}");
    assert_eq!(
        from("oldstyle"),
        "10.77.0.1",
        "directly from the controller: {seen:?}"
    );
    assert!(seen["oldstyle"].trim_end().ends_with("rbh3"), "{seen:?}");
}

/// `-u NAME` is the login user of hosts whose inventory names none (an inventory's
/// `ansible_user` wins, as in Ansible): the lab's sshd knows no such user, so the host is
/// unreachable with ssh's reason; without `-u`, the ssh config's root works.
#[test]
fn dash_u_sets_the_login_user() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.ini");
    std::fs::write(&inv, "solo ansible_host=10.77.0.11\n").unwrap();
    let out = lab
        .rb_with(&inv, &["exec", "solo", "id -un"])
        .output()
        .unwrap();
    out.code(0);
    out.stdout_has("root");
    let out = lab
        .rb_with(&inv, &["exec", "solo", "id -un", "-u", "rb-no-such-user"])
        .output()
        .unwrap();
    out.code(1);
    assert!(
        stdout(&out).contains("solo | UNREACHABLE"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("Permission denied"),
        "{}",
        stdout(&out)
    );
    // The lab inventory's ansible_user=root wins over -u.
    let out = lab
        .rb(&["exec", "rbh1", "id -un", "-u", "rb-no-such-user"])
        .output()
        .unwrap();
    out.code(0);
}

/// 200 hosts at once (`lab/up.sh 10 200`): a 10-command runbook leaves every host ok with 10
/// changes, under a soft open-files limit far below what 200 hosts in flight hold (rb raises
/// it to the hard limit) and under a hard limit that low too (rb runs fewer hosts at once).
#[test]
fn two_hundred_hosts_run_ten_commands_each() {
    let (lab, _g) = lab!();
    let scale = lab.dir.join("scale.ini");
    if !scale.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the scale hosts are not up: run `sudo lab/up.sh 10 200` (or .ci/run) first"
        );
        eprintln!("scale hosts are not up: sudo lab/up.sh 10 200 (skipping)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("ten.rhai");
    std::fs::write(
        &book,
        "on(hosts(\"scale\"), |h| { for i in 0..10 { h.sh(\"true\"); } });\n",
    )
    .unwrap();
    for limit in ["ulimit -Sn 256", "ulimit -n 128"] {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "{limit}; exec \"$0\" run \"$1\" -i \"$2\" --ssh-config \"$3\" --ssh-persist 0"
            ))
            .arg(env!("CARGO_BIN_EXE_rb"))
            .arg(&book)
            .arg(&scale)
            .arg(lab.ssh_config())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{limit}: {}", stderr(&out));
        let recap = stdout(&out) + stderr(&out).as_str();
        let rows: Vec<&str> = recap
            .lines()
            .filter(|l| l.starts_with("rbh"))
            .filter(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() == 7 && f[1..6] == ["10", "10", "0", "0", "0"]
            })
            .collect();
        assert_eq!(
            rows.len(),
            200,
            "{limit}: every host ok, 10 changed:\n{recap}"
        );
    }
}

/// The lab's test hosts are machines: Debian's systemd is PID 1 (lab/start-host.sh), so a
/// changed unit file runs only after `daemon-reload` (until then the old definition, with
/// systemd's warning), a failed requirement fails the start, a unit's output is in its
/// journal, and a package's maintainer scripts start its service at install, as on a real
/// host. The retired systemctl stand-in got two of these wrong: it failed a start whose
/// required `Type=simple` unit exited at once (systemd counts that job done), and it started
/// nothing at install.
#[test]
fn lab_hosts_boot_systemd_and_packages_start_their_services() {
    let (lab, _g) = lab!();
    let h = "rbh8";
    lab.ssh(
        h,
        "systemctl stop rbsd rbdep 2>/dev/null; systemctl reset-failed",
    );
    assert_eq!(
        lab.ssh(h, "ps -p 1 -o comm=; systemctl is-system-running")
            .trim(),
        "systemd\nrunning"
    );
    let cmdline = "xargs -0 echo </proc/$(systemctl show -p MainPID --value rbsd)/cmdline";
    lab.ssh(
        h,
        "systemctl stop rbsd rbdep 2>/dev/null; rm -f /etc/systemd/system/rbsd.service /etc/systemd/system/rbdep.service; systemctl daemon-reload; \
         printf '[Service]\\nExecStart=/bin/sh -c \"echo rbsd-says-hi; exec sleep 701\"\\n' >/etc/systemd/system/rbsd.service; systemctl start rbsd",
    );
    assert_eq!(lab.ssh(h, cmdline).trim(), "sleep 701");
    let journal = lab.ssh(h, "journalctl -u rbsd --no-pager -o cat");
    assert!(journal.contains("rbsd-says-hi"), "{journal}");
    // Changed on disk, no reload: the old definition runs again, and systemctl says why.
    let restart = lab.ssh(
        h,
        "printf '[Service]\\nExecStart=/bin/sleep 702\\n' >/etc/systemd/system/rbsd.service; systemctl restart rbsd 2>&1",
    );
    assert!(
        restart.contains("changed on disk. Run 'systemctl daemon-reload'"),
        "{restart}"
    );
    assert_eq!(lab.ssh(h, cmdline).trim(), "sleep 701");
    lab.ssh(h, "systemctl daemon-reload; systemctl restart rbsd");
    assert_eq!(lab.ssh(h, cmdline).trim(), "/bin/sleep 702");

    // Requires=: a requirement that fails (a oneshot exiting 1) fails the start; a simple
    // service that exits at once has started, as far as systemd is concerned.
    let failed = lab.ssh(
        h,
        "systemctl stop rbsd; printf '[Service]\\nType=oneshot\\nExecStart=/bin/false\\n' >/etc/systemd/system/rbdep.service; \
         printf '[Unit]\\nRequires=rbdep.service\\nAfter=rbdep.service\\n[Service]\\nExecStart=/bin/sleep 703\\n' >/etc/systemd/system/rbsd.service; \
         systemctl daemon-reload; systemctl start rbsd 2>&1; echo rc=$?; systemctl is-active rbsd",
    );
    assert!(
        failed.contains("A dependency job for rbsd.service failed")
            && failed.contains("rc=1")
            && failed.ends_with("inactive\n"),
        "{failed}"
    );
    let simple = lab.ssh(
        h,
        "printf '[Service]\\nExecStart=/bin/false\\n' >/etc/systemd/system/rbdep.service; systemctl daemon-reload; \
         systemctl start rbsd; echo rc=$?; systemctl is-active rbsd; systemctl stop rbsd; \
         rm -f /etc/systemd/system/rbsd.service /etc/systemd/system/rbdep.service; systemctl daemon-reload; systemctl reset-failed",
    );
    assert_eq!(simple, "rc=0\nactive\n");

    // A package's postinst starts its service (Debian's deb-systemd-invoke), before any
    // configuration a runbook would write: what etcd.rhai must expect on a real host.
    let started = lab.ssh(
        h,
        "apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >/dev/null 2>&1; systemctl is-active etcd; \
         DEBIAN_FRONTEND=noninteractive apt-get purge -y -q etcd-server >/dev/null 2>&1; rm -rf /var/lib/etcd; systemctl is-active etcd",
    );
    assert_eq!(started, "active\ninactive\n");
    // The host's package state is its own: the controller's dpkg is not the host's.
    assert_eq!(
        lab.ssh(
            h,
            "dpkg-query -W -f='${Status}' tmux 2>&1 | grep -c 'install ok' || true"
        )
        .trim(),
        "0"
    );
}

/// Every test host holds a server, a peer and a client certificate from the lab's CA
/// (lab/pki.sh), at the paths the inventory gives: a TLS server on one host that demands a
/// client certificate accepts another host's, reached by FQDN or address, and refuses a
/// certificate the CA did not sign, and a client without one.
#[test]
fn lab_hosts_hold_certificates_from_the_lab_ca_for_tls_with_client_auth() {
    let (lab, _g) = lab!();
    let out = lab.run(
        "let h = host(\"rbh3\");\nprint(h.vars.pki_ca);\nprint(h.vars.pki_server_cert);\nprint(h.vars.pki_client_key);\n",
        &[],
    );
    out.code(0);
    assert_eq!(
        stdout(&out),
        "/etc/rb-lab/pki/ca.crt\n/etc/rb-lab/pki/server.crt\n/etc/rb-lab/pki/client.key\n"
    );
    lab.ssh(
        "rbh3",
        "systemctl stop rb-tls-test 2>/dev/null; systemctl reset-failed rb-tls-test 2>/dev/null; \
         systemd-run --quiet --unit=rb-tls-test --working-directory=/etc/rb-lab/pki \
         openssl s_server -accept 8443 -cert server.crt -key server.key -CAfile ca.crt -Verify 1 -verify_return_error -www",
    );
    let curl = |args: &str| {
        lab.ssh(
            "rbh4",
            &format!(
                "cd /etc/rb-lab/pki; for i in $(seq 50); do curl -s --cacert ca.crt {args} -o /dev/null -w '%{{http_code}}'; rc=$?; \
                 [ $rc = 7 ] || break; sleep 0.1; done; echo \" rc=$rc\""
            ),
        )
        .trim()
        .to_string()
    };
    assert_eq!(
        curl("--cert client.crt --key client.key https://rbh3.rblab.internal:8443/"),
        "200 rc=0"
    );
    assert_eq!(
        curl("--cert client.crt --key client.key https://10.77.0.13:8443/"),
        "200 rc=0"
    );
    // A certificate of the right name from no CA the server trusts, and none at all.
    lab.rogue_cert("rbh4", "/CN=rbh4");
    assert!(
        !curl("--cert /tmp/rogue.crt --key /tmp/rogue.key https://rbh3.rblab.internal:8443/")
            .ends_with("rc=0")
    );
    assert!(!curl("https://rbh3.rblab.internal:8443/").ends_with("rc=0"));
    lab.ssh("rbh3", "systemctl stop rb-tls-test");
}

/// lab/up.sh's fqdn.ini names the test hosts by FQDN while each host's own name is short,
/// as on hosts set up by Debian's installer: `h.name` is the FQDN, `hostname` (and the
/// kernel's node name, which kubelet registers) the short name, `hostname -f` the FQDN.
#[test]
fn an_fqdn_inventory_reaches_hosts_whose_own_names_are_short() {
    let (lab, _g) = lab!();
    let out = lab
        .rb_with(
            &lab.dir.join("fqdn.ini"),
            &[
                "exec",
                "rbh2.rblab.internal",
                "hostname; uname -n; hostname -f",
            ],
        )
        .output()
        .unwrap();
    out.code(0);
    assert_eq!(
        stdout(&out),
        "rbh2.rblab.internal | CHANGED | rc=0 >>\nrbh2\nrbh2\nrbh2.rblab.internal\n"
    );
}

/// An inventory of two lab hosts reached as `rbop`, a user who needs sudo with a password
/// (lab/start-host.sh): rbh3 with the password in the inventory, rbh4 without.
fn become_inventory(dir: &std::path::Path) -> std::path::PathBuf {
    let inv = dir.join("become.ini");
    std::fs::write(
        &inv,
        "[ops]\nrbh3 ansible_host=10.77.0.13 ansible_become_password=rbop-lab-sudo\n\
         rbh4 ansible_host=10.77.0.14\n\n[ops:vars]\nansible_user=rbop\n",
    )
    .unwrap();
    inv
}

/// become through sudo with a password: commands and every file operation run as root
/// (or `become_user`), the password from the inventory never shows in output or events,
/// a host without one fails with what to do, and a wrong one is refused by name.
#[test]
fn become_runs_commands_and_file_operations_as_root_with_a_sudo_password() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let inv = become_inventory(dir.path());
    lab.ssh("rbh3", "rm -f /etc/rb-become.conf /etc/rb-become.lines");
    let book = dir.path().join("become.rhai");
    std::fs::write(
        &book,
        r#"on(hosts("ops"), |h| {
    print(`${h.name} ${h.sh("id -un").stdout} ${h.sh("id -un", #{become: true}).stdout} ${h.sh("id -un", #{become: true, become_user: "nobody"}).stdout}`);
    print(h.sh("cat; echo $RB_X", #{become: true, stdin: "from stdin\n", env: #{RB_X: "env kept"}}).stdout);
    print([h.put("/etc/rb-become.conf", "a=1\n", #{become: true, mode: "0600", owner: "root"}).changed,
           h.put("/etc/rb-become.conf", "a=1\n", #{become: true, mode: "0600", owner: "root"}).changed,
           h.line_in_file("/etc/rb-become.lines", "^b=", "b=2", #{become: true, create: true})]);
    print(h.vars);
});
"#,
    )
    .unwrap();
    let out = lab
        .rb_with(&inv, &["run", book.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("rbop-lab-sudo"), "{all}");
    // rbh3 did everything as root; rbh4 has no password and stops at its first become.
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains(r"rbh3 rbop\n root\n nobody\n"), "{all}");
    assert!(all.contains("from stdin\\nenv kept"), "{all}");
    assert!(all.contains("[true, false, true]"), "{all}");
    assert!(
        all.contains(r#"\"ansible_become_password\": \"********\""#),
        "{all}"
    );
    assert!(
        all.contains("hint: sudo wants a password on this host: run with -K"),
        "{all}"
    );
    assert_eq!(
        lab.ssh(
            "rbh3",
            "stat -c '%U %a' /etc/rb-become.conf /etc/rb-become.lines; cat /etc/rb-become.lines"
        ),
        "root 600\nroot 644\nb=2\n"
    );
    // --become-password-file gives rbh4 the password; a wrong one is refused with who and where.
    let pw = dir.path().join("pw");
    let with_password = |password: &str| {
        std::fs::write(&pw, format!("{password}\n")).unwrap();
        let file = pw.to_str().unwrap();
        let args = [
            "exec",
            "rbh4",
            "id -un",
            "-b",
            "--become-password-file",
            file,
        ];
        lab.rb_with(&inv, &args).output().unwrap()
    };
    let out = with_password("rbop-lab-sudo");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("rbh4 | CHANGED | rc=0 >>\nroot"),
        "{}",
        stdout(&out)
    );
    let out = with_password("not-the-one");
    out.code(1);
    assert!(
        stdout(&out).contains("sudo did not accept the become password of rbop on rbh4"),
        "{}",
        stdout(&out)
    );
}

/// `-K` asks on the terminal, echoes nothing, and the password reaches sudo.
#[test]
fn ask_become_pass_reads_the_password_from_the_terminal_without_echo() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let inv = become_inventory(dir.path());
    let cmd = format!(
        "{} exec rbh4 'id -un' -b -K -i {} --ssh-config {}; echo rb-exit=$?; sleep 30",
        env!("CARGO_BIN_EXE_rb"),
        inv.display(),
        lab.ssh_config().display()
    );
    let t = Term::spawn("rbbecome", &cmd, (120, 20));
    let screen_until = |needle: &str| t.wait_for(needle, Duration::from_secs(10));
    let screen = screen_until("BECOME password:");
    assert!(screen.contains("BECOME password:"), "{screen}");
    t.keys(&["rbop-lab-sudo", "Enter"]);
    let screen = screen_until("rb-exit=");
    t.close();
    assert!(screen.contains("rb-exit=0"), "{screen}");
    assert!(screen.contains("rbh4 | CHANGED | rc=0 >>"), "{screen}");
    assert!(!screen.contains("rbop-lab-sudo"), "{screen}");
}

/// `-vvv` shows ssh's own debug output while connecting, each line naming the destination
/// (a config file of its own, so no master another test left warm is reused).
#[test]
fn vvv_shows_ssh_debug_output() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let cfg = lab.ssh_config_with("", dir.path());
    let out = rb()
        .args(["exec", "rbh2", "true", "-vvv", "--ssh-persist", "0", "-i"])
        .arg(lab.inventory())
        .arg("--ssh-config")
        .arg(&cfg)
        .output()
        .unwrap();
    out.code(0);
    assert!(
        stderr(&out).contains(
            "10.77.0.12 ssh: Authenticated to 10.77.0.12 ([10.77.0.12]:22) using \"publickey\"."
        ) && stderr(&out)
            .contains("10.77.0.12 ssh: debug1: Authenticating to 10.77.0.12:22 as 'root'"),
        "{}",
        stderr(&out)
    );
    let out = lab
        .rb(&["exec", "rbh2", "true", "--ssh-persist", "0"])
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("debug1"), "{}", stderr(&out));
}

/// The lab's hosts have their own package state: a package installed on the controller is
/// absent on a bare host, and the stdlib asks the host, not the controller.
#[test]
fn stdlib_package_checks_ask_the_host_not_the_controller() {
    let (lab, _g) = lab!();
    let out = lab.run(
        "import \"stdlib/pkg\" as pkg;\nprint([pkg::installed(host(\"rbh9\"), \"etcd-server\"), pkg::installed(local, \"etcd-server\")]);\n",
        &[],
    );
    assert_eq!(stdout(&out), "[false, true]\n", "{}", stderr(&out));
}
