//! `rb run` and `rb check` as an operator meets them: outputs, exit codes, error text.

use crate::common::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn assert_no_panic(out: &std::process::Output) {
    let all = format!("{}{}", stdout(out), stderr(out));
    assert!(
        !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
        "{all}"
    );
}

#[test]
fn a_runbook_runs_commands_and_prints_logs() {
    let (out, _d) = run_script(
        r#"
let r = sh("echo hello");
log(r.out + " world");
print(sh(["printf", "%s", "no $expansion here"]).stdout);
"#,
        &[],
    );
    out.code(0);
    assert_eq!(stdout(&out), "hello world\nno $expansion here\n");
}

#[test]
fn a_missing_runbook_or_inventory_is_one_clear_error_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = rb()
        .args(["run", "nope.rhai"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    out.code(2);
    assert_eq!(
        stderr(&out),
        "error: cannot read runbook nope.rhai: No such file or directory (os error 2)\n"
    );
    let out = rb()
        .args(["run", "nope.rhai", "--json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let events = json_events(&stdout(&out));
    assert_eq!(
        event_kinds(&events),
        ["run_start", "error", "recap", "run_end"]
    );
    assert_eq!(events[3]["exit_code"], 2);

    std::fs::write(dir.path().join("ok.rhai"), "log(1);\n").unwrap();
    let out = rb()
        .args(["run", "ok.rhai", "-i", "missing.ini"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    out.code(2);
    assert_eq!(stdout(&out), "", "nothing ran");
    assert!(
        stderr(&out).starts_with("error: missing.ini")
            && stderr(&out).contains("no such file or folder"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn syntax_error_is_file_line_col_and_exit_2() {
    let (out, dir) = run_script("let x = 1;\nlet y = (2 + ;\n", &[]);
    out.code(2);
    let err = stderr(&out);
    let file = dir.path().join("test.rhai");
    assert!(
        err.starts_with(&format!("error: {}:2:", file.display())),
        "{err}"
    );
    assert!(err.contains("syntax error"), "{err}");
    assert_eq!(err.lines().count(), 1, "one readable line: {err}");
    assert_no_panic(&out);

    let check = rb().arg("check").arg(&file).output().unwrap();
    check.code(2);
    assert!(
        stderr(&check).starts_with(&format!("{}:2:", file.display())),
        "{}",
        stderr(&check)
    );
}

/// `rb check`, and every run before anything runs, catches what used to fail only after
/// commands had run: a module called but never imported, an option or property typo, and
/// the `()` of an in-place method used as a value. Each at file:line:col with the fix.
#[test]
fn check_finds_what_would_fail_after_commands_ran() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "let h = hosts(\"all\");\nnet::wait_port(h, 22);\n",
            "2:6: `net::wait_port` calls module `net`, which is not imported here; add `import \"net\" as net;` at the top",
        ),
        (
            "let r = sh(\"true\", #{chek: false});\n",
            "1:20: unknown option `chek` for sh (did you mean `check`?)",
        ),
        (
            "let r = sh(\"true\");\nlog(r.outt);\n",
            "2:7: unknown property `outt` of a command result (CmdResult) (did you mean `out`?); it has: changed, cmd, duration, err, ok, out, rc, skipped, stderr, stdout, stdout_bytes",
        ),
        (
            "let hs = hosts(\"all\");\nlet h = hs[0];\nlog(h.nmae);\n",
            "3:7: unknown property `nmae` of a host (Host) (did you mean `name`?)",
        ),
        (
            "let r = sh(\"true\");\nlet why = r.stderr.trim();\n",
            "2:20: `trim()` changes its value in place and returns `()`, so its result here is `()`: read `.err` instead, stderr already trimmed",
        ),
        (
            "let s = \" a \";\nlet n = parse_int(s.replace(\" \", \"\"));\n",
            "2:21: `replace()` changes its value in place and returns `()`",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let book = dir.path().join(format!("b{i}.rhai"));
        let marker = dir.path().join(format!("ran{i}"));
        std::fs::write(
            &book,
            format!("sh(\"touch {}\");\n{text}", marker.display()),
        )
        .unwrap();
        // One line more: the touch above it.
        let (line, rest) = want.split_once(':').unwrap();
        let want = format!(
            "{}:{}:{rest}",
            book.display(),
            line.parse::<u32>().unwrap() + 1
        );
        rb().arg("check")
            .arg(&book)
            .output()
            .unwrap()
            .code(2)
            .stderr_has(&want);
        rb().arg("run")
            .arg(&book)
            .output()
            .unwrap()
            .code(2)
            .stderr_has(&want)
            .stderr_has("nothing was run");
        assert!(!marker.exists(), "{text}: a command ran");
    }
    // What the language allows stays allowed: in-place calls as statements, a variable
    // rebound to something else, a closure kept in a map, options built at run time.
    let fine = dir.path().join("fine.rhai");
    std::fs::write(
        &fine,
        "let s = \" a \"; s.trim(); s.replace(\"a\", \"b\");\n\
         let r = sh(\"true\"); r = #{outt: 1}; log(r.outt);\n\
         let o = #{trim: || 1}; let x = o.trim();\n\
         let opts = #{timout: 1}; log(r.err ?? \"\");\n",
    )
    .unwrap();
    rb().arg("check").arg(&fine).output().unwrap().code(0);
    // A module's own mistake is reported at the module's line.
    std::fs::write(
        dir.path().join("m.rhai"),
        "fn f(h) {\n    let r = h.sh(\"x\");\n    r.stdout.trim()\n}\nfn g() { let s = sh(\"x\").stderr.trim(); s }\n",
    )
    .unwrap();
    let uses = dir.path().join("uses.rhai");
    std::fs::write(&uses, "import \"m\" as m;\n").unwrap();
    rb().arg("check")
        .arg(&uses)
        .output()
        .unwrap()
        .code(2)
        .stderr_has(&format!(
            "{}:5:33: `trim()` changes its value in place",
            dir.path().join("m.rhai").display()
        ))
        .stderr_has(&format!("at {}:1:1", uses.display()));
}

/// In the REPL an earlier entry's import stays (as a static module of the engine): later
/// entries call it; a module never imported is still refused.
#[test]
fn repl_imports_last_across_entries_and_unimported_modules_are_refused() {
    let out = repl_piped(
        &[],
        "import \"net\" as n;\nn::version_ge(\"5.1\", \"4.9\")\nq::f()\n",
    );
    assert_eq!(stdout(&out), "true\n");
    out.stderr_has("`q::f` calls module `q`, which is not imported here; add `import \"FILE\" as q;` at the top");
}

/// Every stdlib module and bundled runbook passes the checks.
#[test]
fn the_stdlib_and_runbooks_pass_check() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.rhai");
    let imports: String = [
        "cron", "etcd", "files", "k8s", "kmod", "net", "pkg", "sysctl", "systemd", "users",
    ]
    .iter()
    .map(|m| format!("import \"{m}\" as {m};\n"))
    .collect();
    std::fs::write(&all, imports).unwrap();
    let mut books: Vec<_> = std::fs::read_dir(root().join("runbooks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        .collect();
    books.sort();
    assert!(books.len() >= 5, "{books:?}");
    let out = rb().arg("check").arg(&all).args(&books).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn check_reports_every_broken_file_and_passes_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.rhai");
    let bad1 = dir.path().join("bad1.rhai");
    let bad2 = dir.path().join("bad2.rhai");
    std::fs::write(&good, "let x = sh(\"true\");\n").unwrap();
    std::fs::write(&bad1, "fn f( {\n").unwrap();
    std::fs::write(&bad2, "let a = 1;\nimport \"nowhere\" as n;\n").unwrap();
    let out = rb()
        .arg("check")
        .args([&good, &bad1, &bad2])
        .output()
        .unwrap();
    out.code(2);
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:1:", bad1.display())), "{err}");
    assert!(
        err.contains(&format!("{}:2:", bad2.display()))
            && err.contains("module not found: nowhere"),
        "{err}"
    );
    assert!(!err.contains("good.rhai"), "{err}");
    // check never runs anything
    let marker = dir.path().join("ran");
    std::fs::write(&good, format!("sh(\"touch {}\");\n", marker.display())).unwrap();
    let out = rb().arg("check").arg(&good).output().unwrap();
    out.code(0);
    assert!(!marker.exists());
}

#[test]
fn bad_regex_names_the_pattern_and_position() {
    let (out, dir) = run_script("let ok = 1;\nlet m = \"abc\".matches(\"a(b\");\n", &[]);
    out.code(1);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "error: {}:2:",
            dir.path().join("test.rhai").display()
        )),
        "{err}"
    );
    assert!(err.contains("invalid regex \"a(b\""), "{err}");
    assert_no_panic(&out);
}

#[test]
fn bad_jsonpath_names_the_path_and_column() {
    let (out, _d) = run_script(
        "let d = parse_json(`{\"a\": 1}`);\n\nd.query(\"$.a[?(@.x ==\");\n",
        &[],
    );
    out.code(1);
    let err = stderr(&out);
    assert!(err.contains("test.rhai:3:"), "{err}");
    assert!(err.contains("invalid JSONPath `$.a[?(@.x ==`"), "{err}");
    let (out, _d) = run_script("kube_jsonpath(#{}, \"{.items[\");\n", &[]);
    assert_fails(&out, 1, "test.rhai:1:1: invalid kubectl JSONPath template");
}

#[test]
fn unknown_function_is_a_readable_error_before_anything_runs() {
    let (out, _d) = run_script("log(\"step 1\");\n  frobnicate(1);\n", &[]);
    out.code(2);
    assert_eq!(stdout(&out), "", "nothing ran");
    let err = stderr(&out);
    assert!(
        err.contains("test.rhai:2:3: unknown function `frobnicate`; nothing was run"),
        "{err}"
    );
    assert_no_panic(&out);
    let (out, _d) = run_script(
        "let n = [1, 2].len();\nlet m = lenght([1]);\n",
        &["--check"],
    );
    assert_fails(&out, 2, "test.rhai:2:9: unknown function `lenght`");
    // Methods too, before anything runs.
    let (out, _d) = run_script("log(\"step 1\");\nlet n = [1, 2].lenn();\n", &[]);
    out.code(2);
    assert_eq!(stdout(&out), "", "nothing ran");
    assert!(
        stderr(&out).contains("test.rhai:2:16: unknown method `lenn` (did you mean `len`?)"),
        "{}",
        stderr(&out)
    );
    // Functions of an imported module, by its alias.
    let (out, _d) = run_script(
        "import \"net\" as net;\nlog(\"step 1\");\nlet b = net::versoin_ge(\"5.1\", \"4.9\");\n",
        &[],
    );
    out.code(2);
    assert_eq!(stdout(&out), "", "nothing ran");
    assert!(
        stderr(&out).contains(
            "test.rhai:3:14: unknown function `net::versoin_ge` (did you mean `net::version_ge`?)"
        ),
        "{}",
        stderr(&out)
    );
    // A closure kept in a map is called as a method: not unknown.
    let (out, _d) = run_script(
        "let o = #{n: 21, twice: |x| this.n * x};\nprint(o.twice(2));\n",
        &[],
    );
    assert_eq!(stdout(&out), "42\n", "{}", stderr(&out));
    // Right name, wrong argument types: found when called.
    let (out, _d) = run_script("sh(42);\n", &[]);
    assert_fails(&out, 1, "test.rhai:1:1:");
}

#[test]
fn failing_command_shows_command_rc_and_stderr_tail() {
    let (out, _d) = run_script(
        "log(\"before\");\nsh(\"echo working; echo 'etcd: connection refused' >&2; exit 3\");\nlog(\"after\");\n",
        &[],
    );
    out.code(1);
    assert_eq!(stdout(&out), "before\n", "nothing after the failure runs");
    let err = stderr(&out);
    assert!(
        err.contains("test.rhai:2:1: command failed on local (rc 3)"),
        "{err}"
    );
    assert!(err.contains("stderr: etcd: connection refused"), "{err}");
}

#[test]
fn task_names_appear_in_errors() {
    let (out, _d) = run_script(
        "task(\"configure etcd\", || {\n  task(\"restart\", || sh(\"exit 1\"));\n});\n",
        &[],
    );
    out.code(1);
    let err = stderr(&out);
    assert!(
        err.contains("local › configure etcd › restart: command failed"),
        "{err}"
    );
    assert!(
        err.contains("test.rhai:2:"),
        "the innermost runbook position: {err}"
    );
}

#[test]
fn errors_inside_modules_point_at_the_runbook_then_the_module() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("helpers.rhai"),
        "fn check_health(url) {\n    fail(\"unhealthy: \" + url);\n}\n",
    )
    .unwrap();
    let book = dir.path().join("book.rhai");
    std::fs::write(
        &book,
        "import \"helpers\" as h;\n\nh::check_health(\"http://x\");\n",
    )
    .unwrap();
    let out = rb().arg("run").arg(&book).output().unwrap();
    out.code(1);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("error: {}:3:", book.display())),
        "{err}"
    );
    assert!(err.contains("unhealthy: http://x"), "{err}");
    assert!(err.contains("helpers.rhai:2:5"), "{err}");
}

#[test]
fn stdlib_modules_load_from_any_directory() {
    let (out, _d) = run_script(
        "import \"net\" as net;\nprint(net::version_ge(\"4.10.1\", \"4.9.17\"));\n",
        &[],
    );
    assert_eq!(stdout(&out), "true\n", "{}", stderr(&out));
}

#[test]
fn vars_from_cli_and_file_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("v.json");
    std::fs::write(
        &vars,
        r#"{"port": 2380, "members": ["a", "b"], "version": "1.0"}"#,
    )
    .unwrap();
    let (out, _d) = run_script(
        "print(vars.port + 1);\nprint(vars.members.len());\nprint(vars.version);\nprint(vars.flag == true);\nprint(vars.k8s_release);\nprint(vars.missing ?? \"default\");\n",
        &["--vars", vars.to_str().unwrap(), "-e", "port=2379", "-e", "flag=true", "-e", "k8s_release=1.10"],
    );
    assert_eq!(
        stdout(&out),
        "2380\n2\n1.0\ntrue\n1.10\ndefault\n",
        "{}",
        stderr(&out)
    );
    let (out, _d) = run_script("1", &["-e", "novalue"]);
    assert_fails(
        &out,
        2,
        "-e novalue: expects key=value pairs, got `novalue`",
    );
}

#[test]
fn json_events_carry_the_run_and_hide_secrets() {
    let (out, _d) = run_script(
        "let pw = secret(\"s3cr3t-pw\");\ntask(\"login\", || sh(\"echo token=\" + pw));\nlog(\"using \" + pw);\nsh(\"echo \" + pw + \" >&2; exit 2\");\n",
        &["--json"],
    );
    out.code(1);
    let text = stdout(&out);
    assert!(!text.contains("s3cr3t-pw"), "secret leaked: {text}");
    assert!(!stderr(&out).contains("s3cr3t-pw"));
    let events = json_events(&text);
    let kinds = event_kinds(&events);
    assert_eq!(
        kinds,
        [
            "run_start",
            "task_start",
            "cmd_start",
            "cmd_result",
            "task_end",
            "log",
            "cmd_start",
            "cmd_result",
            "error",
            "recap",
            "run_end"
        ]
    );
    assert_eq!(events[2]["cmd"], "echo token=********");
    assert_eq!(events[2]["host"], "local");
    assert_eq!(events[2]["task"], serde_json::json!(["login"]));
    assert_eq!(events[5]["msg"], "using ********");
    assert_eq!(events[7]["rc"], 2);
    assert_eq!(events[8]["line"], 4);
    assert_eq!(events[8]["col"], 1);
    assert!(events[8]["message"]
        .as_str()
        .unwrap()
        .contains("stderr: ********"));
    assert_eq!(events[9]["hosts"][0]["host"], "local");
    assert_eq!(events[9]["hosts"][0]["ok"], 1);
    assert_eq!(events[10]["exit_code"], 1);
    assert!(events.iter().all(|e| e["ts"].as_f64().unwrap() > 1.7e9));
}

#[test]
fn no_log_keeps_command_and_output_out_of_events() {
    let (out, _d) = run_script(
        "sh(\"echo hidden-token >&2; exit 1\", #{no_log: true});\n",
        &["--json"],
    );
    out.code(1);
    let text = stdout(&out);
    assert!(!text.contains("hidden-token"), "{text}");
    assert!(text.contains("<hidden by no_log>"));
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let marker = format!("rbtimeout{}", std::process::id());
    let started = Instant::now();
    let (out, _d) = run_script(
        &format!("sh(\"(exec -a {marker} sleep 30) & exec -a {marker} sleep 30\", #{{timeout: 0.5, shell: \"/bin/bash\"}});\n"),
        &[],
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_fails(&out, 1, "timed out after 0.5s");
    std::thread::sleep(Duration::from_millis(200));
    let left = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "processes survived: {}",
        stdout(&left)
    );
}

#[test]
fn check_mode_runs_only_read_only_commands() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("created");
    let (out, _d) = run_script(
        &format!(
            "let k = sh(\"uname -s\", #{{check_mode: true}});\nlet r = sh(\"touch {}\");\nprint(`${{k.out}} ${{r.skipped}}`);\n",
            f.display()
        ),
        &["--check"],
    );
    out.code(0);
    assert_eq!(stdout(&out), "Linux true\n");
    assert!(
        stderr(&out).contains(&format!(
            "local › touch {}: would run (check mode)",
            f.display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(!f.exists(), "--check must not change anything");
}

#[test]
fn ctrl_c_kills_the_command_and_exits_130() {
    // SIGTERM (a CI timeout) and SIGHUP (a closed terminal) stop the run like Ctrl-C.
    for (signal, name) in [
        (libc::SIGINT, "int"),
        (libc::SIGTERM, "term"),
        (libc::SIGHUP, "hup"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("sleep.rhai");
        let marker = format!("rb{name}{}", std::process::id());
        std::fs::write(
            &book,
            format!("sh(\"exec -a {marker} sleep 30\", #{{shell: \"/bin/bash\"}});\n"),
        )
        .unwrap();
        let child = rb()
            .arg("run")
            .arg(&book)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(700));
        let started = Instant::now();
        unsafe {
            libc::kill(child.id() as i32, signal);
        }
        let out = child.wait_with_output().unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "{name}");
        assert_eq!(out.status.code(), Some(130), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
        let left = std::process::Command::new("pgrep")
            .args(["-f", &marker])
            .output()
            .unwrap();
        assert!(left.stdout.is_empty(), "{name}: the command was killed");
    }
}

#[test]
fn retry_counts_attempts_like_ansible() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("count");
    let (out, _d) = run_script(
        &format!(
            "retry(#{{retries: 2, delay: 0}}, || sh(\"echo x >> {0}; exit 1\"), |r| r.ok);\n",
            count.display()
        ),
        &[],
    );
    out.code(1);
    // retries: 2 → 1 attempt + 2 retries
    assert_eq!(std::fs::read_to_string(&count).unwrap().lines().count(), 3);
    let err = stderr(&out);
    assert!(err.contains("gave up after 3 attempts"), "{err}");
    assert!(
        err.contains("attempt 3: error: command failed on local (rc 1)"),
        "{err}"
    );
}

#[test]
fn the_bundled_example_runs() {
    let out = rb()
        .arg("run")
        .arg(root().join("runbooks/preflight.rhai"))
        .output()
        .unwrap();
    out.code(0);
    // This machine, checked independently of the runbook: its kernel, conntrack, swap and
    // hostname must be what each line reports.
    let sh = |c: &str| {
        let o = std::process::Command::new("sh")
            .args(["-c", c])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let kernel = sh("uname -r");
    assert!(lines[0].starts_with(&format!("kernel {kernel} ")), "{text}");
    let conntrack = sh("command -v conntrack");
    if !conntrack.is_empty() {
        assert!(
            lines.contains(&format!("conntrack: {conntrack}").as_str()),
            "{text}"
        );
    }
    let swaps = sh("grep -vc Filename /proc/swaps");
    if swaps == "0" {
        assert!(lines.contains(&"swap: off"), "{text}");
    }
    // kubelet's os.Hostname(), lowercased: the kernel's node name.
    let node = sh("uname -n").to_lowercase();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("node name: {node} (as the kubelet registers it"))),
        "{text}"
    );
    // Problems are warnings (stderr); the last line counts them.
    let problems = stderr(&out)
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .count();
    let last = lines.last().unwrap().to_string();
    if problems == 0 {
        assert_eq!(last, "preflight: all checks passed", "{text}");
    } else {
        assert_eq!(last, format!("preflight: {problems} problem(s)"), "{text}");
    }
}

#[test]
fn embedding_example_runs() {
    // `cargo test` builds examples next to the test binaries' folder; a filtered run may not.
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/embed");
    if !example.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = std::process::Command::new(cargo)
            .args(["build", "--quiet", "--example", "embed"])
            .current_dir(root())
            .status()
            .unwrap();
        assert!(st.success(), "cargo build --example embed");
    }
    let out = std::process::Command::new(&example)
        .output()
        .expect("examples/embed is built by cargo test");
    out.code(0);
    let text = stdout(&out);
    assert!(text.contains("log: OPS-42: lab x3 on Linux"), "{text}");
    assert!(text.contains("command: uname -s (rc 0)"), "{text}");
    assert!(text.contains("task: report"), "{text}");
    assert!(text.contains("own engine: true"), "{text}");
}

#[test]
fn wait_http_and_wait_port_against_a_live_server() {
    let stub = KubeStub::start(&root().join("tests/fixtures/nodes.json"));
    let (out, _d) = run_script(
        &format!(
            r#"
print(wait_port("127.0.0.1", {port}, 5));
let r = wait_http("{server}/api", #{{contains: "APIVersions", retries: 2, delay: 0}});
print(`${{r.status}} ${{r.attempts}}`);
wait_http("{server}/nope", #{{retries: 1, delay: 0}});
"#,
            port = stub.port,
            server = stub.server()
        ),
        &[],
    );
    out.code(1);
    assert_eq!(stdout(&out), "true\n200 1\n");
    let err = stderr(&out);
    assert!(err.contains("test.rhai:5:1:"), "{err}");
    assert!(err.contains("/nope not ready after 2 attempts"), "{err}");
    assert!(err.contains("attempt 2: status 404, want 200"), "{err}");
    // `contains` is checked: a 200 without the text is not ready.
    let (out, _d) = run_script(
        &format!(
            "wait_http(\"{}/api\", #{{contains: \"no-such-text\", retries: 1, delay: 0}});\n",
            stub.server()
        ),
        &[],
    );
    assert_fails(&out, 1, "not ready after 2 attempts");
    assert!(stderr(&out).contains("no-such-text"), "{}", stderr(&out));
}

/// `rb exec` is plain Rust on the core's fan-out: bad flags are usage errors (exit 2)
/// before anything runs, a non-zero rc fails the host (exit 1), output stays whole.
#[test]
fn exec_usage_errors_exit_2_and_a_nonzero_rc_fails_the_host() {
    for bad in [
        &["--forks", "0"][..],
        &["--timeout", "0"],
        &["--timeout", "inf"],
    ] {
        let out = rb()
            .args(["exec", "all", "true"])
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{bad:?}: nothing ran");
    }
    let out = rb()
        .args(["exec", "localhost", "echo out; echo err >&2; exit 3"])
        .output()
        .unwrap();
    out.code(1);
    assert_eq!(stdout(&out), "localhost | FAILED | rc=3 >>\nout\nerr\n");
    let out = rb()
        .args(["exec", "localhost", "echo ok", "-f", "1"])
        .output()
        .unwrap();
    out.code(0);
    assert_eq!(stdout(&out), "localhost | CHANGED | rc=0 >>\nok\n");
}

/// A panic is reported as rb's bug in one line, exit 70, no backtrace.
#[test]
fn a_panic_is_one_line_and_exit_70() {
    let out = rb()
        .args(["hosts", "all"])
        .env("RB_DEBUG_PANIC", "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    out.code(70);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: rb hit an internal error (RB_DEBUG_PANIC is set at src/main.rs:"),
        "{err}"
    );
    assert!(
        err.contains("this is a bug in rb, please report it"),
        "{err}"
    );
}

/// A runbook with bytes that are not UTF-8: an error at their line and column, exit 2.
#[test]
fn non_utf8_runbooks_are_reported_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("latin1.rhai");
    std::fs::write(&book, b"log(1);\nlet name = \"caf\xe9\";\n").unwrap();
    for cmd in ["check", "run"] {
        let out = rb().arg(cmd).arg(&book).output().unwrap();
        assert_fails(
            &out,
            2,
            "latin1.rhai:2:16: not valid UTF-8 here; save the file as UTF-8",
        );
    }
}

/// Numbers that would overflow or hang are refused with the bound, not wrapped.
#[test]
fn retry_and_sleep_bounds_are_errors() {
    let (out, _d) = run_script(
        "retry(#{retries: 9223372036854775807, delay: 0}, || 1, |v| false);\n",
        &[],
    );
    assert_fails(
        &out,
        1,
        "option `retries` must be between 0 and 1000000, got 9223372036854775807",
    );
    let (out, _d) = run_script("sleep(1e300);\n", &[]);
    assert_fails(&out, 1, "must be between 0 and 1e9 seconds");
}

/// `sleep(100)` with an int is rb's sleep, not Rhai's: Ctrl-C stops it at once.
#[test]
fn an_int_sleep_is_interrupted_by_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("sleep.rhai");
    std::fs::write(&book, "sleep(100);\n").unwrap();
    let mut cmd = rb();
    cmd.arg("run").arg(&book);
    let (out, took) = interrupt_after(cmd, Duration::from_millis(700));
    assert!(took < Duration::from_secs(2));
    out.code(130);
}

/// One redaction for every way out: task names, shell-quoted and JSON-escaped forms, lines
/// of a multi-line secret, Python's repr and `to_json`'s `\uXXXX` in templates, Go's
/// HTML-safe escapes from kube_jsonpath, PyYAML's quoting, `log`/`warn`/`print` of the
/// secret itself; while files, commands and to_json get the real value, however the secret
/// was joined into text (`+`, `+=`, `${}`).
#[test]
fn secrets_are_hidden_in_every_form_and_written_for_real() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let script = format!(
        r#"import "files" as files;
let pw = secret("it's \"s3cr3t\"\nline-two-part");
let k = secret("k3y<&>\u2028é'q");
task("login " + pw.reveal(), || sh("echo " + quote(pw.reveal()) + " >&2; exit 0"));
log(to_json(pw.reveal()));
log(render_template("{{{{ [p] }}}} {{{{ {{'k': p}} }}}} {{{{ p | to_json }}}} {{{{ [k] }}}} {{{{ k | to_json }}}}", #{{p: pw, k: k}}));
log(render_template("{{{{ x | to_nice_yaml }}}}", #{{x: #{{a: k, b: [k, pw]}}}}));
log(kube_jsonpath(#{{items: [#{{n: k}}, #{{n: pw}}]}}, "{{.items}}"));
log(pw); warn(k); print(k); log(debug(k)); log([k, pw]);
local.put("{d}/j", to_json(#{{p: pw}}));
files::template(local, "{d}/t", "pw={{{{ pw }}}}\n", #{{pw: pw}}, #{{}});
local.put("{d}/i", `pw=${{k}}`);
let acc = "pw="; acc += k; local.put("{d}/a", acc);
sh(["sh", "-c", "printf %s \"$1\" > {d}/c", "rb", `${{k}}`]);
sh("echo 'line-two-part' >&2; exit 3");
"#
    );
    let (out, _d) = run_script(&script, &["--json", "--diff"]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{all}");
    for leak in ["s3cr3t", "line-two-part", "it's", "k3y", "Secret"] {
        assert!(!all.contains(leak), "`{leak}` leaked:\n{all}");
    }
    assert!(all.contains("\"task\":[\"login ********\"]"), "{all}");
    let j = std::fs::read_to_string(dir.path().join("j")).unwrap();
    assert_eq!(j, r#"{"p":"it's \"s3cr3t\"\nline-two-part"}"#);
    let t = std::fs::read_to_string(dir.path().join("t")).unwrap();
    assert_eq!(t, "pw=it's \"s3cr3t\"\nline-two-part\n");
    let real = "k3y<&>\u{2028}é'q";
    for f in ["i", "a"] {
        let text = std::fs::read_to_string(dir.path().join(f)).unwrap();
        assert_eq!(text, format!("pw={real}"), "{f}");
    }
    assert_eq!(std::fs::read_to_string(dir.path().join("c")).unwrap(), real);
}

/// A secret too short to mask safely inside words is masked only as a word, with a
/// warning; a missing value is refused before anything runs with it.
#[test]
fn short_and_missing_secrets() {
    let (out, _d) = run_script(
        "let s = secret(\"ok\");\nlog(\"looks ok\");\nsh([\"echo\", \"--pw=\" + s]);\n",
        &[],
    );
    out.code(0);
    assert_eq!(stdout(&out), "looks ********\n");
    assert!(
        stderr(&out).contains("shorter than 4 characters is hidden only where it stands as a word"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--pw=********"), "{}", stderr(&out));
    let (out, _d) = run_script(
        "let t = secret(vars.token);\nsh([\"echo\", \"--password=\" + t]);\n",
        &[],
    );
    out.code(1);
    let err = stderr(&out);
    assert!(
        err.contains("test.rhai:1:9") && err.contains("secret() needs a string, got ()"),
        "{err}"
    );
    assert!(!err.contains("echo"), "nothing ran: {err}");
    let (out, _d) = run_script("secret(\"\")", &[]);
    assert!(
        stderr(&out).contains("secret() of an empty string"),
        "{}",
        stderr(&out)
    );
}

/// `files::env_file` writes values that `sh` reads back exactly, whatever they hold: nothing
/// in a value runs. A bad key or a value with a newline is refused before anything is
/// written; an `env:` key that is not a variable name never reaches `env`.
#[test]
fn env_files_and_env_keys_never_run_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let values = [
        ("A", format!("$(touch {d}/pwned)")),
        ("B", "say \"hi\"".to_string()),
        ("C", "`touch pwned2` \\$HOME \\".to_string()),
        ("D", "it's ${x:-y} é".to_string()),
    ];
    let map: Vec<String> = values
        .iter()
        .map(|(k, v)| format!("{k}: {}", serde_json::to_string(v).unwrap()))
        .collect();
    let script = format!(
        "import \"files\" as files;\nfiles::env_file(local, \"{d}/e\", #{{{}}});\n",
        map.join(", ")
    );
    let (out, _d) = run_script(&script, &[]);
    out.code(0);
    for (k, v) in &values {
        let got = Command::new("sh")
            .args(["-c", &format!(". \"$1\"; printf %s \"${k}\""), "sh"])
            .arg(dir.path().join("e"))
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&got.stdout), *v, "{k}");
    }
    assert!(!dir.path().join("pwned").exists() && !dir.path().join("pwned2").exists());
    let before = std::fs::read_to_string(dir.path().join("e")).unwrap();
    for (bad, why) in [
        (
            "#{Z: \"1\", \"-S x\": \"1\"}",
            "\"-S x\" is not a variable name",
        ),
        ("#{Z: \"a\\nb\"}", "the value of Z holds a newline"),
    ] {
        let (out, _d) = run_script(
            &format!("import \"files\" as files;\nfiles::env_file(local, \"{d}/e\", {bad});\n"),
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(stderr(&out).contains(why), "{}", stderr(&out));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("e")).unwrap(),
            before,
            "unchanged"
        );
    }
    for become_ in ["", ", become: true"] {
        let (out, _d) = run_script(
            &format!("sh(\"touch {d}/ran\", #{{env: #{{\"-Secho pwned\": \"x\"}}{become_}}});"),
            &[],
        );
        out.code(1);
        assert!(
            stderr(&out).contains("option `env`: \"-Secho pwned\" is not a variable name"),
            "{}",
            stderr(&out)
        );
        assert!(!dir.path().join("ran").exists());
    }
}

/// A `no_log` command's output never shows, not even through retry's outcomes.
#[test]
fn no_log_output_stays_hidden_through_retry() {
    let (out, _d) = run_script(
        "retry(#{retries: 1, delay: 0}, || sh(\"echo tok3n-value\", #{no_log: true}), |r| false);\n",
        &["--json"],
    );
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(!all.contains("tok3n"), "{all}");
    assert!(all.contains("output hidden by no_log"), "{all}");
}

/// Every bundled runbook that needs hosts says which, and exits 2, when the inventory has
/// none; nothing runs.
#[test]
fn bundled_runbooks_without_an_inventory_are_a_usage_error() {
    for (book, groups) in [
        ("workers.rhai", "workers or k8s_worker"),
        ("routing.rhai", "workers or k8s_worker"),
        ("flannel.rhai", "workers or k8s_worker"),
        ("etcd.rhai", "etcd"),
    ] {
        let out = rb()
            .arg("run")
            .arg(root().join("runbooks").join(book))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{book}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "has none: pass -i inventory.ini with a group named {groups}"
            )),
            "{book}: {err}"
        );
        assert!(!err.contains("warning"), "{book}: {err}");
    }
}

/// `--diff` of a put over a symlink shows the link as "before", never the content of what
/// it points to; the link is replaced by the file (Ansible's copy without `follow`), the
/// file it pointed to is untouched, and line_in_file refuses a link.
#[test]
fn put_over_a_symlink_diffs_the_link_not_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("secret.txt"), "do-not-show\n").unwrap();
    std::os::unix::fs::symlink(d.join("secret.txt"), d.join("link")).unwrap();
    let book = format!("local.put(\"{}/link\", \"new\\n\");\n", d.display());
    let (out, _t) = run_script(&book, &["--diff"]);
    out.code(0);
    let err = stderr(&out);
    assert!(!err.contains("do-not-show"), "{err}");
    assert!(
        err.contains(&format!("-symlink to {}/secret.txt", d.display())),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("secret.txt")).unwrap(),
        "do-not-show\n"
    );
    assert!(!d.join("link").is_symlink());
    assert_eq!(std::fs::read_to_string(d.join("link")).unwrap(), "new\n");
    std::os::unix::fs::symlink(d.join("secret.txt"), d.join("link2")).unwrap();
    let book = format!(
        "local.line_in_file(\"{}/link2\", \"^x=\", \"x=1\");\n",
        d.display()
    );
    let (out, _t) = run_script(&book, &[]);
    assert_fails(&out, 1, "is a symlink to");
}

/// `delay` is slept between attempts and not after the last: 3 attempts with delay 1 s take
/// at least 2 s (two sleeps) and less than 2.8 s (a third sleep would make it 3). Wide
/// margins: this measures that the sleeps happen, not how precise they are.
#[test]
fn retry_sleeps_delay_between_attempts_and_not_after_the_last() {
    let started = Instant::now();
    let (out, _d) = run_script("retry(#{retries: 2, delay: 1}, || 1, |v| false);\n", &[]);
    let took = started.elapsed();
    assert_fails(&out, 1, "gave up after 3 attempts (retries: 2, delay: 1s)");
    assert!(
        took >= Duration::from_millis(2000),
        "{took:?}: the two delays were not slept"
    );
    assert!(
        took < Duration::from_millis(2800),
        "{took:?}: a delay after the last attempt?"
    );
}

/// Waiting is interruptible: Ctrl-C during `wait_port` or during `wait_http`'s delay stops
/// the run at once (measured: a few ms; the bound here is wide so a loaded machine passes).
#[test]
fn waits_stop_at_once_on_ctrl_c() {
    // A server that accepts (the kernel completes the handshake) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    for script in [
        "wait_port(\"127.0.0.1\", 9, 30);\n".to_string(),
        "wait_http(\"http://127.0.0.1:9/\", #{retries: 100, delay: 5});\n".to_string(),
        format!("wait_http(\"http://127.0.0.1:{port}/\", #{{timeout: 20}});\n"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("wait.rhai");
        std::fs::write(&book, &script).unwrap();
        let mut cmd = rb();
        cmd.arg("run").arg(&book);
        let (out, took) = interrupt_after(cmd, Duration::from_millis(700));
        assert!(took < Duration::from_millis(300), "{script}: {took:?}");
        assert_eq!(out.status.code(), Some(130), "{script}: {}", stderr(&out));
    }
    drop(silent);
}

/// Completions and the man page come from the one clap definition; -C/-D are --check/--diff.
#[test]
fn completions_man_page_and_short_flags() {
    let out = rb().args(["completions", "bash"]).output().unwrap();
    out.code(0);
    let script = stdout(&out);
    for word in ["_rb()", "inventory", "exec", "--check", "--extra-vars"] {
        assert!(script.contains(word), "{word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("rb.bash");
    std::fs::write(&f, &script).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&f)
        .status()
        .unwrap();
    assert!(syntax.success(), "the completion script is valid bash");
    let out = rb().arg("man").output().unwrap();
    let man = stdout(&out);
    assert!(
        man.contains(".TH rb 1") && man.contains("completions"),
        "{man}"
    );
    // -C: check mode, nothing changes.
    let target = dir.path().join("untouched");
    let (out, _d) = run_script(
        &format!("local.put(\"{}\", \"x\");\n", target.display()),
        &["-C", "-D"],
    );
    out.code(0);
    assert!(!target.exists(), "-C is check mode");
    assert!(
        stderr(&out).contains("(after)"),
        "-D shows the diff: {}",
        stderr(&out)
    );
}

/// A loop that never ends stops at the operation limit with a clear error (exit 1).
#[test]
fn a_runaway_loop_stops_at_the_operation_limit() {
    let (out, _d) = run_script(
        "let i = 0;\nloop { i += 1; }\n",
        &["--max-operations", "100000"],
    );
    assert_fails(&out, 1, "test.rhai:2:");
    assert!(
        stderr(&out).contains("went past its operation limit"),
        "{}",
        stderr(&out)
    );
}

/// A command that prints without end is killed at the output limit, its call fails with the
/// limit and a hint, and nothing it started is left running.
#[test]
fn a_command_printing_without_end_stops_at_the_output_limit() {
    let marker = format!("rb-flood-{}", std::process::id());
    let script = format!("local.sh(\"yes 0123456789 {marker}\");\n");
    let (out, _d) = run_script(&script, &["--max-output", "1M"]);
    assert_fails(&out, 1, "test.rhai:1:");
    assert!(
        stderr(&out).contains("command printed more than 1 MiB on local and was killed")
            && stderr(&out).contains("raise --max-output"),
        "{}",
        stderr(&out)
    );
    let left = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "left running: {:?}", left);
    // The default limit (256 MiB) applies without the flag; `rb exec` has it too.
    let (out, _d) = run_script("local.sh(\"yes\");\n", &[]);
    assert_fails(&out, 1, "more than 256 MiB");
    let out = rb()
        .args(["exec", "--max-output", "10K", "localhost", "seq 1 100000"])
        .output()
        .unwrap();
    // The host's block says why (stdout, as ansible's ad hoc view); the summary counts it.
    out.code(1)
        .stdout_has("localhost | FAILED >>\n")
        .stdout_has("more than 10 KiB on localhost")
        .stderr_has("1 host: 0 changed, 1 failed, 0 unreachable");
    // Output under the limit is whole; 0 lifts it; a bad size is a usage error.
    let (out, _d) = run_script(
        "print(local.sh(\"seq 1 100000\").stdout.len());\n",
        &["--max-output", "0"],
    );
    assert_eq!(stdout(&out).trim(), "588895", "{}", stderr(&out));
    let (out, _d) = run_script("1;\n", &["--max-output", "10X"]);
    assert_fails(&out, 2, "`10X`: give bytes, or a number with K, M or G");
}

/// `--max-output-total` bounds what the commands running at once hold together (a dozen
/// hosts each printing just under `--max-output` took 2.6 GB); a finished command gives
/// its share back, so many commands one after another never add up.
#[test]
fn running_commands_share_one_output_pool() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(&inv, "[w]\nw[1:4] ansible_connection=local\n").unwrap();
    let flood = "on(hosts(\"w\"), |h| h.sh(\"yes\").rc);\n";
    let (out, _d) = run_script(
        flood,
        &[
            "-i",
            inv.to_str().unwrap(),
            "--max-output",
            "0",
            "--max-output-total",
            "4M",
        ],
    );
    out.code(1);
    assert!(
        stderr(&out).contains("the run's running commands held more than 4 MiB of output together")
            && stderr(&out).contains("raise --max-output-total"),
        "{}",
        stderr(&out)
    );
    let many = "let n = 0; for i in 0..8 { n += local.sh(\"head -c 1000000 /dev/zero\").stdout.len(); } print(n);\n";
    let (out, _d) = run_script(many, &["--max-output-total", "4M"]);
    out.code(0);
    assert_eq!(stdout(&out), "8000000\n");
}

/// Values nested past 128 levels are an error where rb prints, compares or writes them as
/// JSON, not a stack overflow that aborts rb.
#[test]
fn deeply_nested_values_are_an_error_not_a_crash() {
    for (op, what) in [
        ("print(a);", "print"),
        ("debug(m);", "print"),
        ("print(a == a);", "compare"),
        ("print(m != m);", "compare"),
        ("print(to_json(a));", "write as JSON"),
        ("print(query(a, \"$..*\").len());", "query"),
    ] {
        let script = format!(
            "let a = []; for i in 0..300 {{ a = [a]; }}\nlet m = #{{}}; for i in 0..300 {{ m = #{{k: m}}; }}\n{op}\n"
        );
        let (out, _d) = run_script(&script, &[]);
        assert_fails(&out, 1, "test.rhai:3:");
        assert!(
            stderr(&out).contains(&format!(
                "cannot {what} a value nested more than 128 levels"
            )),
            "{op}: {}",
            stderr(&out)
        );
    }
}

const TAGGED: &str = r#"
task("setup", #{tags: ["setup"]}, || {
    task("packages", || print("packages"));
    task("debug dump", #{tags: ["never", "debug"]}, || print("debug"));
});
task("config", #{tags: "config"}, || print("config"));
let v = task("facts", #{tags: ["always"]}, || { print("facts"); 42 });
task("untagged", || print(`untagged ${v}`));
"#;

/// --tags, --skip-tags and --start-at-task choose tasks by Ansible's rules (always, never,
/// untagged; tags reach the tasks inside); --list-tasks prints them and runs nothing.
#[test]
fn tags_choose_which_tasks_run() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "packages\nconfig\nfacts\nuntagged 42\n"),
        (&["--tags", "config"], "config\nfacts\n"),
        // `never` gives way to a tag asked for by name, inherited ones too (as in Ansible).
        (
            &["-t", "setup,untagged"],
            "packages\ndebug\nfacts\nuntagged 42\n",
        ),
        (&["--tags", "debug,setup"], "packages\ndebug\nfacts\n"),
        (
            &["--skip-tags", "setup", "--skip-tags", "always"],
            "config\nuntagged \n",
        ),
        (&["--tags", "tagged"], "packages\nconfig\nfacts\n"),
        (
            &["--start-at-task", "conf*"],
            "config\nfacts\nuntagged 42\n",
        ),
        (
            &["--start-at-task", "setup › packages"],
            "packages\nconfig\nfacts\nuntagged 42\n",
        ),
    ];
    for (args, want) in cases {
        let (out, _dir) = run_script(TAGGED, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), *want, "{args:?}");
    }
    // --list-tasks lists what the run would enter, and runs nothing (no `print` output
    // among the lines): every task without tag lists, only the chosen ones (with `always`,
    // and what they inherit) with them.
    let listed = |args: &[&str]| -> Vec<String> {
        let (out, _dir) = run_script(TAGGED, args);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).lines().skip(2).map(str::to_string).collect()
    };
    assert_eq!(
        listed(&["--list-tasks"]),
        [
            "  setup\tTAGS: [setup]",
            "    packages\tTAGS: []",
            "    debug dump\tTAGS: [never, debug]",
            "  config\tTAGS: [config]",
            "  facts\tTAGS: [always]",
            "  untagged\tTAGS: []",
        ]
    );
    assert_eq!(
        listed(&["--list-tasks", "--tags", "config"]),
        ["  config\tTAGS: [config]", "  facts\tTAGS: [always]"]
    );
    assert_eq!(
        listed(&["--list-tasks", "--tags", "debug,setup"]),
        [
            "  setup\tTAGS: [setup]",
            "    packages\tTAGS: []",
            "    debug dump\tTAGS: [never, debug]",
            "  facts\tTAGS: [always]",
        ]
    );
    assert_eq!(
        listed(&["--list-tasks", "--skip-tags", "setup,always"]),
        ["  config\tTAGS: [config]", "  untagged\tTAGS: []"]
    );
    // A literal options map is checked before the run; one built at run time when used.
    let (out, _dir) = run_script(r#"task("x", #{tag: ["a"]}, || 1);"#, &[]);
    out.code(2).stderr_has(
        "test.rhai:1:11: unknown option `tag` for task (did you mean `tags`?); known options: tags; nothing was run",
    );
    let (out, _dir) = run_script(r#"let o = #{tag: ["a"]}; task("x", o, || 1);"#, &[]);
    out.code(1).stderr_has(
        "task \"x\": unknown option `tag` for task (did you mean `tags`?); known options: tags",
    );
}

/// rb.toml (beside the runbook, or in the current folder for other commands) fills what the
/// command line and the environment leave unset: a flag wins over its variable, which wins
/// over the file; an unknown key is an error naming the file and line.
#[test]
fn rb_toml_settings_lose_to_env_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("hosts.ini"),
        "[web]\nw1 ansible_connection=local\nw2 ansible_connection=local\n",
    )
    .unwrap();
    std::fs::write(d.join("other.ini"), "[db]\nd1 ansible_connection=local\n").unwrap();
    std::fs::write(
        d.join("rb.toml"),
        "inventory = \"hosts.ini\"\nprivate_key_file = \"/keys/id\"\nssh_common_args = \"-o ServerAliveInterval=5\"\n",
    )
    .unwrap();
    let hosts = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = rb();
        c.current_dir(d).args(["hosts", "all"]).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    assert_eq!(hosts(&[], &[]), "w1\nw2\n");
    assert_eq!(hosts(&[], &[("RB_INVENTORY", "other.ini")]), "d1\n");
    assert_eq!(
        hosts(&["-i", "other.ini"], &[("RB_INVENTORY", "hosts.ini")]),
        "d1\n"
    );
    // Defaults under the inventory's own values, shown as ansible-inventory would.
    let out = rb()
        .current_dir(d)
        .args(["inventory", "--host", "w1"])
        .output()
        .unwrap();
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(vars["ansible_ssh_private_key_file"], "/keys/id");
    assert_eq!(vars["ansible_ssh_common_args"], "-o ServerAliveInterval=5");
    let out = rb()
        .current_dir(d)
        .args(["inventory", "--host", "w1", "--private-key", "/other/key"])
        .output()
        .unwrap();
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(vars["ansible_ssh_private_key_file"], "/other/key");
    // A runbook's folder holds its rb.toml, wherever rb runs from.
    std::fs::write(d.join("book.rhai"), "print(hosts(\"all\").names());").unwrap();
    let out = rb().arg("run").arg(d.join("book.rhai")).output().unwrap();
    assert_eq!(stdout(&out), "[\"w1\", \"w2\"]\n", "{}", stderr(&out));
    std::fs::write(d.join("rb.toml"), "forks = 2\ninventroy = \"x\"\n").unwrap();
    let out = rb().current_dir(d).args(["hosts", "all"]).output().unwrap();
    out.code(2);
    assert!(
        stderr(&out).contains("rb.toml:2: unknown field `inventroy`"),
        "{}",
        stderr(&out)
    );
}

/// Every rhai block of the README and docs/ passes `rb check` (compiles, every call and
/// option known): what a new user copies. (docs/stdlib.md's one-line examples run on the
/// lab with their module imported: stdlib::stdlib_md; docs/reference.md's run in
/// rb-lang's reference test.)
#[test]
fn every_rhai_block_in_the_docs_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut docs = vec![root().join("README.md")];
    let mut more: Vec<_> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "md")
                && !p.ends_with("stdlib.md")
                && !p.ends_with("reference.md")
        })
        .collect();
    more.sort();
    docs.extend(more);
    let mut books = Vec::new();
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("```rhai\n") {
            let start = i + "```rhai\n".len();
            let len = rest[start..].find("```").unwrap();
            let line = text[..text.len() - rest.len() + start].lines().count() + 1;
            let name = format!("{}_{line}.rhai", doc.file_stem().unwrap().to_string_lossy());
            let book = dir.path().join(name);
            std::fs::write(&book, &rest[start..start + len]).unwrap();
            books.push(book);
            rest = &rest[start + len..];
        }
    }
    assert!(books.len() >= 6, "{} blocks", books.len());
    let out = rb().arg("check").args(&books).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A misspelt option of retry or wait_http is an error naming the options there are, not
/// silently ignored (a `dely` would otherwise retry without waiting).
#[test]
fn misspelt_wait_options_are_errors() {
    // Built at run time: refused when the call is reached.
    let (out, _dir) = run_script(
        "let o = #{retries: 1, dely: 0};\nretry(o, || 1, |r| true);\n",
        &[],
    );
    out.code(1).stderr_has(
        "test.rhai:2:1: unknown option `dely` for retry (did you mean `delay`?); known options: retries, delay",
    );
    // Written as a literal: refused before anything runs, at the map.
    let (out, _dir) = run_script(
        "sh(\"touch ran\");\nwait_http(\"http://127.0.0.1:9/\", #{retries: 0, timout: 1});\n",
        &[],
    );
    out.code(2).stderr_has(
        "test.rhai:2:34: unknown option `timout` for wait_http (did you mean `timeout`?); known options: retries, delay, status, timeout, contains, insecure; nothing was run",
    );
    assert!(!_dir.path().join("ran").exists());
}

/// Ctrl-C during a retried command ends the retry at once: the killed attempt is not
/// counted as a failure to retry after.
#[test]
fn ctrl_c_ends_a_retry_without_another_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("retry.rhai");
    std::fs::write(
        &book,
        "retry(#{retries: 3, delay: 0}, || sh(\"sleep 30\"), |r| r.rc == 0);\n",
    )
    .unwrap();
    let mut cmd = rb();
    cmd.arg("run").arg(&book);
    let (out, took) = interrupt_after(cmd, Duration::from_millis(700));
    assert!(took < Duration::from_secs(2), "{took:?}");
    out.code(130);
    assert!(!stderr(&out).contains("retrying"), "{}", stderr(&out));
}

/// wait_http sleeps `delay` between attempts only, never after the last (three attempts,
/// two delays of a second; measured with wide margins).
#[test]
fn wait_http_sleeps_between_attempts_only() {
    let started = std::time::Instant::now();
    let (out, _dir) = run_script(
        "wait_http(\"http://127.0.0.1:9/\", #{retries: 2, delay: 1, timeout: 1});\n",
        &[],
    );
    let took = started.elapsed();
    out.code(1);
    assert!(
        stderr(&out).contains("not ready after 3 attempts"),
        "{}",
        stderr(&out)
    );
    assert!(took >= Duration::from_millis(1950), "{took:?}");
    assert!(took < Duration::from_millis(2900), "{took:?}");
}

/// Writing over a directory is refused with what it is, and the directory is left as it was.
#[test]
fn put_over_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("adir");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "kept").unwrap();
    let (out, _d) = run_script(&format!("local.put({:?}, \"x\\n\");\n", target), &[]);
    out.code(1);
    assert!(
        stderr(&out).contains(&format!("{} on local is a directory", target.display())),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(target.join("keep")).unwrap(),
        "kept"
    );
}

/// `put` compares mode, owner and group with what the file has: the same again is no
/// change, a different mode is (on a local file, as the current user). An owner or group
/// given as a number matches the file's number (it always looked changed).
#[test]
fn put_changes_only_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("conf");
    // SAFETY: getuid/getgid only read the process's ids.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let opts = format!("#{{mode: \"0640\", owner: \"{uid}\", group: \"{gid}\"}}");
    let script = format!(
        "let p = {f:?};\n\
         print([local.put(p, \"x\\n\", {opts}).changed, local.put(p, \"x\\n\", {opts}).changed, \
         local.put(p, \"x\\n\", #{{mode: \"0600\"}}).changed]);\n"
    );
    let (out, _d) = run_script(&script, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "[true, false, true]\n");
    // By name too: the same owner and group named again is no change.
    let id = |flag: &str| {
        let o = std::process::Command::new("id").arg(flag).output().unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    let named = format!("#{{owner: \"{}\", group: \"{}\"}}", id("-un"), id("-gn"));
    let script = format!(
        "let p = {f:?};\nprint([local.put(p, \"y\\n\", {named}).changed, local.put(p, \"y\\n\", {named}).changed]);\n"
    );
    let (out, _d) = run_script(&script, &[]);
    assert_eq!(stdout(&out), "[true, false]\n", "{}", stderr(&out));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// become on a local-connection host (the tests run as root, as CI does): the inventory's
/// `ansible_become`/`ansible_become_user` make commands, `put`, `read` and `exists` run as
/// that user; an operation's own `become: false` or `become_user` wins, and `--become`
/// does not override the inventory's `ansible_become=no`.
#[test]
fn become_from_the_inventory_reaches_commands_and_file_operations() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let open = dir.path().join("open");
    let closed = dir.path().join("closed");
    std::fs::create_dir(&open).unwrap();
    std::fs::create_dir(&closed).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(closed.join("f"), "root only\n").unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(
        &inv,
        "box ansible_connection=local ansible_become=yes ansible_become_user=nobody\n\
         plain ansible_connection=local ansible_become=no\n",
    )
    .unwrap();
    let script = format!(
        r#"let h = hosts("box")[0];
let p = hosts("plain")[0];
print([h.sh("id -un").stdout, h.sh("id -un", #{{become: false}}).stdout, p.sh("id -un").stdout]);
print([h.exists({f:?}), h.sh("id -un", #{{become_user: "root"}}).stdout]);
h.put({n:?}, "n\n", #{{}});
h.put({r:?}, "r\n", #{{become: false}});
h.line_in_file({l:?}, "^a", "a=1", #{{create: true}});
print(h.read({f:?}));
"#,
        f = closed.join("f"),
        n = open.join("n"),
        r = open.join("r"),
        l = open.join("l"),
    );
    let (out, _d) = run_script(&script, &["-i", inv.to_str().unwrap(), "--become"]);
    assert_eq!(
        stdout(&out),
        "[\"nobody\\n\", \"root\\n\", \"root\\n\"]\n[false, \"root\\n\"]\n",
        "{}",
        stderr(&out)
    );
    out.code(1);
    assert!(
        stderr(&out).contains(&format!(
            "cannot read {} on box",
            closed.join("f").display()
        )),
        "{}",
        stderr(&out)
    );
    let owner = |p: &std::path::Path| std::fs::metadata(p).unwrap().uid();
    let nobody = owner(&open.join("n"));
    assert_ne!(nobody, 0);
    assert_eq!(owner(&open.join("l")), nobody);
    assert_eq!(owner(&open.join("r")), 0);
}

/// A become option of the wrong type, a user name that could be a flag, and a become method
/// other than sudo are refused before anything runs.
#[test]
fn bad_become_settings_are_refused() {
    let (out, _d) = run_script("local.sh(\"true\", #{become: \"yes\"});\n", &[]);
    assert_fails(&out, 1, "option `become` must be true or false, got string");
    let (out, _d) = run_script(
        "local.put(\"/tmp/x\", \"x\", #{become_user: \"-u\"});\n",
        &[],
    );
    assert_fails(
        &out,
        1,
        "option `become_user` must be a user name or #uid, got \"-u\"",
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(
        &inv,
        "box ansible_connection=local ansible_become_method=su\n",
    )
    .unwrap();
    let (out, _d) = run_script("print(1);\n", &["-i", inv.to_str().unwrap()]);
    assert_fails(
        &out,
        2,
        "`ansible_become_method` is `su`: rb becomes another user through `sudo` only",
    );
}

/// `put` and `line_in_file` options, each with its effect on a local file: owner and group
/// go where they are named (by number; the tests run as root), `create` belongs to
/// `line_in_file` only, a missing file needs it, and a mode must be octal.
#[test]
fn file_options_each_do_what_they_name() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("owned");
    let missing = dir.path().join("missing");
    let script = format!(
        "local.put({f:?}, \"x\\n\", #{{owner: \"65534\", group: \"0\"}});\n\
         print(local.line_in_file({missing:?}, \"^a=\", \"a=1\", #{{create: true}}));\n\
         print(local.read({missing:?}));\n"
    );
    let (out, _d) = run_script(&script, &[]);
    assert_eq!(stdout(&out), "true\na=1\n\n", "{}", stderr(&out));
    let m = std::fs::metadata(&f).unwrap();
    assert_eq!((m.uid(), m.gid()), (65534, 0));

    let gone = dir.path().join("gone");
    let (out, _d) = run_script(
        &format!("local.line_in_file({gone:?}, \"^a=\", \"a=1\");\n"),
        &[],
    );
    assert_fails(
        &out,
        1,
        &format!(
            "{} does not exist on local (pass #{{create: true}} to create it)",
            gone.display()
        ),
    );
    assert!(!gone.exists());
    let (out, _d) = run_script(
        &format!("local.put({gone:?}, \"x\", #{{create: true}});\n"),
        &[],
    );
    assert_fails(
        &out,
        2,
        "unknown option `create` for put; known options: mode, owner, group, become, become_user, sudo; nothing was run",
    );
    for mode in ["\"0899\"", "\"\""] {
        let (out, _d) = run_script(
            &format!("local.put({gone:?}, \"x\", #{{mode: {mode}}});\n"),
            &[],
        );
        assert_fails(
            &out,
            1,
            "option `mode` must be octal like \"0644\" or 0o644",
        );
    }
    assert!(!gone.exists());
}

/// `-v` prints each command's output under its line (stderr marked, secrets hidden, nothing
/// of a `no_log` command); `-vv` adds task starts and ends; without `-v`, neither.
#[test]
fn verbose_levels_show_output_then_tasks() {
    let script = "let pw = secret(\"pw-123\");\n\
                  task(\"greet\", || sh(\"echo hello; echo \" + pw + \" >&2\"));\n\
                  sh(\"echo hidden-output\", #{no_log: true});\n";
    let (out, _d) = run_script(script, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("    hello"), "{}", stderr(&out));
    let (out, _d) = run_script(script, &["-v"]);
    let err = stderr(&out);
    assert!(
        err.contains("› greet › echo hello; echo ******** >&2: changed (")
            && err.contains(")\n    hello\n    stderr: ********\n"),
        "{err}"
    );
    assert!(
        !err.contains("hidden-output") && !err.contains("pw-123"),
        "{err}"
    );
    assert!(!err.contains("greet: started"), "{err}");
    let (out, _d) = run_script(script, &["-vv"]);
    let err = stderr(&out);
    assert!(err.contains(" local › greet: started\n"), "{err}");
    assert!(err.contains(" local › greet: done ("), "{err}");
}

/// Links of every kind, special files, non-UTF-8 text and setuid bits, as docs/reference.md
/// says: a link to a directory is refused (it used to leave a `.rb-put.*` file in the
/// directory on every run), dangling and looping links are replaced, a FIFO or device is
/// refused instead of blocking or reading forever, `read` refuses bytes it would change and
/// `read_bytes`/`put` keep them exact, and an owner change keeps setuid.
#[test]
fn files_of_every_kind_are_handled_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("realdir")).unwrap();
    std::os::unix::fs::symlink("realdir", d.join("linkdir")).unwrap();
    std::os::unix::fs::symlink("nowhere", d.join("dangling")).unwrap();
    std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
    assert!(Command::new("mkfifo")
        .arg(d.join("fifo"))
        .status()
        .unwrap()
        .success());
    std::fs::write(d.join("latin1"), b"caf\xe9\n").unwrap();
    std::fs::copy("/bin/true", d.join("suid")).unwrap();
    assert!(Command::new("chmod")
        .arg("4751")
        .arg(d.join("suid"))
        .status()
        .unwrap()
        .success());
    let script = format!(
        r#"let d = "{}";
for p in ["linkdir", "dangling", "loop", "fifo"] {{
    try {{ print(`${{p}}: ${{local.put(d + "/" + p, "x\n").changed}}`); }} catch (e) {{ print(`${{p}}: ${{e}}`); }}
}}
try {{ local.read("/dev/zero"); }} catch (e) {{ print(e); }}
try {{ local.read(d + "/latin1"); }} catch (e) {{ print(e); }}
let b = local.read_bytes(d + "/latin1");
print(local.put(d + "/latin1", b + b).changed);
print(local.put(d + "/suid", local.read_bytes(d + "/suid"), #{{owner: "nobody"}}).changed);
"#,
        d.display()
    );
    let started = Instant::now();
    let (out, _t) = run_script(&script, &[]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "nothing blocks"
    );
    out.code(0);
    let dd = d.display();
    assert_eq!(
        stdout(&out),
        format!(
            "linkdir: {dd}/linkdir on local is a symlink to the directory realdir; give the path of a file (in it, or remove the link first)\n\
             dangling: true\nloop: true\n\
             fifo: {dd}/fifo on local is not a regular file (fifo); rb reads and writes regular files only\n\
             /dev/zero on local is not a regular file (character special file); rb reads and writes regular files only\n\
             {dd}/latin1 on local is not UTF-8 text (byte 3 is not); h.read_bytes(path) gives its exact bytes as a blob, which put writes back unchanged\n\
             true\ntrue\n"
        )
    );
    let names: Vec<String> = std::fs::read_dir(d.join("realdir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.is_empty(),
        "nothing left in the linked directory: {names:?}"
    );
    assert!(std::fs::symlink_metadata(d.join("linkdir"))
        .unwrap()
        .file_type()
        .is_symlink());
    for p in ["dangling", "loop"] {
        assert_eq!(std::fs::read_to_string(d.join(p)).unwrap(), "x\n", "{p}");
    }
    assert_eq!(
        std::fs::read(d.join("latin1")).unwrap(),
        b"caf\xe9\ncaf\xe9\n"
    );
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(d.join("suid")).unwrap();
    assert_eq!(
        (m.mode() & 0o7777, m.uid()),
        (0o4751, 65534),
        "setuid kept, owner changed"
    );
}

/// No small input costs gigabytes: a string doubled in a loop, a YAML alias bomb in `-e @`,
/// and a long host line over a big range each stop with a named error.
#[test]
fn growing_values_and_alias_bombs_are_named_errors() {
    let (out, _d) = run_script("let s = \"x\";\nfor i in 0..40 { s += s; }\n", &[]);
    out.code(1);
    assert!(
        stderr(&out)
            .contains("test.rhai:2:20: Length of string went past rb's limit (strings 256 MiB"),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, c) in "bcdefghij".chars().enumerate() {
        let prev = (b'a' + i as u8) as char;
        bomb.push_str(&format!(
            "{c}: &{c} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
    }
    let vars = dir.path().join("bomb.yml");
    std::fs::write(&vars, &bomb).unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(&inv, format!("h[0:99999] v={}\n", "x".repeat(40_000))).unwrap();
    for args in [
        vec!["-e".to_string(), format!("@{}", vars.display())],
        vec!["-i".to_string(), inv.display().to_string()],
    ] {
        let (out, _d) = run_script(
            "log(1);",
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        out.code(2);
        let err = stderr(&out);
        assert!(
            err.contains("aliases expand to more than 1000000 values (an alias bomb?)")
                || err.contains("inv.ini:1: host variables pass 64 MiB in all (100000 hosts get this line's 40002 bytes each)"),
            "{err}"
        );
    }
}

/// A runbook saved with a UTF-8 byte order mark runs; a bad `--vars` file is named as the
/// `--vars` it is, not as an `-e @file`.
#[test]
fn a_bom_is_dropped_and_a_bad_vars_file_is_named_as_given() {
    let (out, _d) = run_script("\u{feff}log(\"bom ok\");\n", &[]);
    out.code(0);
    assert_eq!(stdout(&out), "bom ok\n");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "a: [1\n").unwrap();
    let (out, _d) = run_script("log(1);", &["--vars", bad.to_str().unwrap()]);
    out.code(2);
    let err = stderr(&out);
    let b = bad.display();
    assert!(err.contains(&format!("--vars {b}: {b}:")), "{err}");
    assert!(!err.contains("-e @"), "{err}");
}

/// An SSH host nothing listens for (loopback, port 1) is unreachable — not failed — from a
/// command, a file operation and `rb exec` alike: each path carries the transport's kind.
#[test]
fn an_unreachable_host_is_unreachable_from_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(
        &inv,
        "u1 ansible_host=127.0.0.1 ansible_port=1 ansible_user=root\n",
    )
    .unwrap();
    let inv = inv.to_str().unwrap();
    for body in ["h.sh(\"true\")", "h.read(\"/etc/hostname\")"] {
        let (out, _d) = run_script(
            &format!("on(hosts(\"u1\"), |h| {body});\n"),
            &["-i", inv, "--json"],
        );
        assert_eq!(out.status.code(), Some(1), "{body}: {}", stderr(&out));
        let events = json_events(&stdout(&out));
        let failed = events.iter().find(|e| e["event"] == "host_failed").unwrap();
        assert_eq!(failed["unreachable"], true, "{body}: {failed}");
        let recap = events.iter().find(|e| e["event"] == "recap").unwrap();
        assert_eq!(recap["hosts"][0]["unreachable"], 1, "{body}: {recap}");
        assert_eq!(recap["hosts"][0]["failed"], 0, "{body}: {recap}");
    }
    let out = rb()
        .args(["exec", "-i", inv, "u1", "true"])
        .output()
        .unwrap();
    out.code(1);
    assert!(
        stdout(&out).starts_with("u1 | UNREACHABLE >>\n")
            && stdout(&out).contains("Connection refused"),
        "{}",
        stdout(&out)
    );
}

/// The sudo hint goes with become only: a command that prints sudo's words without become
/// gets the ordinary hint.
#[test]
fn the_sudo_hint_needs_become() {
    let (out, _d) = run_script(
        "sh(\"echo 'sudo: a password is required' >&2; exit 1\");\n",
        &[],
    );
    out.code(1);
    let err = stderr(&out);
    assert!(
        err.contains("hint: pass #{check: false} to handle a failure yourself"),
        "{err}"
    );
    assert!(!err.contains("-K"), "{err}");
}

/// Host lists print as their names in `print`, `${}` and `debug`; `--list-tasks` lists the
/// literal tags of a task whose options also hold a variable.
#[test]
fn host_lists_print_their_names_and_list_tasks_reads_mixed_tags() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(&inv, "[w]\nw[1:2] ansible_connection=local\n").unwrap();
    let (out, _d) = run_script(
        "print(hosts(\"w\")); debug(hosts(\"w\")); print(`in ${hosts(\"w\")}`);\n",
        &["-i", inv.to_str().unwrap()],
    );
    assert_eq!(
        stdout(&out),
        "[w1, w2]\nHostList[w1, w2]\nin [w1, w2]\n",
        "{}",
        stderr(&out)
    );
    let (out, _d) = run_script(
        "let extra = \"x\";\ntask(\"mixed\", #{tags: [\"lit\", extra]}, || 1);\n",
        &["--list-tasks"],
    );
    assert!(
        stdout(&out).ends_with("\n  mixed\tTAGS: [lit]\n"),
        "{}",
        stdout(&out)
    );
}

/// `rb repl` from a pipe: an entry left open continues on the next line, joined with a
/// line break (a `//` comment ends at it), and each result prints on stdout.
#[test]
fn piped_repl_entries_continue_across_lines() {
    let out = repl_piped(&[], "\nlet a = [1, // one\n2,\n3];\na.len()\n");
    out.code(0);
    assert_eq!(stdout(&out), "3\n");
    // A trailing operator, and an open call, continue too.
    let out = repl_piped(&[], "let x = 40 +\n2;\nx\nlog(\nx)\n");
    out.code(0);
    assert_eq!(stdout(&out), "42\n42\n");
}

/// Rhai's own runtime errors keep their words, at the runbook's file:line:col (the
/// position Rhai appends is moved to the front, not lost with the text).
#[test]
fn rhai_runtime_errors_keep_their_words_and_position() {
    for (script, want) in [
        (
            "let z = 0;\nlet x = 1 / z;\n",
            "test.rhai:2:11: Division by zero: 1 / 0",
        ),
        (
            "let a = [1];\nlet b = a[5];\n",
            "test.rhai:2:11: Array index 5 out of bounds: only 1 element in array",
        ),
    ] {
        let (out, _d) = run_script(script, &[]);
        assert_eq!(out.status.code(), Some(1), "{script}");
        assert!(stderr(&out).contains(want), "{}", stderr(&out));
    }
}

/// `forks` of `on` is at least 1: 1 runs the hosts one at a time, 0 is refused by name.
#[test]
fn on_forks_is_at_least_one() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(&inv, "[w]\nw[1:2] ansible_connection=local\n").unwrap();
    let inv = inv.to_str().unwrap();
    let (out, _d) = run_script(
        "let r = on(hosts(\"w\"), #{forks: 1}, |h| h.name);\nprint(r.values());\n",
        &["-i", inv],
    );
    out.code(0);
    assert_eq!(stdout(&out), "[\"w1\", \"w2\"]\n");
    let (out, _d) = run_script("on(hosts(\"w\"), #{forks: 0}, |h| 1);\n", &["-i", inv]);
    out.code(1);
    assert!(
        stderr(&out).contains("option `forks` must be at least 1"),
        "{}",
        stderr(&out)
    );
}

/// IPv6 in `ip_in_cidr`; `secret` of a number; the piped REPL prints a map whose keys are
/// not hosts as data, not as one row per host (three mutants the sample left alive).
#[test]
fn ipv6_cidrs_numeric_secrets_and_repl_maps() {
    let (out, _d) = run_script(
        "print([ip_in_cidr(\"fd00::1\", \"fd00::/8\"), ip_in_cidr(\"fe80::1\", \"fd00::/8\"), ip_in_cidr(\"fe80::1\", \"::/0\")]);\n\
         let pin = secret(482913);\nlog(`pin ${pin} 482913`);\n",
        &[],
    );
    out.code(0);
    assert_eq!(stdout(&out), "[true, false, true]\npin ******** ********\n");
    let out = repl_piped(&[], "#{web: 1}\n");
    assert_eq!(stdout(&out), "{\n  \"web\": 1\n}\n", "{}", stderr(&out));
}

/// A `.j2` file is found beside the runbook or in its templates/ folder; an undefined
/// variable stops the run with the template's file and line, and nothing is written.
#[test]
fn template_files_and_undefined_variables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/app.conf.j2"),
        "# {{ inventory_hostname }}\nport={{ port }}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.j2"), "line one\nport={{ nope }}\n").unwrap();
    let out_file = dir.path().join("app.conf");
    let book = dir.path().join("run.rhai");
    std::fs::write(
        &book,
        format!(
            "import \"files\" as files;\nlet h = host(\"localhost\");\n\
             print(files::template(h, {out:?}, \"app.conf.j2\", #{{port: 2379}}, #{{}}));\n\
             files::template(h, {bad:?}, \"bad.j2\", #{{}}, #{{}});\n",
            out = out_file,
            bad = dir.path().join("never-written")
        ),
    )
    .unwrap();
    let out = rb().arg("run").arg(&book).output().unwrap();
    out.code(1);
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "# localhost\nport=2379\n"
    );
    let err = stderr(&out);
    assert!(
        err.contains("run.rhai:4:")
            && err.contains(&format!(
                "template {}:2: undefined variable in `nope`",
                dir.path().join("bad.j2").display()
            )),
        "{err}"
    );
    assert!(!dir.path().join("never-written").exists());
}

/// A `--limit`, host pattern, `--tags`, `--skip-tags` or `--start-at-task` that selects
/// nothing is refused before anything runs (exit 2), naming the closest name; a limit term
/// that matches nothing beside others that do is a warning, as in ansible-core.
#[test]
fn selections_that_select_nothing_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("inv.ini"),
        "[app]\napp1 ansible_connection=local\napp2 ansible_connection=local\n\
         [db]\ndb1 ansible_connection=local\n",
    )
    .unwrap();
    let marker = d.join("ran");
    std::fs::write(
        d.join("book.rhai"),
        format!(
            "sh(\"touch {}\");\n\
             task(\"configure\", #{{tags: [\"config\"]}}, || {{ on(hosts(\"app\"), |h| h.sh(\"true\")); }});\n\
             task(\"deploy\", || {{ log(\"deployed\"); }});\n",
            marker.display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        rb().current_dir(d)
            .args(["run", "book.rhai", "-i", "inv.ini"])
            .args(args)
            .output()
            .unwrap()
    };
    let refused = [
        (
            vec!["--limit", "ap1"],
            "--limit `ap1` selects no host in inv.ini (did you mean `app`?)",
        ),
        (
            vec!["--tags", "confg"],
            "--tags confg: no task of the runbook has this tag (did you mean `config`?); its tags: config",
        ),
        (
            vec!["--skip-tags", "deploy"],
            "--skip-tags deploy: no task of the runbook has this tag; its tags: config",
        ),
        (
            vec!["--start-at-task", "confgure"],
            "--start-at-task confgure: no task of the runbook is called that (did you mean `configure`?)",
        ),
    ];
    for (args, message) in refused {
        let out = run(&args);
        out.code(2).stderr_has(message);
        assert!(!marker.exists(), "{args:?} ran the runbook");
    }
    // Special tags and task paths name something; a partly matching limit runs, with a
    // warning for the term that matched nothing.
    run(&["--tags", "always", "--start-at-task", "deploy"]).code(0);
    let out = run(&["--limit", "app1:ap3"]);
    out.code(0)
        .stderr_has("warning: --limit: host pattern `ap3` matches no host or group in inv.ini")
        .stderr_has("app1 › true");
    assert!(!stderr(&out).contains("app2 › true"), "{}", stderr(&out));
    assert!(marker.exists());

    // A literal pattern in the runbook, at its position; a computed task name turns the
    // task check off (its names cannot be known before the run).
    std::fs::write(
        d.join("typo.rhai"),
        "on(hosts(\"ap\"), |h| h.sh(\"true\"));\n",
    )
    .unwrap();
    let out = rb()
        .current_dir(d)
        .args(["run", "typo.rhai", "-i", "inv.ini"])
        .output()
        .unwrap();
    out.code(2).stderr_has(
        "typo.rhai:1:4: host pattern `ap` selects no host in inv.ini (did you mean `app`?)",
    );
    std::fs::write(
        d.join("computed.rhai"),
        "let n = \"de\" + \"ploy\";\ntask(n, || log(\"ok\"));\n",
    )
    .unwrap();
    rb().current_dir(d)
        .args([
            "run",
            "computed.rhai",
            "-i",
            "inv.ini",
            "--start-at-task",
            "deploy",
        ])
        .output()
        .unwrap()
        .code(0);

    // rb exec and rb hosts: a pattern with no host, or none inside --limit.
    let cmd = |args: &[&str]| rb().current_dir(d).args(args).output().unwrap();
    cmd(&["exec", "ap1", "true", "-i", "inv.ini"])
        .code(2)
        .stderr_has("host pattern `ap1` selects no host in inv.ini (did you mean `app`?)");
    cmd(&["exec", "db", "true", "-i", "inv.ini", "--limit", "app"])
        .code(2)
        .stderr_has("host pattern `db` selects no host inside --limit");
    let out = cmd(&["hosts", "dbb", "-i", "inv.ini"]);
    out.code(2)
        .stderr_has("host pattern `dbb` selects no host in inv.ini (did you mean `db`?)");
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    cmd(&["hosts", "all", "-i", "inv.ini", "--limit", "nope"])
        .code(2)
        .stderr_has("--limit `nope` selects no host in inv.ini");
}

/// Become on a host without sudo names sudo (not the shell it would run) and what to do,
/// with a password or without.
#[test]
fn become_without_sudo_names_sudo_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(&inv, "box ansible_connection=local\n").unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "secret-pw\n").unwrap();
    // A PATH with no sudo on it: the host "has none".
    let empty = dir.path().join("bin");
    std::fs::create_dir(&empty).unwrap();
    let exec = |extra: &[&str]| {
        rb().env("PATH", &empty)
            .args(["exec", "box", "true", "-b", "-i"])
            .arg(&inv)
            .args(extra)
            .output()
            .unwrap()
    };
    exec(&[]).code(1).stdout_has(
        "command could not start on box: cannot start `sudo`: No such file or directory (os error 2) \
         (become runs commands through sudo, and this host has none: install sudo, or run without become)",
    );
    let out = exec(&["--become-password-file", pw.to_str().unwrap()]);
    out.code(1)
        .stdout_has("box | FAILED | rc=127 >>")
        .stdout_has("has none: install sudo, or run without become");
    assert!(!stdout(&out).contains("did not accept"), "{}", stdout(&out));

    // With sudo there, a command that is missing, or that says "sudo" and "not found" but
    // exits otherwise, gets the usual advice, not this one.
    for (cmd, rc) in [
        ("no-such-command-rb", 127),
        ("echo 'sudo: not found' >&2; exit 3", 3),
    ] {
        let (out, _d) = run_script(&format!("sh({cmd:?}, #{{become: true}});\n"), &[]);
        out.code(1)
            .stderr_has(&format!("(rc {rc})"))
            .stderr_has("hint: pass #{check: false}");
        assert!(!stderr(&out).contains("install sudo"), "{}", stderr(&out));
    }

    // Over SSH the login shell runs sudo and says it is missing (rc 127): the same advice,
    // here from a stand-in that answers as bash does without sudo.
    let shim = dir.path().join("shim");
    std::fs::create_dir(&shim).unwrap();
    let sudo = shim.join("sudo");
    std::fs::write(
        &sudo,
        "#!/bin/sh\necho 'bash: line 1: sudo: command not found' >&2\nexit 127\n",
    )
    .unwrap();
    std::fs::set_permissions(&sudo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let book = dir.path().join("b.rhai");
    std::fs::write(&book, "sh(\"true\", #{become: true});\n").unwrap();
    rb().env("PATH", &shim)
        .arg("run")
        .arg(&book)
        .output()
        .unwrap()
        .code(1)
        .stderr_has("(rc 127)")
        .stderr_has("hint: become runs commands through sudo, and this host has none: install sudo, or run without become");
}

/// `need_hosts` with a literal pattern is checked before anything runs, as a statement or
/// inside an expression; `hosts(...)` as a statement too.
#[test]
fn need_hosts_and_hosts_are_checked_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("inv.ini"),
        "[app]\napp1 ansible_connection=local\n[db]\ndb1 ansible_connection=local\n",
    )
    .unwrap();
    let marker = d.join("ran");
    let run = |body: &str, args: &[&str]| {
        std::fs::write(
            d.join("b.rhai"),
            format!("sh(\"touch {}\");\n{body}\n", marker.display()),
        )
        .unwrap();
        rb().current_dir(d)
            .args(["run", "b.rhai", "-i", "inv.ini"])
            .args(args)
            .output()
            .unwrap()
    };
    run("need_hosts(\"db\");", &["--limit", "app"])
        .code(2)
        .stderr_has("b.rhai:2:1: this runbook needs hosts in db");
    assert!(!marker.exists(), "the runbook ran before the refusal");
    run("hosts(\"dbz\");", &[]).code(2).stderr_has(
        "b.rhai:2:1: host pattern `dbz` selects no host in inv.ini (did you mean `db`?)",
    );
    assert!(!marker.exists(), "the runbook ran before the refusal");
    // What selects hosts runs: need_hosts inside --limit, hosts outside it (empty).
    run(
        "need_hosts(\"app\");\nlet x = hosts(\"db\");\nif x.len() != 0 { fail(\"not empty\") }",
        &["--limit", "app"],
    )
    .code(0);
    assert!(marker.exists());
}

/// Tasks inside a runbook's own module are not in its text, so a tag or task named only
/// there is not refused; importing rb's stdlib changes nothing.
#[test]
fn tags_of_a_runbooks_own_modules_are_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("steps.rhai"),
        "fn setup() { task(\"inner\", #{tags: [\"deep\"]}, || log(\"inner ran\")); }\n",
    )
    .unwrap();
    std::fs::write(
        d.join("own.rhai"),
        "import \"steps\" as steps;\ntask(\"outer\", #{tags: [\"top\"]}, || steps::setup());\n",
    )
    .unwrap();
    std::fs::write(
        d.join("std.rhai"),
        "import \"net\" as net;\ntask(\"outer\", #{tags: [\"top\"]}, || log(\"x\"));\n",
    )
    .unwrap();
    let run = |book: &str, tag: &str| {
        rb().current_dir(d)
            .args(["run", book, "--tags", tag])
            .output()
            .unwrap()
    };
    run("own.rhai", "deep").code(0);
    run("std.rhai", "deep")
        .code(2)
        .stderr_has("--tags deep: no task of the runbook has this tag; its tags: top");
}

/// The task check knows only literal names and tags: it refuses a typo among plain tasks,
/// and stays quiet when a name or tags are computed (in a statement or an expression).
#[test]
fn the_task_check_refuses_only_what_it_can_know() {
    let cases = [
        ("task(\"a\", || log(1));\n", vec!["--start-at-task", "b"], 2),
        (
            "let t = [\"x\"];\ntask(\"a\", #{tags: t}, || log(1));\n",
            vec!["--tags", "x"],
            0,
        ),
        (
            // A name Rhai cannot fold into a constant: it comes from the run's variables.
            "let v = task(vars.name ?? \"deploy\", || 1);\n",
            vec!["--start-at-task", "deploy"],
            0,
        ),
    ];
    for (book, args, code) in cases {
        let (out, _dir) = run_script(book, &args);
        assert_eq!(out.status.code(), Some(code), "{book}: {}", stderr(&out));
    }
}

/// A pattern computed at run time that selects no host of the inventory fails where it is
/// used; one whose hosts are all outside --limit is an empty list.
#[test]
fn a_computed_pattern_that_selects_nothing_fails_at_its_call() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("inv.ini"),
        "[app]\napp1 ansible_connection=local\n[db]\ndb1 ansible_connection=local\n",
    )
    .unwrap();
    std::fs::write(
        d.join("b.rhai"),
        "let n = vars.group;\nlet l = hosts(n);\nlog(`hosts: ${l.len()}`);\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        rb().current_dir(d)
            .args(["run", "b.rhai", "-i", "inv.ini"])
            .args(args)
            .output()
            .unwrap()
    };
    run(&["-e", "group=dbz"]).code(1).stderr_has(
        "b.rhai:2:9: host pattern `dbz` selects no host in inv.ini (did you mean `db`?)",
    );
    run(&["-e", "group=db", "--limit", "app"])
        .code(0)
        .stdout_has("hosts: 0");
}

/// The REPL prints rb's own values as the language does (a host list as its names, a host
/// as its name, a secret hidden), never as a Rust type name (issue 24).
#[test]
fn the_repl_prints_rbs_values_as_the_language_does() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(
        &inv,
        "[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n",
    )
    .unwrap();
    let out = repl_piped(
        &["-i", inv.to_str().unwrap()],
        "hosts(\"web\")\nhost(\"web2\")\nsecret(\"hunter22\")\n",
    );
    out.code(0);
    assert_eq!(
        stdout(&out),
        "[web1, web2]\nweb2\n********\n",
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("rb::"), "{}", stdout(&out));
}

/// The REPL's commands, piped: `:vars` lists the variables as the language prints them
/// (secrets hidden), `:hosts` and `:load` work, an unknown command is an error, `:quit`
/// ends the session before the lines after it.
#[test]
fn the_repls_commands_piped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("inv.ini"),
        "[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n",
    )
    .unwrap();
    std::fs::write(d.join("f.rhai"), "40 + 2\n").unwrap();
    let out = repl_piped_in(
        d,
        &["-i", "inv.ini"],
        "let l = hosts(\"web\");\nlet pw = secret(\"hunter22\");\n:vars\n:hosts web\n\
         :load f.rhai\n:bogus\n:quit\nprint(\"after quit\")\n",
    );
    assert_eq!(
        stdout(&out),
        "vars = {}\nl = [web1, web2]\npw = ********\nweb1  127.0.0.1\nweb2  127.0.0.1\n42\n",
        "{}",
        stderr(&out)
    );
    out.code(1)
        .stderr_has("error: unknown command :bogus; try :help");
}

/// A REPL entry may call a closure kept in a map by an earlier entry: the call check,
/// which cannot see that map, leaves method calls of later entries to run time.
#[test]
fn a_repl_entry_calls_a_closure_an_earlier_entry_kept() {
    let out = repl_piped(&[], "let m = #{inc: |x| x + 1};\nm.inc(41)\n");
    out.code(0);
    assert_eq!(stdout(&out), "42\n", "{}", stderr(&out));
}

/// The stdlib's errors carry the failing command's own words. (Rhai's `trim` changes its
/// string in place and returns `()`: `r.stderr.trim()` once made them say "()".)
#[test]
fn stdlib_errors_carry_the_failing_commands_own_words() {
    let (out, _dir) = run_script(
        "import \"stdlib/files\" as files;\nfiles::install_binary(local, \"file:///nonexistent-rb/tool\", \"/nonexistent-rb/tool\", ());\n",
        &[],
    );
    out.code(1).stderr_has(
        "no sha256 for file:///nonexistent-rb/tool: file:///nonexistent-rb/tool.sha256 could not be read (curl: (37) Couldn't open file /nonexistent-rb/tool.sha256); give the digest",
    );

    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\ncurrent-context: c\n",
    )
    .unwrap();
    let file = dir.path().join("k.rhai");
    std::fs::write(
        &file,
        "import \"stdlib/k8s\" as k8s;\nk8s::node_ready(\"node1\");\n",
    )
    .unwrap();
    let out = rb()
        .arg("run")
        .arg(&file)
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .unwrap();
    out.code(1)
        .stderr_has("kubectl cannot ask the cluster about node node1: ")
        .stderr_has("127.0.0.1:1");
    assert!(!stderr(&out).contains("node1: ()"), "{}", stderr(&out));
}

/// flannel's releases publish no digest beside flanneld: from there the flannel runbook
/// needs `flanneld_sha256`, and refuses before a host is touched without it.
#[test]
fn flannel_runbook_refuses_flannels_own_release_without_a_pinned_digest() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.ini");
    std::fs::write(
        &inv,
        "[etcd]\ne1 ansible_connection=local\n\n[workers]\nw1 ansible_connection=local\n",
    )
    .unwrap();
    let out = rb()
        .arg("run")
        .arg(root().join("runbooks/flannel.rhai"))
        .arg("-i")
        .arg(&inv)
        .output()
        .unwrap();
    out.code(1).stderr_has(
        "flannel's releases publish no sha256 for flanneld: set flanneld_sha256 (the digest of https://github.com/flannel-io/flannel/releases/download/v0.25.1/flanneld-amd64) for w1, or flanneld_url to a mirror that publishes URL.sha256",
    );
    assert!(!stderr(&out).contains(" › "), "{}", stderr(&out));
}

/// A probe (`check: false`) that exits non-zero is an answer, not a failure: its line says
/// "rc N, not checked", the recap counts it ok, and the run goes on; a checked command that
/// exits non-zero says "failed (rc N)".
#[test]
fn a_probe_that_exits_non_zero_is_not_shown_as_failed() {
    let (out, _dir) = run_script(
        "let r = sh(\"exit 3\", #{check: false});\nprint(r.rc);\nsh(\"exit 4\");\n",
        &[],
    );
    out.code(1)
        .stdout_has("3\n")
        .stderr_has(" › exit 3: rc 3, not checked (")
        .stderr_has(" › exit 4: failed (rc 4) (");
    let (out, _dir) = run_script("sh(\"exit 3\", #{check: false});\n", &["--json"]);
    out.code(0);
    let line = stdout(&out)
        .lines()
        .find(|l| l.contains("\"cmd_result\""))
        .unwrap_or_default()
        .to_string();
    assert!(
        line.contains("\"rc\":3") && line.contains("\"checked\":false"),
        "{line}"
    );
    let recap = stdout(&out)
        .lines()
        .find(|l| l.contains("\"recap\""))
        .unwrap_or_default()
        .to_string();
    assert!(recap.contains("\"ok\":1"), "{recap}");
}

/// `-f 0` says why it is refused and what to give instead, in rb's words, not clap's range.
#[test]
fn forks_zero_is_refused_with_what_to_give_instead() {
    for cmd in [vec!["run", "nothing.rhai"], vec!["exec", "all", "true"]] {
        let out = rb().args(&cmd).args(["-f", "0"]).output().unwrap();
        out.code(2).stderr_has(
            "invalid value '0' for '--forks <FORKS>': 0 hosts at once would run nothing: give 1 or more (without -f, every host of a batch runs at once)",
        );
        let out = rb().args(&cmd).args(["-f", "two"]).output().unwrap();
        out.code(2)
            .stderr_has("`two` is not a number of hosts: give 1 or more");
    }
}

/// `help`, `exit` and `quit` typed alone do what they say, as in other REPLs, instead of
/// "undefined variable".
#[test]
fn repl_help_exit_and_quit_typed_as_words() {
    let out = repl_piped(&[], "help\n");
    out.code(0)
        .stdout_has("Commands: :help NAME, :hosts [PATTERN], :vars, :load FILE, :quit");
    for word in ["exit", "quit", "exit()", "quit()"] {
        let out = repl_piped(&[], &format!("1 + 1\n{word}\n40 + 2\n"));
        out.code(0);
        assert_eq!(stdout(&out), "2\n", "{word}: {}", stderr(&out));
    }
    // Only the word alone is the command: inside code it is a name like any other.
    let out = repl_piped(&[], "let help = 5;\nhelp + 1\n");
    out.code(0);
    assert_eq!(stdout(&out), "6\n", "{}", stderr(&out));
}

/// An Ansible project folder is read as ansible-core reads it: ansible.cfg from the current
/// folder (not a world-writable one), `ANSIBLE_CONFIG` and `ANSIBLE_INVENTORY` before it,
/// rb.toml over both; settings rb does not use are warned about by file:line, settings it
/// would break are refused; and with no inventory at all, `all` is empty and the run says
/// so before anything runs.
#[test]
fn an_ansible_project_folder_is_read_as_ansible_reads_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("project");
    std::fs::create_dir_all(d.join("inventory")).unwrap();
    std::fs::write(
        d.join("inventory/hosts.ini"),
        "[web]\nw1 ansible_connection=local\nw2 ansible_connection=local\n",
    )
    .unwrap();
    std::fs::write(d.join("other.ini"), "[db]\nd1 ansible_connection=local\n").unwrap();
    std::fs::write(
        d.join("ansible.cfg"),
        "[defaults]\n# the project's own\ninventory = inventory/hosts.ini\nforks = 3\nstrategy = free\n",
    )
    .unwrap();
    let rb_in = |dir: &Path, args: &[&str], env: &[(&str, &str)]| {
        let mut c = rb();
        c.current_dir(dir).args(args).env_remove("ANSIBLE_CONFIG");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let out = rb_in(&d, &["hosts", "all"], &[]);
    assert_eq!(stdout(&out), "w1\nw2\n", "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ansible.cfg:5: `[defaults] strategy` is not used by rb"),
        "{}",
        stderr(&out)
    );
    // ANSIBLE_INVENTORY wins over the file, as in ansible-core; -i over both.
    let out = rb_in(&d, &["hosts", "all"], &[("ANSIBLE_INVENTORY", "other.ini")]);
    assert_eq!(stdout(&out), "d1\n", "{}", stderr(&out));
    // `rb config` says where each setting came from.
    let out = rb_in(&d, &["config"], &[]);
    let text = stdout(&out);
    let cfg = d.join("ansible.cfg").display().to_string();
    assert!(
        text.contains(&format!(
            "inventory = {}/inventory/hosts.ini\t({cfg}:3)",
            d.display()
        )),
        "{text}"
    );
    assert!(text.contains(&format!("forks = 3\t({cfg}:4)")), "{text}");
    // rb.toml beside it wins.
    std::fs::write(d.join("rb.toml"), "inventory = \"other.ini\"\n").unwrap();
    assert_eq!(stdout(&rb_in(&d, &["hosts", "all"], &[])), "d1\n");
    std::fs::remove_file(d.join("rb.toml")).unwrap();
    // ANSIBLE_CONFIG names a folder or a file elsewhere; it is read first.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(
        elsewhere.join("ansible.cfg"),
        format!(
            "[defaults]\ninventory = {}\n",
            d.join("other.ini").display()
        ),
    )
    .unwrap();
    let out = rb_in(
        &d,
        &["hosts", "all"],
        &[("ANSIBLE_CONFIG", elsewhere.to_str().unwrap())],
    );
    assert_eq!(stdout(&out), "d1\n", "{}", stderr(&out));
    // A setting rb would honour differently is refused, by file and line, exit 2.
    std::fs::write(
        d.join("ansible.cfg"),
        "[defaults]\ninventory = inventory/hosts.ini\n[privilege_escalation]\nbecome_method = su\n",
    )
    .unwrap();
    let out = rb_in(&d, &["hosts", "all"], &[]);
    out.code(2).stderr_has(&format!(
        "{cfg}:4: `become_method = su`: rb becomes another user through sudo only"
    ));
    // In a world-writable folder ansible.cfg is skipped (ansible-core's warning): no
    // inventory, so `all` is empty, and a runbook fails before running anything.
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(
        d.join("book.rhai"),
        "on(hosts(\"all\"), |h| { sh(\"touch ran\"); });",
    )
    .unwrap();
    let out = rb_in(&d, &["run", "book.rhai"], &[]);
    out.code(2)
        .stderr_has("Ansible is being run in a world writable directory")
        .stderr_has("host pattern `all` selects no host")
        .stderr_has("the implicit localhost is in no group, not even `all`");
    assert!(!d.join("ran").exists(), "the runbook ran on the controller");
    // By name, the implicit localhost is there.
    let out = rb_in(&d, &["hosts", "localhost"], &[]);
    assert_eq!(stdout(&out), "localhost\n", "{}", stderr(&out));
}

/// `-e` wins over every inventory variable, connection ones included (ansible-core's
/// extra vars); `--limit @FILE` reads one pattern a line (a `.retry` file), a missing file
/// is an error, and a limit that leaves no host stops the run before anything runs.
#[test]
fn extra_vars_reach_the_connection_and_limit_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Unreachable as written: 192.0.2.0/24 is TEST-NET-1, never routed.
    std::fs::write(
        d.join("hosts.ini"),
        "[web]\nw1 ansible_host=192.0.2.1\nw2 ansible_host=192.0.2.2\nw3 ansible_host=192.0.2.3\n",
    )
    .unwrap();
    std::fs::write(
        d.join("book.rhai"),
        "on(hosts(\"web\"), |h| { let r = sh(\"echo hi\"); print(`${h.name} ${h.addr} ${r.out}`); });",
    )
    .unwrap();
    let run = |args: &[&str]| {
        rb().current_dir(d)
            .args([
                "run",
                "book.rhai",
                "-i",
                "hosts.ini",
                "--connect-timeout",
                "1",
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "-e",
        "ansible_connection=local",
        "-e",
        "ansible_host=127.0.0.9",
    ]);
    out.code(0);
    let text = stdout(&out);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "w1 | w1 127.0.0.9 hi",
            "w2 | w2 127.0.0.9 hi",
            "w3 | w3 127.0.0.9 hi"
        ],
        "{}",
        stderr(&out)
    );
    // A retry file: one host a line, combined with other terms by comma.
    std::fs::write(d.join("site.retry"), "w2\n\nw3\n").unwrap();
    let out = run(&[
        "-e",
        "ansible_connection=local",
        "--limit",
        "@site.retry,!w3",
    ]);
    out.code(0);
    assert_eq!(
        stdout(&out).trim(),
        "w2 | w2 192.0.2.2 hi",
        "{}",
        stderr(&out)
    );
    let out = rb()
        .current_dir(d)
        .args(["hosts", "all", "-i", "hosts.ini", "--limit", "@site.retry"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "w2\nw3\n", "{}", stderr(&out));
    let out = run(&["--limit", "@missing.retry"]);
    out.code(2)
        .stderr_has("--limit @missing.retry: cannot read the limit file missing.retry");
    // A typo leaves no host: refused before anything runs, with the closest name.
    let out = run(&["-e", "ansible_connection=local", "--limit", "wl"]);
    out.code(2)
        .stderr_has("--limit `wl` selects no host")
        .stderr_has("did you mean `w1`?");
    assert_eq!(stdout(&out), "");
}

/// Jinja inside inventory variables is rendered as ansible-core renders it, before any host
/// is reached: connection variables included, chains across group_vars, native types for a
/// lone expression; one that cannot be rendered stops the run naming host, variable and
/// file; `rb inventory --host` prints the raw values, as ansible-inventory does.
#[test]
fn jinja_in_inventory_variables_is_rendered_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("group_vars")).unwrap();
    std::fs::write(
        d.join("group_vars/all.yml"),
        "conn: local\ncluster_name: prod\ndns_domain: \"{{ cluster_name }}.local\"\nports: \"{{ [80, 443] }}\"\nnode_name: \"{{ ansible_facts.hostname }}\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("hosts.ini"),
        "[web]\nw1 ansible_connection=\"{{ conn }}\" ansible_host=\"{{ inventory_hostname }}.{{ dns_domain }}\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("book.rhai"),
        "on(hosts(\"web\"), |h| { print(`${h.addr} ${h.vars.dns_domain} ${type_of(h.vars.ports)} ${sh(\"echo ran\").out}`); });",
    )
    .unwrap();
    let out = rb()
        .current_dir(d)
        .args(["run", "book.rhai", "-i", "hosts.ini"])
        .output()
        .unwrap();
    out.code(0);
    assert_eq!(
        stdout(&out),
        "w1 | w1.prod.local prod.local array ran\n",
        "{}",
        stderr(&out)
    );
    // A variable that cannot be rendered but is not read: a warning, as ansible-core fails
    // only where one is read; reading it fails with why.
    out.stderr_has("host w1: a variable cannot be rendered (node_name)");
    std::fs::write(
        d.join("read.rhai"),
        "on(hosts(\"web\"), |h| { print(`name: ${h.vars.node_name}`); sh(`touch ${h.vars.node_name}`); });",
    )
    .unwrap();
    let out = rb()
        .current_dir(d)
        .args(["run", "read.rhai", "-i", "hosts.ini"])
        .output()
        .unwrap();
    out.code(1)
        .stdout_has("w1 | name: [cannot be rendered: ")
        .stderr_has("variable `node_name` cannot be rendered: undefined variable in `{{ ansible_facts.hostname }}`");
    // Nothing was touched: the folder holds what the test wrote.
    let mut files: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["book.rhai", "group_vars", "hosts.ini", "read.rhai"]);
    // -e renders too, and wins.
    let out = rb()
        .current_dir(d)
        .args([
            "run",
            "book.rhai",
            "-i",
            "hosts.ini",
            "-e",
            "cluster_name=stage",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "w1 | w1.stage.local stage.local array ran\n");
    let out = rb()
        .current_dir(d)
        .args(["inventory", "-i", "hosts.ini", "--host", "w1"])
        .output()
        .unwrap();
    let raw: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(raw["dns_domain"], "{{ cluster_name }}.local");
    // A variable that cannot be rendered: named, nothing runs.
    std::fs::write(
        d.join("hosts.ini"),
        "[web]\nw1 ansible_connection=local ansible_user=\"{{ admin_user }}\"\n",
    )
    .unwrap();
    let out = rb()
        .current_dir(d)
        .args(["run", "book.rhai", "-i", "hosts.ini"])
        .output()
        .unwrap();
    out.code(2).stderr_has(
        "hosts.ini:2: host w1: variable `ansible_user` cannot be rendered: undefined variable in `{{ admin_user }}`",
    );
    assert_eq!(stdout(&out), "");
}

/// A host list (`-i 'web1,web2,'`) takes the current folder's group_vars/, as ansible-core's
/// vars plugins do; inside a group_vars folder, a sub-folder with an extension in its name
/// (`conf.d/`), backups (`~`) and unknown extensions are skipped (`_get_dir_vars_files`).
/// The expected values are what ansible-inventory 2.19 printed for the same folder.
#[test]
fn a_host_list_takes_the_current_folders_group_vars_as_ansible_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let all = d.join("group_vars/all");
    std::fs::create_dir_all(all.join("conf.d")).unwrap();
    std::fs::create_dir_all(all.join("sub")).unwrap();
    std::fs::write(all.join("main.yml"), "a: 1\n").unwrap();
    std::fs::write(all.join("conf.d/extra.yml"), "b: 2\n").unwrap();
    std::fs::write(all.join("sub/y.yml"), "y: 5\n").unwrap();
    std::fs::write(all.join("z.yml~"), "z: 6\n").unwrap();
    std::fs::write(all.join("w.txt"), "w: 7\n").unwrap();
    let out = rb()
        .current_dir(d)
        .args(["inventory", "-i", "web1,web2,", "--host", "web1"])
        .output()
        .unwrap();
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        vars,
        serde_json::json!({"a": 1, "y": 5}),
        "{}",
        stderr(&out)
    );
}

/// Ansible Vault: `!vault` values and encrypted group_vars files (written by ansible-vault
/// 2.19, crates/vault/tests/data/) decrypt with --vault-password-file or ansible.cfg's
/// vault_password_file; the values reach commands and files whole but print as `********`;
/// without the password, or with a wrong one, the run stops before anything runs, naming
/// the file; `rb inventory` shows `!vault` values encrypted, as ansible-inventory does.
#[test]
fn vault_values_decrypt_with_the_password_and_stay_secret() {
    let data = root().join("crates/vault/tests/data");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("group_vars")).unwrap();
    std::fs::copy(data.join("whole.yml"), d.join("group_vars/all.yml")).unwrap();
    let string = std::fs::read_to_string(data.join("string.yml")).unwrap();
    let indented: String = string.lines().map(|l| format!("      {l}\n")).collect();
    std::fs::write(
        d.join("hosts.yml"),
        format!("all:\n  hosts:\n    h1:\n      ansible_connection: local\n{indented}"),
    )
    .unwrap();
    std::fs::copy(data.join("password"), d.join("pw")).unwrap();
    std::fs::write(
        d.join("book.rhai"),
        r#"on(hosts("all"), |h| {
    print(h.vars.join_token);
    log(`db ${h.vars.db_pw}`);
    sh(`printf %s ${h.vars.etcd_token} > out.txt`);
});"#,
    )
    .unwrap();
    let run = |extra: &[&str]| {
        rb().current_dir(d)
            .args(["run", "book.rhai", "-i", "hosts.yml"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--vault-password-file", "pw"]);
    out.code(0);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    for secret in ["k8s-join-token-abc", "hunter22", "vault-value-123"] {
        assert!(!all.contains(secret), "{secret} printed:\n{all}");
    }
    assert!(stdout(&out).contains("********"), "{all}");
    assert_eq!(
        std::fs::read_to_string(d.join("out.txt")).unwrap(),
        "vault-value-123"
    );
    std::fs::remove_file(d.join("out.txt")).unwrap();
    // ansible.cfg's vault_password_file, relative to its folder.
    std::fs::write(
        d.join("ansible.cfg"),
        "[defaults]\nvault_password_file = pw\n",
    )
    .unwrap();
    run(&[]).code(0);
    std::fs::remove_file(d.join("ansible.cfg")).unwrap();
    std::fs::remove_file(d.join("out.txt")).unwrap();
    // No password, a wrong one: refused before anything runs, naming the file.
    run(&[]).code(2).stderr_has(
        "hosts.yml:6: an `!vault` value: encrypted with Ansible Vault, and no vault password was given",
    );
    std::fs::rename(d.join("group_vars/all.yml"), d.join("vault.yml")).unwrap();
    rb().current_dir(d)
        .args(["run", "book.rhai", "-i", "h1,", "-e", "@vault.yml"])
        .output()
        .unwrap()
        .code(2)
        .stderr_has("vault.yml: encrypted with Ansible Vault, and no vault password was given");
    std::fs::rename(d.join("vault.yml"), d.join("group_vars/all.yml")).unwrap();
    std::fs::write(d.join("bad"), "wrong\n").unwrap();
    run(&["--vault-password-file", "bad"])
        .code(2)
        .stderr_has("the vault password does not decrypt it");
    assert!(!d.join("out.txt").exists());
    // rb inventory shows !vault values as ansible-inventory does.
    std::fs::remove_file(d.join("group_vars/all.yml")).unwrap();
    let out = rb()
        .current_dir(d)
        .args(["inventory", "-i", "hosts.yml", "--host", "h1"])
        .output()
        .unwrap();
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shown = vars["join_token"]["__ansible_vault"].as_str().unwrap();
    assert!(shown.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"), "{shown}");
}

/// `rb config` shows every setting and where it came from, each taken from the first of:
/// the command line, rb.toml, ansible.cfg; `rb exec` and `rb repl` read the same settings;
/// a host list in rb.toml is no path; RB_CONFIG must name a file.
#[test]
fn rb_config_shows_each_setting_from_the_first_source_that_gives_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("rb.toml"),
        "inventory = \"w1,w2,\"\nforks = 4\nremote_user = \"toml-user\"\nprivate_key_file = \"keys/toml\"\n\
         ssh_common_args = \"-o Toml=1\"\nssh_config = \"toml_ssh\"\nssh_persist = 11\n\
         connect_timeout = 12\nbecome = true\nbecome_user = \"toml-become\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("ansible.cfg"),
        "[defaults]\ninventory = cfg.ini\nforks = 5\nremote_user = cfg-user\nprivate_key_file = keys/cfg\n\
         timeout = 13\nvault_password_file = vault.pw\n[privilege_escalation]\nbecome = False\n\
         become_user = cfg-become\nbecome_ask_pass = True\n[ssh_connection]\nssh_args = -o Args=1\n\
         ssh_common_args = -o Cfg=1\nssh_extra_args = -o Extra=1\n",
    )
    .unwrap();
    std::fs::write(d.join("cfg.ini"), "c1 ansible_connection=local\n").unwrap();
    let config = |args: &[&str]| {
        let out = rb()
            .current_dir(d)
            .arg("config")
            .args(args)
            .env_remove("ANSIBLE_CONFIG")
            .env_remove("RB_SSH_PERSIST")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let cfg = d.join("ansible.cfg").display().to_string();
    let text = config(&[]);
    for line in [
        "rb.toml: rb.toml".to_string(),
        format!("ansible.cfg: {cfg}"),
        "inventory = w1,w2,\t(rb.toml)".into(),
        "forks = 4\t(rb.toml)".into(),
        "remote_user = toml-user\t(rb.toml)".into(),
        "private_key_file = keys/toml\t(rb.toml)".into(),
        "ssh_common_args = -o Toml=1\t(rb.toml)".into(),
        "ssh_config = toml_ssh\t(rb.toml)".into(),
        "ssh_persist = 11\t(rb.toml)".into(),
        "connect_timeout = 12\t(rb.toml)".into(),
        "become = true\t(rb.toml)".into(),
        "become_user = toml-become\t(rb.toml)".into(),
        format!("ssh_args = -o Args=1\t({cfg}:13)"),
        format!("ssh_extra_args = -o Extra=1\t({cfg}:15)"),
        format!("become_ask_pass = true\t({cfg}:11)"),
        format!("vault_password_file = {}/vault.pw\t({cfg}:7)", d.display()),
    ] {
        assert!(text.contains(&line), "wanted {line:?} in:\n{text}");
    }
    // The command line wins over both.
    let text = config(&[
        "-i",
        "x,",
        "-f",
        "9",
        "-u",
        "cli-user",
        "--private-key",
        "k",
        "--ssh-common-args",
        "-o Cli=1",
        "--ssh-config",
        "c",
        "--ssh-persist",
        "5",
        "--connect-timeout",
        "7",
        "--become-user",
        "cu",
        "--become-password-file",
        "bpw",
        "--vault-password-file",
        "v",
    ]);
    let flag = "(command line, RB_* variable or default)";
    for line in [
        format!("inventory = x,\t{flag}"),
        format!("forks = 9\t{flag}"),
        format!("remote_user = cli-user\t{flag}"),
        format!("private_key_file = k\t{flag}"),
        format!("ssh_common_args = -o Cli=1\t{flag}"),
        format!("ssh_config = c\t{flag}"),
        format!("ssh_persist = 5\t{flag}"),
        format!("connect_timeout = 7\t{flag}"),
        format!("become_user = cu\t{flag}"),
        format!("become_ask_pass = false\t{flag}"),
        format!("vault_password_file = v\t{flag}"),
    ] {
        assert!(text.contains(&line), "wanted {line:?} in:\n{text}");
    }
    // Without rb.toml, ansible.cfg's values.
    std::fs::rename(d.join("rb.toml"), d.join("saved.toml")).unwrap();
    let text = config(&[]);
    for line in [
        format!("inventory = {}/cfg.ini\t({cfg}:2)", d.display()),
        format!("forks = 5\t({cfg}:3)"),
        format!("remote_user = cfg-user\t({cfg}:4)"),
        format!("private_key_file = {}/keys/cfg\t({cfg}:5)", d.display()),
        format!("connect_timeout = 13\t({cfg}:6)"),
        format!("become = false\t({cfg}:9)"),
        format!("become_user = cfg-become\t({cfg}:10)"),
        format!("ssh_common_args = -o Cfg=1\t({cfg}:14)"),
    ] {
        assert!(text.contains(&line), "wanted {line:?} in:\n{text}");
    }
    // rb exec and rb repl read the same settings.
    std::fs::remove_file(d.join("ansible.cfg")).unwrap();
    std::fs::write(d.join("rb.toml"), "inventory = \"hosts.ini\"\n").unwrap();
    std::fs::write(d.join("hosts.ini"), "[web]\nw1 ansible_connection=local\n").unwrap();
    let out = rb()
        .current_dir(d)
        .args(["exec", "web", "echo hi"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "w1 | CHANGED | rc=0 >>\nhi\n",
        "{}",
        stderr(&out)
    );
    let out = repl_piped_in(d, &[], ":hosts\n");
    assert!(stdout(&out).contains("w1  127.0.0.1"), "{}", stdout(&out));
    // RB_CONFIG names a file, or it is an error.
    let out = rb()
        .current_dir(d)
        .args(["hosts", "all"])
        .env("RB_CONFIG", d.join("nothing.toml"))
        .output()
        .unwrap();
    out.code(2).stderr_has("RB_CONFIG names");
}

/// Colour as Ansible's (changed yellow, failed red, ok green) on a terminal; none when
/// piped, under NO_COLOR, or with `--color never`; `--color always` forces it. `--log FILE`
/// keeps the JSON events while the terminal shows the human view.
#[test]
fn colour_follows_the_terminal_no_color_and_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("c.rhai");
    std::fs::write(
        &book,
        "sh(\"true\");\nsh(\"true\", #{changed: false});\nsh(\"exit 1\");\n",
    )
    .unwrap();
    let run = |extra: &[&str]| rb().arg("run").arg(&book).args(extra).output().unwrap();
    let piped = run(&[]);
    piped.code(1);
    assert!(!stderr(&piped).contains('\x1b'), "{}", stderr(&piped));
    let forced = run(&["--color", "always"]);
    forced
        .code(1)
        .stderr_has("true: \x1b[33mchanged\x1b[0m")
        .stderr_has("true: \x1b[32mok\x1b[0m")
        .stderr_has("exit 1: \x1b[31mfailed (rc 1)\x1b[0m");
    let out = rb()
        .args(["exec", "localhost", "echo hi", "--color", "always"])
        .output()
        .unwrap();
    out.code(0)
        .stdout_has("\x1b[33mlocalhost | CHANGED | rc=0 >>\x1b[0m\nhi\n")
        .stderr_has("1 host: \x1b[33m1 changed\x1b[0m, 0 failed, 0 unreachable in ");
    let out = rb()
        .args(["exec", "localhost", "echo hi", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "localhost | CHANGED | rc=0 >>\nhi\n");

    // On a terminal: coloured by default, plain under NO_COLOR (and TERM=dumb).
    let exe = env!("CARGO_BIN_EXE_rb");
    for (env, coloured) in [("", true), ("NO_COLOR=1 ", false), ("TERM=dumb ", false)] {
        let cmd = format!(
            "{env}{exe} run {} 2>&1; echo DONE; sleep 30",
            book.display()
        );
        let t = Term::spawn(&format!("rbcolour{}", env.len()), &cmd, (120, 20));
        t.wait_for("DONE", std::time::Duration::from_secs(20));
        let screen = t.screen_with_colors();
        assert_eq!(
            screen.contains("\x1b[33m") && screen.contains("\x1b[31m"),
            coloured,
            "{env}: {screen:?}"
        );
    }
}

/// `--log FILE`: the JSON events (as `--json` prints them) go to FILE while stderr shows
/// the human view; a FILE rb cannot write is refused before anything runs.
#[test]
fn log_writes_the_json_events_beside_the_human_view() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("l.rhai");
    let marker = dir.path().join("ran");
    std::fs::write(&book, format!("sh(\"touch {}\");\n", marker.display())).unwrap();
    let log = dir.path().join("events.jsonl");
    let out = rb()
        .arg("run")
        .arg(&book)
        .arg("--log")
        .arg(&log)
        .output()
        .unwrap();
    out.code(0).stderr_has(": changed (");
    assert_eq!(stdout(&out), "");
    let events = json_events(&std::fs::read_to_string(&log).unwrap());
    let kinds = event_kinds(&events);
    assert_eq!(kinds.first(), Some(&"run_start"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"run_end"), "{kinds:?}");
    assert!(kinds.contains(&"cmd_result"), "{kinds:?}");
    std::fs::remove_file(&marker).unwrap();
    let out = rb()
        .arg("run")
        .arg(&book)
        .args(["--log", "/nonexistent-dir/x.jsonl"])
        .output()
        .unwrap();
    out.code(2)
        .stderr_has("--log /nonexistent-dir/x.jsonl: cannot write there");
    assert!(!marker.exists());
}

/// Waits leave a line (`retry: ok after 3 attempts`), `wait_start`/`wait_end` events, and
/// count in the recap's time; on a terminal the host's spinner shows the attempt. A file
/// write prints one line, not two.
#[test]
fn waits_are_visible_and_a_write_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("w.rhai");
    let file = dir.path().join("out.txt");
    std::fs::write(
        &book,
        format!(
            "let n = 0;\n\
             retry(#{{retries: 3, delay: 0.2}}, || {{ n += 1; if n < 3 {{ throw \"not yet\" }} n }});\n\
             try {{ wait_http(\"http://127.0.0.1:9/\", #{{retries: 1, delay: 0.1}}); }} catch {{}}\n\
             local.put({file:?}, \"x\");\n"
        ),
    )
    .unwrap();
    let out = rb().arg("run").arg(&book).output().unwrap();
    out.code(0)
        .stderr_has("local › retry: ok after 3 attempts (0.")
        .stderr_has("local › wait_http http://127.0.0.1:9/: failed after 2 attempts (");
    let err = stderr(&out);
    let writes: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(&file.display().to_string()))
        .collect();
    assert_eq!(writes.len(), 1, "{err}");
    assert!(writes[0].ends_with(": changed (0.00s)"), "{err}");

    std::fs::remove_file(&file).unwrap();
    let out = rb().arg("run").arg(&book).arg("--json").output().unwrap();
    let events = json_events(&stdout(&out));
    let waits: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "wait_end")
        .map(|e| (e["what"].clone(), e["ok"].clone(), e["attempts"].clone()))
        .collect();
    assert_eq!(
        waits,
        [
            ("retry".into(), true.into(), 3.into()),
            (
                "wait_http http://127.0.0.1:9/".into(),
                false.into(),
                2.into()
            ),
        ]
    );
    let kinds = event_kinds(&events);
    assert_eq!(kinds.iter().filter(|k| **k == "wait_start").count(), 2);
    // The write's result has its start, as every command's.
    let put = format!("put {}", file.display());
    let at = |kind: &str| {
        events
            .iter()
            .position(|e| e["event"] == kind && e["cmd"] == put.as_str())
            .unwrap_or_else(|| panic!("no {kind} for {put}: {kinds:?}"))
    };
    assert!(at("cmd_start") < at("cmd_result"));
    let recap = events.iter().find(|e| e["event"] == "recap").unwrap();
    let time = recap["hosts"][0]["time"].as_f64().unwrap();
    assert!(time >= 0.5, "the waits' 0.5 s count: {recap}");

    // A terminal: the spinner names the wait and its attempt.
    std::fs::write(
        &book,
        "wait_http(\"http://127.0.0.1:9/\", #{retries: 20, delay: 1});\n",
    )
    .unwrap();
    let cmd = format!(
        "{} run {}; sleep 30",
        env!("CARGO_BIN_EXE_rb"),
        book.display()
    );
    let t = Term::spawn("rbwait", &cmd, (120, 20));
    t.wait_for(
        "wait_http http://127.0.0.1:9/ (attempt 3/21)",
        Duration::from_secs(15),
    );
}

/// `rb man` has a page for every subcommand rb(1) names under SEE ALSO, and `--dir` writes
/// them all; an unknown one is refused with the closest name.
#[test]
fn man_pages_exist_for_every_page_rb_1_names() {
    let top = stdout(&rb().arg("man").output().unwrap());
    let named: std::collections::BTreeSet<String> = regex::Regex::new(r"rb\\-([a-z]+)\(1\)")
        .unwrap()
        .captures_iter(&top)
        .map(|c| c[1].to_string())
        .collect();
    assert!(named.contains("run") && named.contains("exec"), "{top}");
    let dir = tempfile::tempdir().unwrap();
    rb().args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap()
        .code(0);
    for n in &named {
        let out = rb().args(["man", n]).output().unwrap();
        out.code(0).stdout_has(&format!(".TH rb-{n} 1"));
        let file = std::fs::read_to_string(dir.path().join(format!("rb-{n}.1"))).unwrap();
        assert_eq!(file, stdout(&out), "rb-{n}.1");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("rb.1")).unwrap(),
        top
    );
    rb().args(["man", "exec"])
        .output()
        .unwrap()
        .stdout_has("\\-\\-timeout");
    rb().args(["man", "rnu"])
        .output()
        .unwrap()
        .code(2)
        .stderr_has("rb has no subcommand `rnu` (did you mean `run`?)");
}

/// `rb doc NAME`: a function's reference with its example, a stdlib module's functions, a
/// stdlib function's — the text the REPL's `:help NAME` prints, from the same table.
#[test]
fn doc_prints_a_function_or_module_reference() {
    let doc = |args: &[&str]| rb().arg("doc").args(args).output().unwrap();
    doc(&["sh"])
        .code(0)
        .stdout_has("sh(cmd) / sh(cmd, opts) -> CmdResult")
        .stdout_has("example:\n  ");
    doc(&["err"])
        .code(0)
        .stdout_has("r.out, r.err -> string (trimmed)")
        .stdout_has("⇒ [hi] [oops\n    ] [oops]");
    doc(&["net"])
        .code(0)
        .stdout_has("module net (stdlib): import \"net\" as net;")
        .stdout_has("  net::version_ge(a, min)\n");
    doc(&["net::version_ge"])
        .code(0)
        .stdout_has("example:\n  net::version_ge(net::kernel_version(h), \"4.9.17\")");
    doc(&[]).code(0).stdout_has("Commands: ").stdout_has(
        "stdlib modules (import \"NAME\" as NAME;): cron, etcd, files, k8s, kmod, net, pkg, sysctl, systemd, users",
    );
    doc(&["shh"])
        .code(2)
        .stderr_has("no help for `shh` (did you mean `sh`?)");
    // The REPL's :help is the same text.
    let out = repl_piped(&[], ":help net::version_ge\n:help shh\n");
    assert!(
        stdout(&out).contains(&stdout(&doc(&["net::version_ge"]))),
        "{}",
        stdout(&out)
    );
}

/// Handlers, as Ansible's: notified from any task, each runs once per host when the host's
/// batch is over, in definition order, only where notified; notified outside `on` they run
/// when the runbook ends; under --check they are reported, not run.
#[test]
fn handlers_run_once_per_notified_host_at_the_end_of_its_batch() {
    let book = r#"handler("restart app", |h| log("restart"));
handler("reload", |h| log("reload"));
handler("batch", |h| log(h.render_template("batch {{ ansible_play_batch | join(',') }}", #{})));
on(hosts("web"), #{serial: 2}, |h| {
    if h.name == "web3" { notify(h, "batch"); }
    task("config", || { notify(h, "reload"); notify(h, "restart app"); notify(h, "reload"); });
    if h.name == "web1" { flush_handlers(); log("flushed"); notify(h, "reload"); }
    log("tasks done");
});
log("between");
notify(local, "reload");
log("end");
"#;
    let run = |extra: &[&str]| run_on_web_hosts(3, book, extra);
    let out = run(&[]);
    out.code(0);
    let text = stdout(&out);
    let of = |host: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(&format!("{host} | ")))
            .map(str::to_string)
            .collect()
    };
    // Definition order (restart before reload), once each, after the host's tasks; a
    // flush runs them at once, and a later notification runs again at the batch's end.
    assert_eq!(
        of("web1"),
        ["restart", "reload", "flushed", "tasks done", "reload"]
    );
    assert_eq!(of("web2"), ["tasks done", "restart", "reload"]);
    // A handler sees the play and batch its host ran in.
    assert_eq!(
        of("web3"),
        ["tasks done", "restart", "reload", "batch web3"]
    );
    // web3 is in the second batch: the first batch's handlers ran before it started.
    let first_batch_done = text.rfind("web2 | reload").unwrap();
    assert!(
        first_batch_done < text.find("web3 | tasks done").unwrap(),
        "{text}"
    );
    // Notified outside on(): at the end of the runbook.
    assert!(text.ends_with("between\nend\nreload\n"), "{text}");

    let out = run(&["--check"]);
    out.code(0)
        .stderr_has("web2 › handler restart app: would run (check mode)")
        .stderr_has("local › handler reload: would run (check mode)");
    assert!(!stdout(&out).contains("restart\n"), "{}", stdout(&out));
}

/// A host that fails runs none of its handlers, and a run stopped by a failure runs none
/// at all — unless --force-handlers, as ansible-playbook. A failing handler fails its host.
#[test]
fn handlers_of_failed_hosts_and_stopped_runs_need_force_handlers() {
    let run = |text: &str, extra: &[&str]| run_on_web_hosts(2, text, extra);
    // web2 fails after its notification: its handler does not run; web1's does.
    let fails = r#"handler("restart", |h| log("restart"));
on(hosts("web"), |h| { notify(h, "restart"); if h.name == "web2" { fail("broken"); } });
"#;
    let out = run(fails, &[]);
    out.code(1);
    assert_eq!(stdout(&out), "web1 | restart\n");
    let out = run(fails, &["--force-handlers"]);
    out.code(1);
    let text = stdout(&out);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(lines, ["web1 | restart", "web2 | restart"]);

    // any_errors_fatal stops the run: nobody's handlers, unless forced.
    let fatal = r#"handler("restart", |h| log("restart"));
on(hosts("web"), #{any_errors_fatal: true, forks: 1}, |h| { notify(h, "restart"); if h.name == "web2" { fail("broken"); } });
"#;
    let out = run(fatal, &[]);
    out.code(1).stderr_has("any_errors_fatal");
    assert_eq!(stdout(&out), "");
    let out = run(fatal, &["--force-handlers"]);
    out.code(1);
    assert!(
        stdout(&out).contains("web1 | restart\n"),
        "{}",
        stdout(&out)
    );

    // A handler that fails fails its host, with the handler named.
    let out = run(
        r#"handler("restart", |h| fail("cannot restart"));
on(hosts("web1"), |h| notify(h, "restart"));
"#,
        &[],
    );
    out.code(1)
        .stderr_has("web1 › FAILED: handler restart: ")
        .stderr_has("cannot restart");
    // Names are checked: an unknown one, and one defined twice.
    let out = run(
        r#"handler("restart app", |h| 1);
notify(local, "restart ap");
"#,
        &[],
    );
    out.code(1).stderr_has(
        "test.rhai:2:1: no handler \"restart ap\" (did you mean `restart app`?); define it first with handler(\"restart ap\", |h| ...) (handlers: restart app)",
    );
    let out = run("handler(\"a\", |h| 1);\nhandler(\"a\", |h| 2);\n", &[]);
    out.code(1)
        .stderr_has("test.rhai:2:1: handler \"a\" is defined twice");
}

/// Handlers run as their `on(...)` does: at most `forks` hosts at once.
#[test]
fn handlers_keep_to_the_forks_of_their_on() {
    let out = run_on_web_hosts(
        3,
        r#"handler("slow", |h| log(h.sh("date +%s%N; sleep 0.3; date +%s%N").out));
on(hosts("web"), #{forks: 1}, |h| notify(h, "slow"));
"#,
        &[],
    );
    out.code(0);
    let text = stdout(&out);
    let mut spans: Vec<(u128, u128)> = Vec::new();
    let mut lines = text.lines();
    while let (Some(a), Some(b)) = (lines.next(), lines.next()) {
        let n = |l: &str| l.rsplit(' ').next().unwrap().parse::<u128>().unwrap();
        spans.push((n(a), n(b)));
    }
    assert_eq!(spans.len(), 3, "{text}");
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "one host at a time: {spans:?}");
    }
}

/// `flush_handlers()` inside `on(...)` runs the current host's handlers only; another
/// host's (here the controller's, notified before) wait for their own flush.
#[test]
fn flush_handlers_inside_on_is_the_current_hosts() {
    let (out, _d) = run_script(
        r#"handler("h", |h| print(`handler on ${h.name}`));
notify(local, "h");
on(hosts("localhost"), |h| { notify(h, "h"); flush_handlers(); print("flushed"); });
print("after on");
"#,
        &[],
    );
    out.code(0);
    assert_eq!(
        stdout(&out),
        "localhost | handler on localhost\nlocalhost | flushed\nafter on\nhandler on local\n"
    );
}
