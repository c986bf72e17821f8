//! The stdlib's state modules (issue 25): byte-for-byte with ansible-core where Ansible
//! writes the same file (blockinfile, recorded in tests/data/blockinfile), and on a bare
//! lab host: a first run changes, a second changes nothing, --check changes nothing and
//! says what would.

use crate::common::*;

/// files::block writes what ansible-core's blockinfile writes, case by case, and a second
/// run changes nothing.
#[test]
fn block_writes_what_ansible_blockinfile_writes() {
    let data = root().join("tests/data/blockinfile");
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("cases.json")).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for c in cases.as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, c["before"].as_str().unwrap()).unwrap();
        let script = format!(
            "import \"files\" as files;\nlet opts = parse_json({opts:?});\nprint([files::block(local, {path:?}, {block:?}, opts), files::block(local, {path:?}, {block:?}, opts)]);\n",
            opts = c["opts"].to_string(),
            path = path.display().to_string(),
            block = c["block"].as_str().unwrap(),
        );
        let (out, _d) = run_script(&script, &[]);
        out.code(0);
        let want = std::fs::read_to_string(data.join("expected").join(name)).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), want, "case {name}");
        let changed = want != c["before"].as_str().unwrap();
        assert_eq!(
            stdout(&out),
            format!("[{changed}, false]\n"),
            "case {name}: changed once, then not"
        );
    }
}

/// Every state module on a bare lab host: the first run changes, the second changes
/// nothing, and --check from the start changes nothing on the host while saying what it
/// would do.
#[test]
fn state_modules_change_once_and_check_mode_only_reports() {
    let (lab, _g) = lab!();
    let reset = "systemctl unmask rbmod 2>/dev/null; userdel -r rbmodu 2>/dev/null; groupdel rbmodg 2>/dev/null; \
                 rm -rf /srv/rbmod /etc/cron.d/rbmod /etc/sysctl.d/99-rb.conf /etc/modules-load.d/overlay.conf /etc/systemd/system/rbmod.service; \
                 systemctl daemon-reload; sysctl -q -w net.ipv4.ip_forward=0; printf 'a\\n' > /etc/rbmod.conf; \
                 mkdir -p /srv/rbmod-gone/x";
    lab.ssh("rbh6", reset);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tree/bin")).unwrap();
    std::fs::write(dir.path().join("tree/bin/run"), "1\n").unwrap();
    let archive = dir.path().join("tree.tgz");
    let tar = std::process::Command::new("tar")
        .arg("-C")
        .arg(dir.path())
        .arg("-czf")
        .arg(&archive)
        .arg("tree")
        .status()
        .unwrap();
    assert!(tar.success());
    let book = r#"import "files" as files;
import "cron" as cron;
import "sysctl" as sysctl;
import "kmod" as kmod;
import "users" as users;
import "systemd" as systemd;
on(hosts("rbh6"), |h| {
    let c = #{};
    c.directory = files::directory(h, "/srv/rbmod/a/b", #{mode: "0750"});
    c.touch = files::touch(h, "/srv/rbmod/a/b/f", #{mode: "0600"});
    c.symlink = files::symlink(h, "/srv/rbmod/a/b/f", "/srv/rbmod/link");
    c.hardlink = files::hardlink(h, "/srv/rbmod/a/b/f", "/srv/rbmod/hard");
    c.block = files::block(h, "/etc/rbmod.conf", "x=1", #{});
    c.sysctl = sysctl::set(h, "net.ipv4.ip_forward", 1, #{});
    c.kmod = kmod::load(h, "overlay");
    c.group = users::group(h, "rbmodg", #{gid: 4300});
    c.user = users::user(h, "rbmodu", #{groups: ["rbmodg"], shell: "/bin/sh"});
    c.mask = systemd::mask(h, "rbmod");
    c.absent = files::absent(h, "/srv/rbmod-gone");
    c.get_url = files::get_url(h, "file:///etc/hostname", "/srv/rbmod/hostname", #{mode: "0600"});
    c.unarchive = files::unarchive(h, "ARCHIVE", "/srv/rbmod/a", #{});
    c.cron = cron::entry(h, "rbmod", "/bin/true", #{file: "/etc/cron.d/rbmod", minute: "5"});
    log(to_json(c));
});
"#
    .replace("ARCHIVE", archive.to_str().unwrap());
    let book = book.as_str();
    let changes = |out: &std::process::Output| -> serde_json::Value {
        let line = stdout(out);
        serde_json::from_str(line.trim().strip_prefix("rbh6 | ").unwrap()).unwrap()
    };
    let all = |v: &serde_json::Value, want: bool| {
        for (k, x) in v.as_object().unwrap() {
            assert_eq!(x, &serde_json::Value::Bool(want), "{k}: {v}");
        }
    };
    // --check first: every module says it would change, the host is left as it was.
    let check = lab.run(book, &["--check"]);
    check.code(0);
    all(&changes(&check), true);
    check
        .stderr_has("rbh6 › mkdir -p /srv/rbmod/a/b: would run (check mode)")
        .stderr_has("rbh6 › sysctl -q -w net.ipv4.ip_forward=1: would run (check mode)")
        .stderr_has("rbh6 › useradd");
    assert_eq!(
        lab.ssh(
            "rbh6",
            "ls /srv/rbmod 2>&1 | head -1; sysctl -n net.ipv4.ip_forward; getent passwd rbmodu || echo no user; cat /etc/rbmod.conf"
        ),
        "ls: cannot access '/srv/rbmod': No such file or directory\n0\nno user\na\n"
    );
    // The first run changes everything; the second nothing.
    let first = lab.run(book, &[]);
    first.code(0);
    all(&changes(&first), true);
    let second = lab.run(book, &["--diff"]);
    second.code(0);
    all(&changes(&second), false);
    // What the host now says of itself.
    assert_eq!(
        lab.ssh(
            "rbh6",
            "stat -c '%a %F' /srv/rbmod/a/b /srv/rbmod/a/b/f; readlink /srv/rbmod/link; test /srv/rbmod/hard -ef /srv/rbmod/a/b/f && echo hard link; test -e /srv/rbmod-gone || echo gone; \
             sysctl -n net.ipv4.ip_forward; cat /etc/sysctl.d/99-rb.conf /etc/modules-load.d/overlay.conf /etc/rbmod.conf; \
             id -Gn rbmodu; getent group rbmodg | cut -d: -f3; systemctl is-enabled rbmod; \
             stat -c %a /srv/rbmod/hostname; cat /srv/rbmod/a/tree/bin/run /etc/cron.d/rbmod"
        ),
        "750 directory\n600 regular empty file\n/srv/rbmod/a/b/f\nhard link\ngone\n1\nnet.ipv4.ip_forward=1\noverlay\na\n# BEGIN ANSIBLE MANAGED BLOCK\nx=1\n# END ANSIBLE MANAGED BLOCK\nrbmodu rbmodg\n4300\nmasked\n600\n1\n#Ansible: rbmod\n5 * * * * root /bin/true\n"
    );
    // A file of the archive changed on the host is put back, and only then is it a change.
    lab.ssh("rbh6", "echo 2 > /srv/rbmod/a/tree/bin/run");
    let again = lab.run(book, &[]);
    again.code(0);
    let c = changes(&again);
    assert_eq!(c["unarchive"], true, "{c}");
    assert_eq!(c["directory"], false, "{c}");
    assert_eq!(lab.ssh("rbh6", "cat /srv/rbmod/a/tree/bin/run"), "1\n");
    // Bad input is refused with what to do, before anything is written.
    let bad = lab.run(
        r#"import "files" as files;
import "users" as users;
on(hosts("rbh6"), |h| {
    let errors = [];
    for f in [|| files::unarchive(h, "/tmp/x.tar.xz", "/srv/rbmod", #{}),
              || files::unarchive(h, "/tmp/x.rar", "/srv/rbmod", #{}),
              || files::directory(h, "/etc/hostname", #{}),
              || users::user(h, "-rf", #{}),
              || files::absent(h, "/")] {
        try { f.call(); errors.push("no error"); } catch (e) { errors.push(`${e}`); }
    }
    for e in errors { log(e); }
});
"#,
        &[],
    );
    bad.code(0)
        .stdout_has("rbh6 has no xz to unpack /tmp/x.tar.xz: install it first (the package xz-utils)")
        .stdout_has("cannot tell the kind of archive /tmp/x.rar: name it .tar.gz, .tgz, .tar.xz, .tar or .zip")
        .stdout_has("/etc/hostname on rbh6 exists and is not a directory (or is a symlink): remove it first")
        .stdout_has("not a valid user or group name: -rf")
        .stdout_has("files::absent refuses to remove /");
    // A changed block shows its diff under --diff.
    let diff = lab.run(&book.replace("\"x=1\"", "\"x=2\""), &["--check", "--diff"]);
    diff.code(0).stderr_has("-x=1\n+x=2");
    lab.ssh("rbh6", reset);
}

/// cron::entry leaves what ansible-core's cron module (with cron_file) leaves after the
/// same tasks, and reports a change where it did (tests/data/cron).
#[test]
fn cron_entries_are_written_as_ansibles_cron_file() {
    let data = root().join("tests/data/cron");
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("cases.json")).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut script = String::from("import \"cron\" as cron;\nlet changed = [];\n");
    for c in cases.as_array().unwrap() {
        let mut opts = c["opts"].clone();
        opts["file"] = dir
            .path()
            .join(c["file"].as_str().unwrap())
            .display()
            .to_string()
            .into();
        script.push_str(&format!(
            "changed.push(cron::entry(local, {:?}, {:?}, parse_json({:?})));\n",
            c["name"].as_str().unwrap(),
            c["job"].as_str().unwrap(),
            opts.to_string()
        ));
    }
    script.push_str("for c in changed { print(c); }\n");
    let (out, _d) = run_script(&script, &[]);
    out.code(0);
    assert_eq!(
        stdout(&out),
        std::fs::read_to_string(data.join("expected/changed")).unwrap()
    );
    for f in ["a", "b", "c", "d"] {
        let want = std::fs::read_to_string(data.join("expected").join(f)).ok();
        let have = std::fs::read_to_string(dir.path().join(f)).ok();
        assert_eq!(have, want, "file {f}");
    }
}

/// pkg::apt_repository on a bare host: a flat repository signed by a throwaway key (made
/// here with gpg, served from the lab's package folder) is added with its key and read by
/// apt-get update; a second run changes nothing; the same repository with another key is
/// refused by apt, and the run fails with apt's words.
#[test]
fn apt_repositories_are_added_with_their_own_key_and_verified() {
    let (lab, _g) = lab!();
    let repo = lab.dir.join("debs/rb-signed-test");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    let gnupg = tempfile::tempdir().unwrap();
    let gpg = |args: &[&str]| {
        let out = std::process::Command::new("gpg")
            .env("GNUPGHOME", gnupg.path())
            .args([
                "--batch",
                "--quiet",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "gpg {args:?}: {}", stderr(&out));
        stdout(&out)
    };
    for uid in ["rb signed test", "rb other key"] {
        gpg(&["--quick-generate-key", uid, "ed25519", "sign", "never"]);
    }
    // A flat repository: an empty package index, a Release naming its hash, signed inline.
    std::fs::write(repo.join("Packages"), "").unwrap();
    let sha = stdout(
        &std::process::Command::new("sha256sum")
            .arg(repo.join("Packages"))
            .output()
            .unwrap(),
    );
    std::fs::write(
        repo.join("Release"),
        format!(
            "Origin: rb\nLabel: rb\nDate: Mon, 07 Dec 2026 00:00:00 UTC\nSHA256:\n {} 0 Packages\n",
            sha.split_whitespace().next().unwrap()
        ),
    )
    .unwrap();
    gpg(&[
        "--local-user",
        "rb signed test",
        "--clearsign",
        "--output",
        repo.join("InRelease").to_str().unwrap(),
        repo.join("Release").to_str().unwrap(),
    ]);
    let key = gpg(&["--armor", "--export", "rb signed test"]);
    let other = gpg(&["--armor", "--export", "rb other key"]);
    let book = |key: &str| {
        format!(
            "import \"pkg\" as pkg;\non(hosts(\"rbh5\"), |h| log(pkg::apt_repository(h, \"rbtest\", #{{uri: \"file:/srv/rb-lab-debs/rb-signed-test\", key: {key:?}}})));\n"
        )
    };
    lab.ssh(
        "rbh5",
        "rm -f /etc/apt/keyrings/rbtest.asc /etc/apt/sources.list.d/rbtest.list",
    );
    let first = lab.run(&book(&key), &[]);
    first
        .code(0)
        .stdout_has("rbh5 | true\n")
        .stderr_has("apt-get update -q: ok");
    assert_eq!(
        lab.ssh("rbh5", "cat /etc/apt/sources.list.d/rbtest.list"),
        "deb [signed-by=/etc/apt/keyrings/rbtest.asc] file:/srv/rb-lab-debs/rb-signed-test ./\n"
    );
    lab.run(&book(&key), &[])
        .code(0)
        .stdout_has("rbh5 | false\n");
    // The wrong key (on a host that never read the repository: apt checks a signature
    // when it fetches an index, not again for one it already holds): apt refuses the
    // repository, and so does the run.
    lab.ssh("rbh5", "rm -f /var/lib/apt/lists/*rb-signed-test*");
    let wrong = lab.run(&book(&other), &[]);
    wrong
        .code(1)
        .stderr_has("apt-get update -q")
        .stderr_has("NO_PUBKEY");
    lab.ssh(
        "rbh5",
        "rm -f /etc/apt/keyrings/rbtest.asc /etc/apt/sources.list.d/rbtest.list",
    );
    let _ = std::fs::remove_dir_all(&repo);
}

/// A module's write killed with SIGKILL at any moment leaves the file as it was or as it
/// would be, never half written: the modules write through `put` (a temp file beside the
/// target, renamed over it).
#[test]
fn a_module_killed_mid_write_leaves_the_old_or_the_new_file() {
    let (lab, _g) = lab!();
    let old = "old line\n".repeat(200_000);
    let dir = tempfile::tempdir().unwrap();
    let block = dir.path().join("block.txt");
    std::fs::write(&block, "new line\n".repeat(2_000_000)).unwrap();
    let new = format!(
        "{old}# BEGIN ANSIBLE MANAGED BLOCK\n{}# END ANSIBLE MANAGED BLOCK\n",
        "new line\n".repeat(2_000_000)
    );
    let book = dir.path().join("kill.rhai");
    std::fs::write(
        &book,
        format!(
            "import \"files\" as files;\nlet text = sh([\"cat\", {:?}], #{{check_mode: true}}).out;\non(hosts(\"rbh6\"), |h| files::block(h, \"/srv/rbkill.conf\", text, #{{}}));\n",
            block.display()
        ),
    )
    .unwrap();
    let mut seen_old = false;
    for delay_ms in [150u64, 300, 450, 600, 900] {
        // Written over plain ssh: the old content, exactly.
        lab.ssh("rbh6", "rm -f /srv/rbkill.conf /srv/.rb-put.*; yes 'old line' | head -n 200000 > /srv/rbkill.conf");
        let mut child = lab
            .rb(&["run", book.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Give a write that outlived rb (its remote half) time to finish or die.
        std::thread::sleep(std::time::Duration::from_millis(500));
        let sum = lab.ssh("rbh6", "sha256sum < /srv/rbkill.conf | cut -d' ' -f1");
        let digest = |s: &str| {
            let out = std::process::Command::new("sh")
                .args(["-c", "sha256sum | cut -d' ' -f1"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut c| {
                    use std::io::Write;
                    c.stdin.take().unwrap().write_all(s.as_bytes())?;
                    c.wait_with_output()
                })
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let (o, n) = (digest(&old), digest(&new));
        assert!(
            sum == o || sum == n,
            "killed after {delay_ms} ms: neither old nor new"
        );
        seen_old |= sum == o;
    }
    assert!(
        seen_old,
        "no kill landed before the write ended: the test proves nothing"
    );
    lab.ssh("rbh6", "rm -f /srv/rbkill.conf /srv/.rb-put.*");
}

/// The modules follow the host's become settings, as an Ansible task inherits its play's
/// `become`: reached as `rbop` (sudo with a password), they change root's files only with
/// become, and fail without it, with sudo's refusal or the permission error.
#[test]
fn modules_follow_the_hosts_become_settings() {
    let (lab, _g) = lab!();
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("ops.ini");
    std::fs::write(
        &inv,
        "[ops]\nrbh9 ansible_host=10.77.0.19 ansible_become_password=rbop-lab-sudo\n\n[ops:vars]\nansible_user=rbop\n",
    )
    .unwrap();
    lab.ssh(
        "rbh9",
        "rm -rf /srv/rbbecome; groupdel rbbecomeg 2>/dev/null; true",
    );
    let book = dir.path().join("b.rhai");
    std::fs::write(
        &book,
        r#"import "files" as files;
import "users" as users;
on(hosts("rbh9"), |h| log(`${files::directory(h, "/srv/rbbecome/x", #{mode: "0700"})} ${users::group(h, "rbbecomeg", #{})} ${h.sh("id -un").out}`));
"#,
    )
    .unwrap();
    let run = |extra: &[&str]| {
        lab.rb_with(&inv, &["run", book.to_str().unwrap()])
            .args(extra)
            .output()
            .unwrap()
    };
    let without = run(&[]);
    without.code(1).stderr_has("Permission denied");
    assert_eq!(
        lab.ssh("rbh9", "test -e /srv/rbbecome || echo none"),
        "none\n"
    );
    let with = run(&["-b"]);
    with.code(0);
    assert_eq!(stdout(&with), "rbh9 | true true root\n");
    assert_eq!(
        lab.ssh(
            "rbh9",
            "stat -c '%a %U' /srv/rbbecome/x; getent group rbbecomeg | cut -d: -f1"
        ),
        "700 root\nrbbecomeg\n"
    );
    run(&["-b"]).code(0).stdout_has("rbh9 | false false root\n");
    lab.ssh("rbh9", "rm -rf /srv/rbbecome; groupdel rbbecomeg");
}
