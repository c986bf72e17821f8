//! Inventories through the real binary: `rb inventory` and `rb hosts` against the saved
//! ansible-core output, variables reaching runbooks, `-e` forms, and connection variables
//! rb cannot honour refused before anything runs.

use crate::common::*;
use std::path::Path;
use std::process::Output;

/// `rb hosts all -i INV`
fn hosts_all(inv: &Path) -> Output {
    rb().args(["hosts", "all", "-i"]).arg(inv).output().unwrap()
}

/// `rb run BOOK -i INV ARGS...`
fn run_with(book: &Path, inv: &Path, args: &[&str]) -> Output {
    rb().arg("run")
        .arg(book)
        .arg("-i")
        .arg(inv)
        .args(args)
        .output()
        .unwrap()
}

fn corpus(case: &str) -> std::path::PathBuf {
    root().join("tests/inventories").join(case)
}

#[test]
fn rb_inventory_list_prints_what_ansible_inventory_prints() {
    for case in ["docs-ini", "kubespray-folder", "precedence", "typed-values"] {
        let dir = corpus(case);
        let mut cmd = rb();
        cmd.arg("inventory").arg("--list");
        for s in std::fs::read_to_string(dir.join("sources"))
            .unwrap()
            .lines()
        {
            cmd.arg("-i").arg(dir.join(s));
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{case}: {}", stderr(&out));
        let got: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let want: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected/list.json")).unwrap())
                .unwrap();
        assert_eq!(got, want, "{case}");
    }
    let dir = corpus("docs-aliases");
    let out = rb()
        .args(["inventory", "--host", "jumper", "-i"])
        .arg(dir.join("hosts.ini"))
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out).trim(),
        "{\n  \"ansible_host\": \"192.0.2.50\",\n  \"ansible_port\": 5555\n}"
    );
}

#[test]
fn rb_hosts_selects_what_ansible_lists() {
    let dir = corpus("docs-ini");
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected/hosts.json")).unwrap())
            .unwrap();
    for pattern in [
        "webservers:!www0[1-3].example.com",
        "~(web|db)servers",
        "webservers[0:2]",
        "db-?.example.com",
    ] {
        let out = rb()
            .arg("hosts")
            .arg("-i")
            .arg(dir.join("hosts"))
            .arg(pattern)
            .output()
            .unwrap();
        let mut got: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
        got.sort();
        assert_eq!(
            serde_json::json!(got),
            want[pattern],
            "{pattern}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_yaml_inventory_is_read_as_yaml_not_as_fake_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("hosts.yml");
    std::fs::write(
        &inv,
        "all:\n  hosts:\n    one:\n  children:\n    web:\n      hosts:\n        two:\n",
    )
    .unwrap();
    let out = hosts_all(&inv);
    assert_eq!(stdout(&out), "one\ntwo\n", "{}", stderr(&out));
    // A YAML file with a typo is an error with its line, not an empty inventory.
    std::fs::write(&inv, "all:\n  hosts:\n    one:\n   bad: [\n").unwrap();
    let out = hosts_all(&inv);
    out.code(2);
    assert!(stderr(&out).contains("hosts.yml:"), "{}", stderr(&out));
}

/// group_vars/host_vars beside the inventory and beside the runbook reach `h.vars`, with
/// ansible-core's precedence; -e wins over all of them.
#[test]
fn vars_files_beside_inventory_and_runbook_reach_runbooks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("inv/group_vars")).unwrap();
    std::fs::create_dir_all(d.join("book/group_vars")).unwrap();
    std::fs::create_dir_all(d.join("book/host_vars")).unwrap();
    std::fs::write(
        d.join("inv/hosts.ini"),
        "[web]\nlocalhost ansible_connection=local\n[web:vars]\niface=eth0\nport=80\n",
    )
    .unwrap();
    std::fs::write(d.join("inv/group_vars/web.yml"), "iface: wg0\nmode: 0644\n").unwrap();
    std::fs::write(d.join("book/group_vars/all.yml"), "region: eu\n").unwrap();
    std::fs::write(d.join("book/host_vars/localhost.yml"), "port: 8080\n").unwrap();
    let book = d.join("book/show.rhai");
    std::fs::write(
        &book,
        "let h = hosts(\"web\")[0];\nprint(`${h.vars.iface} ${h.vars.port} ${h.vars.mode} ${h.vars.region} ${vars.x}`);\n",
    )
    .unwrap();
    let out = run_with(&book, &d.join("inv/hosts.ini"), &["-e", "x=1 y=\"a b\""]);
    assert_eq!(stdout(&out), "wg0 8080 420 eu 1\n", "{}", stderr(&out));
    // -e wins over every inventory variable, in h.vars too.
    let out = run_with(
        &book,
        &d.join("inv/hosts.ini"),
        &["-e", "x=2 port=9090 iface=lo"],
    );
    assert_eq!(stdout(&out), "lo 9090 420 eu 2\n", "{}", stderr(&out));
}

#[test]
fn extra_vars_in_every_ansible_form() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("v.yml");
    std::fs::write(&f, "from_file: yes\nlist: [1, 2]\n").unwrap();
    let at = format!("@{}", f.display());
    let (out, _d) = run_script(
        "print(vars.a + 1);\nprint(vars.b);\nprint(vars.j[1]);\nprint(vars.from_file);\nprint(vars.list.len());\n",
        &["-e", "a=1 b=\"x y\"", "-e", r#"{"j": [true, "two"]}"#, "-e", &at],
    );
    assert_eq!(stdout(&out), "2\nx y\ntwo\ntrue\n2\n", "{}", stderr(&out));
}

fn refused(inventory: &str) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.ini");
    std::fs::write(&inv, inventory).unwrap();
    let marker = dir.path().join("ran");
    let book = dir.path().join("b.rhai");
    std::fs::write(&book, format!("sh(\"touch {}\");\n", marker.display())).unwrap();
    let out = run_with(&book, &inv, &[]);
    assert!(
        !marker.exists(),
        "nothing may run when the inventory is refused"
    );
    (out, dir)
}

#[test]
fn connection_variables_rb_cannot_honour_are_refused_before_anything_runs() {
    let (out, _d) =
        refused("[web]\nweb1 ansible_host=192.0.2.1\n[web:vars]\nansible_password=hunter2\n");
    out.code(2);
    let err = stderr(&out);
    assert!(
        err.contains("inventory.ini:4: host web1: `ansible_password` sets a login password"),
        "{err}"
    );
    assert!(
        !err.contains("hunter2"),
        "the password itself is never printed: {err}"
    );

    let (out, _d) = refused("web1 ansible_connection=docker\n");
    out.code(2);
    assert!(
        stderr(&out).contains("inventory.ini:1: host web1: `ansible_connection` is `docker`"),
        "{}",
        stderr(&out)
    );

    let (out, _d) = refused("web1 ansible_ssh_common_args='-D 1080'\n");
    out.code(2);
    assert!(
        stderr(&out).contains("`ansible_ssh_common_args` has `-D`"),
        "{}",
        stderr(&out)
    );

    let (out, _d) = refused("web1 ansible_become=true ansible_become_method=doas\n");
    out.code(2);
    assert!(
        stderr(&out).contains("inventory.ini:1: host web1: `ansible_become_method` is `doas`: rb becomes another user through `sudo` only"),
        "{}",
        stderr(&out)
    );
    let (out, _d) = refused("web1 ansible_become=true ansible_become_flags=-H\n");
    out.code(2);
    assert!(
        stderr(&out).contains("`ansible_become_flags` is set: rb runs `sudo -n -u USER --`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_refused_host_outside_limit_does_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.ini");
    std::fs::write(
        &inv,
        "localhost ansible_connection=local\nwin1 ansible_connection=winrm\n",
    )
    .unwrap();
    let book = dir.path().join("b.rhai");
    std::fs::write(&book, "print(hosts(\"all\").names());\n").unwrap();
    let out = run_with(&book, &inv, &["--limit", "localhost"]);
    assert_eq!(stdout(&out), "[\"localhost\"]\n", "{}", stderr(&out));
}

#[test]
fn inventory_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.ini");
    std::fs::write(&inv, "[k8s:children]\nworkers\n").unwrap();
    let out = hosts_all(&inv);
    out.code(2);
    assert!(
        stderr(&out).contains("inventory.ini:2: section [k8s:children] includes group `workers`, which is not defined"),
        "{}",
        stderr(&out)
    );
    std::fs::write(&inv, "h[1:100000][1:100000]\n").unwrap();
    let out = hosts_all(&inv);
    out.code(2);
    assert!(
        stderr(&out).contains(
            "inventory.ini:1: host range `h[1:100000][1:100000]` expands to more than 100000 hosts"
        ),
        "{}",
        stderr(&out)
    );
    let out = rb()
        .args(["hosts", "all", "-i", "nosuchfile"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("nosuchfile: no such file or folder"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn host_lists_and_several_sources_merge() {
    let out = rb()
        .args(["hosts", "all", "-i", "web1,web2:2222,", "-i"])
        .arg(corpus("docs-aliases/hosts.ini"))
        .output()
        .unwrap();
    let text = stdout(&out);
    let names: Vec<&str> = text.lines().collect();
    assert_eq!(names[..2], ["web1", "web2"], "{}", stderr(&out));
    assert!(names.contains(&"jumper"));
}
