//! examples/: a newcomer's first three runbooks, written from the docs alone, run on two
//! lab hosts as the docs say to run them.

use crate::common::*;

/// `systemctl show -p ActiveEnterTimestampMonotonic`: changes on every (re)start.
fn started_at(lab: &Lab, host: &str) -> String {
    lab.ssh(
        host,
        "systemctl show -p ActiveEnterTimestampMonotonic --value rb-example",
    )
    .trim()
    .to_string()
}

#[test]
fn the_newcomer_examples_run_first_time() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("app.ini");
    std::fs::write(
        &inv,
        "[app]\nrbh8 ansible_host=10.77.0.18\nrbh9 ansible_host=10.77.0.19\n",
    )
    .unwrap();
    let book = |name: &str| root().join("examples").join(name);
    let run = |name: &str, extra: &[&str]| {
        lab.rb_with(&inv, &["run", book(name).to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap()
    };
    let clean = || {
        for h in ["rbh8", "rbh9"] {
            lab.ssh(
                h,
                "systemctl disable --now rb-example 2>/dev/null; rm -rf /etc/rb-example /etc/systemd/system/rb-example.service; systemctl daemon-reload",
            );
        }
    };
    clean();

    // 1. A disk check with a threshold.
    let out = run("disk_check.rhai", &[]);
    out.code(0);
    let pct: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.split_once(" | / ").expect(l).1.to_string())
        .collect();
    assert_eq!(pct.len(), 2, "{}", stdout(&out));
    let over = run("disk_check.rhai", &["-e", "threshold=1"]);
    over.code(1)
        .stderr_has(&format!("/ on rbh8 is {} full (threshold 1%)", pct[0]));

    // 2. A template with a restart on change.
    run("template_restart.rhai", &[]).code(0);
    let conf = lab.ssh("rbh9", "cat /etc/rb-example/app.conf");
    assert!(
        conf.contains(
            "# rb-example on rbh9\ngreeting = hello\nport = 8080\npeer = rbh8\npeer = rbh9\n"
        ),
        "{conf}"
    );
    assert_eq!(
        lab.ssh("rbh8", "systemctl is-active rb-example").trim(),
        "active"
    );
    let first = (started_at(&lab, "rbh8"), started_at(&lab, "rbh9"));
    let again = run("template_restart.rhai", &["--json"]);
    again.code(0);
    let recap = json_events(&stdout(&again))
        .into_iter()
        .find(|e| e["event"] == "recap")
        .unwrap();
    for row in recap["hosts"].as_array().unwrap() {
        assert_eq!(row["changed"], 0, "a second run changes nothing: {recap}");
    }
    assert_eq!(
        (started_at(&lab, "rbh8"), started_at(&lab, "rbh9")),
        first,
        "nothing changed, nothing restarted"
    );
    run(
        "template_restart.rhai",
        &["-e", "greeting=hi", "--limit", "rbh8"],
    )
    .code(0);
    assert!(lab
        .ssh("rbh8", "cat /etc/rb-example/app.conf")
        .contains("greeting = hi\n"));
    assert_ne!(
        started_at(&lab, "rbh8"),
        first.0,
        "the changed host restarted"
    );
    assert_eq!(started_at(&lab, "rbh9"), first.1, "the other did not");

    // 3. A rolling restart with a health gate: one host at a time, in order.
    let before = (started_at(&lab, "rbh8"), started_at(&lab, "rbh9"));
    let out = run("rolling_restart.rhai", &[]);
    out.code(0);
    assert_eq!(stdout(&out), "rbh8 | healthy\nrbh9 | healthy\n");
    let err = stderr(&out);
    let (b1, b2) = (
        err.find("batch 1/2: rbh8").unwrap(),
        err.find("batch 2/2: rbh9").unwrap(),
    );
    let healthy8 = err.find("rbh8 › health › wait_http").unwrap();
    assert!(
        b1 < healthy8 && healthy8 < b2,
        "rbh8 healthy before rbh9 starts: {err}"
    );
    assert_ne!(started_at(&lab, "rbh8"), before.0);
    assert_ne!(started_at(&lab, "rbh9"), before.1);
    // A host that fails its gate stops the roll: the next host is not touched.
    let before9 = started_at(&lab, "rbh9");
    let out = run(
        "rolling_restart.rhai",
        &["-e", "port=9", "-e", "health_retries=1"],
    );
    out.code(1)
        .stderr_has("http://10.77.0.18:9/app.conf not ready after 2 attempts");
    assert_eq!(started_at(&lab, "rbh9"), before9, "rbh9 was not restarted");
    clean();
}
