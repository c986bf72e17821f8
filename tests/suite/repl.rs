//! `rb repl` through a real terminal: tmux runs it in a pseudo-terminal, keys are sent with
//! send-keys and the screen is read with capture-pane.

use crate::common::*;
use std::process::Command;
use std::time::{Duration, Instant};

impl Term {
    /// Start `rb repl ARGS` in a fresh terminal, with its own history directory, and wait
    /// for its prompt.
    fn start(name: &str, args: &[&str], state: Option<tempfile::TempDir>) -> Term {
        let state = state.unwrap_or_else(|| tempfile::tempdir().unwrap());
        let mut cmd = format!(
            "env XDG_STATE_HOME={} {} repl",
            state.path().display(),
            env!("CARGO_BIN_EXE_rb")
        );
        for a in args {
            cmd.push(' ');
            cmd.push_str(a);
        }
        let mut t = Term::spawn(&format!("rbrepl-{name}"), &cmd, (150, 40));
        t.state = Some(state);
        t.wait_for("]>", Duration::from_secs(10));
        t
    }

    /// `rb repl` on the lab's inventory and ssh config.
    fn on_lab(lab: &Lab, name: &str) -> Term {
        let inv = lab.inventory();
        let cfg = lab.ssh_config();
        let args = [
            "-i",
            inv.to_str().unwrap(),
            "--ssh-config",
            cfg.to_str().unwrap(),
        ];
        Term::start(name, &args, None)
    }

    /// Type a line of text literally, then (once the editor has echoed it) Enter.
    fn line(&self, text: &str) {
        // tmux reads a trailing `;` as the end of its own command: escape it.
        let keys = match text.strip_suffix(';') {
            Some(head) => format!("{head}\\;"),
            None => text.to_string(),
        };
        self.keys(&["-l", &keys]);
        self.wait_for(text.trim(), Duration::from_secs(15));
        self.keys(&["Enter"]);
    }

    /// Wait until the editor shows a fresh, empty prompt (keys typed before it are lost).
    fn fresh_prompt(&self) {
        let started = Instant::now();
        loop {
            let s = self.screen();
            let last = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            if last.trim_end().ends_with("]>") {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "no fresh prompt; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Stop the terminal, keeping its history directory for a restart.
    fn into_state(mut self) -> tempfile::TempDir {
        self.state.take().expect("state is kept until now")
    }
}

#[test]
fn a_closure_entered_across_lines_runs() {
    let t = Term::start("multiline", &[], None);
    t.line("let twice = |x| {");
    t.line("    x * 2");
    t.line("}");
    // A new entry only once its prompt is up: keys typed while the last one still runs
    // are the terminal's echo, and the line editor may drop them when it takes the
    // terminal back.
    t.fresh_prompt();
    t.line("fn shout(s) {");
    t.line("  s.to_upper()");
    t.line("}");
    t.fresh_prompt();
    t.line("`${twice.call(21)} ${shout(\"ok\")}`");
    t.wait_for("42 OK", Duration::from_secs(15));
}

#[test]
fn an_error_keeps_the_session_alive() {
    let t = Term::start("error", &[], None);
    t.line("let x = 40;");
    t.line("no_such_function(x)");
    let s = t.wait_for("error at 1:1: unknown function", Duration::from_secs(15));
    assert!(s.contains("no_such_function"), "{s}");
    t.line("x + 2");
    t.wait_for("\n42", Duration::from_secs(15));
    t.line("\"abc\".matches(\"a(\")");
    t.wait_for("error at 1:7: invalid regex", Duration::from_secs(15));
    assert!(t.alive());
}

#[test]
fn spinners_end_with_the_entry_and_never_draw_over_the_prompt() {
    let t = Term::start("spinner", &[], None);
    t.line("sh(\"sleep 0.5; echo first\").out");
    t.wait_for("\nfirst", Duration::from_secs(15));
    t.line("sh(\"sleep 0.5; exit 3\")");
    t.wait_for(
        "error at 1:1: command failed on local (rc 3)",
        Duration::from_secs(15),
    );
    t.line("6 * 7");
    let s = t.wait_for("\n42\nrb[localhost]>", Duration::from_secs(15));
    // Let any live spinner tick (every 120 ms) so it would show.
    std::thread::sleep(Duration::from_millis(400));
    let s2 = t.screen();
    assert_eq!(
        s.trim_end(),
        s2.trim_end(),
        "the screen changed after the entry ended"
    );
    let spinner = [
        '⠁', '⠂', '⠄', '⡀', '⢀', '⠠', '⠐', '⠈', '⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏',
        '⠲', '⠒',
    ];
    assert!(
        !s2.contains(spinner),
        "a spinner frame was left on screen:\n{s2}"
    );
    let lines: Vec<&str> = s2.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines.last().map(|l| l.trim_end()),
        Some("rb[localhost]>"),
        "{s2}"
    );
}

#[test]
fn history_survives_a_restart_and_ctrl_r_searches_it() {
    let t = Term::start("history", &[], None);
    // Each line once the editor is back at a fresh prompt: keys typed while an entry still
    // runs are echoed by the terminal, so waiting for the echo alone could press Enter
    // before the editor reads them (seen on a loaded machine: a line lost).
    let entry = |text: &str| {
        t.fresh_prompt();
        t.line(text);
    };
    entry("let marker_from_last_time = 7");
    // A line that makes a secret is not written to the history file; its value is
    // redacted when shown.
    entry("let pw = secret(\"hist0ry-s3cret\"); pw.reveal()");
    t.wait_for("\n********", Duration::from_secs(15));
    // However the secret is made, and a later line that holds one.
    entry("let q = secret (\"spaced-s3cret\")");
    entry("let r = Fn(\"secret\").call(\"called-s3cret\")");
    entry("\"called-s3cret\".len()");
    t.wait_for("\n13", Duration::from_secs(15));
    t.fresh_prompt();
    t.line(":quit");
    // The history is written as the REPL exits: wait for that, not for a fixed time (a
    // loaded machine once took longer than 300 ms, and the terminal's close cut it short).
    let started = Instant::now();
    while t.alive() && started.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(30));
    }
    assert!(!t.alive(), "`:quit` did not end the REPL: {}", t.screen());
    let state = t.into_state();
    let mut saved = String::new();
    for e in walk(state.path()) {
        saved.push_str(&std::fs::read_to_string(e).unwrap_or_default());
    }
    assert!(saved.contains("marker_from_last_time"), "{saved}");
    for leak in ["hist0ry-s3cret", "spaced-s3cret", "called-s3cret"] {
        assert!(!saved.contains(leak), "{leak}: {saved}");
    }
    let t = Term::start("history2", &[], Some(state));
    // The last entry was `:quit`; the one before it is the line we look for.
    t.keys(&["Up", "Up"]);
    t.wait_for("]> let marker_from_last_time = 7", Duration::from_secs(15));
    t.keys(&["C-c"]);
    t.fresh_prompt();
    t.keys(&["C-r"]);
    t.keys(&["-l", "marker_from"]);
    t.wait_for("marker_from_last_time = 7", Duration::from_secs(15));
}

#[test]
fn ctrl_c_clears_the_line_and_ctrl_d_exits() {
    let t = Term::start("keys", &[], None);
    t.keys(&["-l", "this is not rhai"]);
    t.wait_for("this is not rhai", Duration::from_secs(15));
    t.keys(&["C-c"]);
    t.fresh_prompt();
    t.line("1 + 1");
    let s = t.wait_for("\n2", Duration::from_secs(15));
    assert!(!s.contains("error"), "{s}");
    t.keys(&["C-d"]);
    let started = Instant::now();
    while t.alive() && started.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!t.alive(), "Ctrl-D ends the REPL");
}

#[test]
fn help_and_hosts_commands() {
    let t = Term::start("help", &[], None);
    t.line(":help retry");
    let s = t.wait_for("example:", Duration::from_secs(15));
    assert!(s.contains("retry(#{retries, delay}, action)"), "{s}");
    t.line(":hosts");
    t.wait_for("localhost  127.0.0.1", Duration::from_secs(15));
}

/// Tab after a dot offers what the value left of it has: a command result's properties
/// and methods, a map's keys (`vars.` lists the variables).
#[test]
fn completion_after_a_dot_offers_the_values_members() {
    let t = Term::start("members", &["-e", "release_name=v1"], None);
    t.line("let r = sh(\"echo hi\");");
    t.fresh_prompt();
    t.keys(&["-l", "r.ou"]);
    t.keys(&["Tab"]);
    t.wait_for("r.out", Duration::from_secs(15));
    t.keys(&["Enter"]);
    t.wait_for("\nhi\n", Duration::from_secs(15));
    t.fresh_prompt();
    t.keys(&["-l", "r."]);
    t.keys(&["Tab", "Tab"]);
    let s = t.wait_for("stdout_bytes", Duration::from_secs(15));
    assert!(
        s.contains("changed") && s.contains("err") && s.contains("lines"),
        "{s}"
    );
    t.keys(&["C-c"]);
    t.fresh_prompt();
    t.keys(&["-l", "vars.rel"]);
    t.keys(&["Tab"]);
    t.wait_for("vars.release_name", Duration::from_secs(15));
}

#[test]
fn completion_offers_hosts_and_groups_and_ctrl_c_stops_a_remote_command() {
    let (lab, _g) = lab!();
    let t = Term::on_lab(&lab, "lab");
    t.wait_for("rb[inventory.ini]>", Duration::from_secs(15));
    // A host name inside a string, and a group name.
    t.keys(&["-l", "host(\"rbh"]);
    t.keys(&["Tab", "Tab"]);
    let s = t.wait_for("rbh10", Duration::from_secs(15));
    assert!(s.contains("rbh2") && s.contains("rbh9"), "{s}");
    t.keys(&["C-c"]);
    t.fresh_prompt();
    t.keys(&["-l", ":hosts la"]);
    t.keys(&["Tab"]);
    t.wait_for(":hosts lab", Duration::from_secs(15));
    t.keys(&["C-c"]);
    t.fresh_prompt();

    t.line("host(\"rbh1\").sh(\"exec -a rbreplsleep sleep 30\", #{shell: \"/bin/bash\"})");
    let started = Instant::now();
    while lab
        .ssh("rbh1", "pgrep -f rbreplslee[p] || true")
        .trim()
        .is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the command never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let interrupted = Instant::now();
    t.keys(&["C-c"]);
    t.wait_for("interrupted", Duration::from_secs(1));
    assert!(interrupted.elapsed() < Duration::from_secs(1));
    assert_eq!(
        lab.ssh("rbh1", "pgrep -f rbreplslee[p] || true").trim(),
        "",
        "the remote command was killed"
    );
    t.line("host(\"rbh1\").sh(\"echo still-here\").out");
    t.wait_for("\nstill-here", Duration::from_secs(15));
}

#[test]
fn an_entry_that_fans_out_prints_its_recap_before_its_result_and_a_single_command_none() {
    let (lab, _g) = lab!();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf '%s\\n' 'host(\"rbh1\").sh(\"hostname\").out' \
             'on(hosts(\"lab[0:1]\"), |h| h.sh(\"hostname\").out)' \
             | {} repl -i {} --ssh-config {} 2>&1",
            env!("CARGO_BIN_EXE_rb"),
            lab.inventory().display(),
            lab.ssh_config().display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains(" › hostname: "))
        .collect();
    assert_eq!(
        lines[0], "rbh1",
        "the single command: its output, no recap\n{text}"
    );
    assert_eq!(lines[1], "RECAP", "{text}");
    assert!(
        lines[3].starts_with("rbh1 ") && lines[4].starts_with("rbh2 "),
        "{text}"
    );
    assert_eq!(lines[5..], ["rbh1  rbh1", "rbh2  rbh2"], "{text}");
}

#[test]
fn scripted_load_and_vars_and_a_failed_command_sets_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book.rhai");
    std::fs::write(
        &book,
        "let loaded = 41;\nfn greet(n) { `hello ${n}` }\nlog(\"loading\");\nlet tok = secret(\"l0ad-s3cret\");\nlet joined = `--tok=${tok}`;\njoined\n",
    )
    .unwrap();
    let run = |input: String| repl_piped(&["-e", "region=eu"], &input);
    let out = run(format!(
        ":load {}\nloaded + 1\ngreet(\"ops\")\n:vars\n",
        book.display()
    ));
    out.code(0);
    assert_eq!(
        stdout(&out),
        "loading\n--tok=********\n42\nhello ops\nvars = {\n  \"region\": \"eu\"\n}\nloaded = 41\ntok = ********\njoined = --tok=********\n"
    );
    let out = run(":load /nonexistent/book.rhai\n:bogus\n1 + 1\n".into());
    out.code(1);
    assert_eq!(stdout(&out), "2\n", "the session went on");
    let err = stderr(&out);
    assert!(
        err.contains("error: cannot read /nonexistent/book.rhai")
            && err.contains("error: unknown command :bogus; try :help"),
        "{err}"
    );
}

#[test]
fn closing_the_terminal_stops_the_remote_command() {
    let (lab, _g) = lab!();
    let t = Term::on_lab(&lab, "hangup");
    t.line("host(\"rbh2\").sh(\"exec -a rbhupsleep sleep 30\", #{shell: \"/bin/bash\"})");
    let running = || {
        !lab.ssh("rbh2", "pgrep -f rbhupslee[p] || true")
            .trim()
            .is_empty()
    };
    let started = Instant::now();
    while !running() {
        assert!(started.elapsed() < Duration::from_secs(10), "never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Killing the tmux server hangs up the terminal: rb gets SIGHUP.
    drop(t);
    let closed = Instant::now();
    while running() {
        assert!(
            closed.elapsed() < Duration::from_secs(5),
            "the remote command outlived the terminal"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
