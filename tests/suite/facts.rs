//! `h.facts` against what each host says of itself: on two lab hosts (through plain ssh)
//! and on the controller (`local.facts`, no lab needed).

use crate::common::*;
use serde_json::Value;

/// What the host itself answers, as the fact of the same name should read.
fn own_answers(run: &dyn Fn(&str) -> String) -> Vec<(&'static str, Value)> {
    let text = |cmd: &str| Value::from(run(cmd).trim().to_string());
    let int = |cmd: &str| Value::from(run(cmd).trim().parse::<i64>().unwrap());
    vec![
        ("hostname", text("uname -n")),
        ("fqdn", text("hostname -f 2>/dev/null || uname -n")),
        ("kernel", text("uname -r")),
        ("architecture", text("uname -m")),
        ("cpus", int("nproc")),
        (
            "memtotal_mb",
            int("awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo"),
        ),
        (
            "swaptotal_mb",
            int("awk '/^SwapTotal:/ {print int($2 / 1024)}' /proc/meminfo"),
        ),
        (
            "distribution_version",
            text(". /etc/os-release; echo $VERSION_ID"),
        ),
        (
            "distribution_release",
            text(". /etc/os-release; echo $VERSION_CODENAME"),
        ),
        ("service_mgr", text("cat /proc/1/comm")),
        ("virtualization_type", text("systemd-detect-virt || true")),
    ]
}

/// The facts rb gathered for `host`, as JSON, and how many times it gathered them.
fn facts_of(out: &std::process::Output, host: &str) -> (Value, usize) {
    let events = json_events(&stdout(out));
    let facts = events
        .iter()
        .find(|e| e["event"] == "log" && e["host"] == host)
        .map(|e| serde_json::from_str(e["msg"].as_str().unwrap()).unwrap())
        .unwrap_or_else(|| panic!("no facts logged for {host}: {}", stdout(out)));
    let gathered = events
        .iter()
        .filter(|e| e["event"] == "cmd_result" && e["host"] == host && e["cmd"] == "gather facts")
        .count();
    (facts, gathered)
}

fn compare(facts: &Value, own: &[(&str, Value)], host: &str) {
    for (name, want) in own {
        let want = match (*name, want) {
            // `systemd-detect-virt` prints "none" on bare metal, nothing where it is missing.
            ("virtualization_type", Value::String(s)) if s.is_empty() => Value::from("none"),
            _ => want.clone(),
        };
        assert_eq!(&facts[*name], &want, "{host}: fact `{name}`");
    }
}

#[test]
fn facts_match_what_each_lab_host_says_of_itself() {
    let (lab, _g) = lab!();
    // Read twice, under --check: gathered once per host, and a read-only command runs.
    let out = lab.run(
        r#"on(hosts("rbh3:rbh4"), |h| { let f = h.facts; log(to_json(f)); h.facts.hostname });"#,
        &["--json", "--check"],
    );
    out.code(0);
    for host in ["rbh3", "rbh4"] {
        let (facts, gathered) = facts_of(&out, host);
        assert_eq!(gathered, 1, "{host}: gathered once");
        compare(&facts, &own_answers(&|cmd| lab.ssh(host, cmd)), host);
        assert_eq!(facts["distribution"], "Debian");
        assert_eq!(facts["os_family"], "Debian");
        assert_eq!(facts["pkg_mgr"], "apt");
        // The interfaces and their addresses as `ip` lists them.
        let addr = lab.ssh(host, "ip -o -4 addr show dev eth0 | awk '{print $4}'");
        let (a, prefix) = addr.trim().split_once('/').unwrap();
        let eth0 = &facts["interfaces"]["eth0"];
        assert_eq!(eth0["ipv4"][0]["address"], a, "{host}: {eth0}");
        assert_eq!(eth0["ipv4"][0]["prefix"], prefix.parse::<i64>().unwrap());
        let mac = lab.ssh(
            host,
            "ip -o link show dev eth0 | grep -o 'link/ether [^ ]*'",
        );
        assert_eq!(
            eth0["macaddress"],
            mac.trim().trim_start_matches("link/ether ")
        );
        // The lab has no route out: no default route, no default address.
        assert_eq!(lab.ssh(host, "ip route show default").trim(), "");
        assert!(
            facts["default_ipv4"].is_null(),
            "{host}: {}",
            facts["default_ipv4"]
        );
        // The root file system's size as df gives it.
        let df = lab.ssh(host, "df -P -k / | awk 'NR == 2 {print $2}'");
        let root = facts["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mount"] == "/")
            .unwrap();
        assert_eq!(root["size_total"], df.trim().parse::<i64>().unwrap() * 1024);
    }
}

/// The controller's facts, without the lab.
#[test]
fn local_facts_match_what_the_controller_says_of_itself() {
    let (out, _d) = run_script("log(to_json(local.facts));\n", &["--json"]);
    out.code(0);
    let (facts, gathered) = facts_of(&out, "local");
    assert_eq!(gathered, 1);
    let run = |cmd: &str| {
        let o = std::process::Command::new("sh")
            .args(["-c", cmd])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    compare(&facts, &own_answers(&run), "local");
    assert!(facts["interfaces"]["lo"]["ipv4"][0]["address"] == "127.0.0.1");
}

/// The controller's facts read inside an `on(...)` closure are reported on that closure's
/// host, as any `local` command there is (its line and events carry the host it ran for).
#[test]
fn local_facts_inside_on_are_reported_on_the_hosts_line() {
    let out = run_on_web_hosts(
        1,
        "on(hosts(\"web\"), |h| local.facts.hostname);\n",
        &["--json"],
    );
    out.code(0);
    let events = json_events(&stdout(&out));
    let hosts: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "cmd_result" && e["cmd"] == "gather facts")
        .map(|e| e["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["web1"]);
}
