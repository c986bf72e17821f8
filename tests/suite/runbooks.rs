//! The bundled runbooks on the lab: a real etcd cluster, real kernel routes, the real kubectl.

use crate::common::*;
use serde_json::Value;
use std::process::Output;

const ETCD: [(&str, &str); 3] = [
    ("rbh1", "10.77.0.11"),
    ("rbh2", "10.77.0.12"),
    ("rbh3", "10.77.0.13"),
];

fn run_book(
    lab: &Lab,
    inv: &std::path::Path,
    book: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let path = root().join("runbooks").join(book);
    lab.rb_with(inv, &["run", path.to_str().unwrap()])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Total `changed` over the recap of a `--json` run.
/// The changed column of the human recap (stderr), summed: what a first run reported.
fn changed_in_human_recap(out: &Output) -> u64 {
    let err = stderr(out);
    let mut rows = err.lines().skip_while(|l| !l.starts_with("RECAP")).skip(2);
    let mut sum = 0;
    while let Some(cols) = rows
        .next()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|c| c.len() >= 7)
    {
        sum += cols[2].parse::<u64>().unwrap_or(0);
    }
    sum
}

fn changed_in_recap(out: &Output) -> u64 {
    let recap: Value = stdout(out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["event"] == "recap")
        .expect("a recap event");
    recap["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["changed"].as_u64().unwrap())
        .sum()
}

/// Run `book` again (with `--json`): it succeeds and its recap counts no change.
fn rerun_changes_nothing(
    lab: &Lab,
    inv: &std::path::Path,
    book: &str,
    args: &[&str],
    env: &[(&str, &str)],
) {
    let mut args = args.to_vec();
    args.push("--json");
    let again = run_book(lab, inv, book, &args, env);
    again.code(0);
    assert_eq!(changed_in_recap(&again), 0, "{}", stdout(&again));
}

#[test]
fn etcd_runbook_builds_a_healthy_three_member_cluster_and_rerun_changes_nothing() {
    let (lab, _g) = lab!();
    let reset4 = "systemctl stop etcd; rm -rf /var/lib/etcd/default; rm -f /etc/default/etcd /etc/systemd/system/etcd.service /usr/local/bin/etcd /usr/local/bin/etcdctl; systemctl daemon-reload";
    lab.ssh("rbh4", reset4);
    // Bare members: not even the package (the lab's hosts start without it; purged again
    // here, so the test installs it every time). Debian's purge keeps the etcd user, and a
    // reinstall that finds it leaves /var/lib/etcd root's: the runbook gives it back to etcd
    // (on a second run of this test that path is taken).
    for (h, _) in ETCD {
        lab.ssh(
            h,
            "systemctl stop etcd; DEBIAN_FRONTEND=noninteractive dpkg --purge etcd-server etcd-client >/dev/null 2>&1; rm -rf /var/lib/etcd /etc/default/etcd; \
             rm -rf /var/lib/apt/lists/*",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.inventory_with("", "[etcd]\nrbh[1:3]\n", dir.path());

    // --check on fresh hosts: says what it would do, changes nothing.
    let out = run_book(&lab, &inv, "etcd.rhai", &["--check"], &[]);
    out.code(0);
    assert!(
        stderr(&out).contains("rbh2 › enable and start etcd › systemctl start etcd: would run"),
        "{}",
        stderr(&out)
    );
    for (h, _) in ETCD {
        assert_eq!(
            lab.ssh(
                h,
                "ls /etc/default/etcd 2>/dev/null; systemctl is-active etcd"
            )
            .trim(),
            "inactive"
        );
    }

    let out = run_book(&lab, &inv, "etcd.rhai", &["-e", "health_delay=1"], &[]);
    out.code(0);
    assert!(
        changed_in_human_recap(&out) > 0,
        "the first etcd run reports its changes: {}",
        stderr(&out)
    );
    // The package was really installed by the runbook, on each member.
    for (h, _) in ETCD {
        // A host whose apt has never read its sources (as a fresh cloud image; the reset
        // above removed its lists) gets them read first.
        assert!(
            stderr(&out).contains(&format!("{h} › install etcd › apt-get update -q: ok")),
            "{h}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(&format!(
                "{h} › install etcd › apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold etcd-server etcd-client: changed"
            )),
            "{h}: {}",
            stderr(&out)
        );
        assert_eq!(
            lab.ssh(h, "dpkg-query -W -f='${Status}' etcd-server"),
            "install ok installed"
        );
    }
    for (h, addr) in ETCD {
        let health = lab.ssh(
            h,
            &format!("ETCDCTL_API=3 etcdctl --endpoints=http://{addr}:2379 endpoint health 2>&1"),
        );
        assert!(
            health.contains(&format!("http://{addr}:2379 is healthy")),
            "{h}: {health}"
        );
        let members = lab.ssh(
            h,
            &format!("ETCDCTL_API=3 etcdctl --endpoints=http://{addr}:2379 member list"),
        );
        assert_eq!(members.lines().count(), 3, "{h}: {members}");
        let conf = lab.ssh(h, "cat /etc/default/etcd");
        assert!(conf.contains(&format!("ETCD_NAME=\"{h}\"")), "{conf}");
        assert!(
            conf.contains(&format!(
                "ETCD_ADVERTISE_CLIENT_URLS=\"http://{addr}:2379\""
            )),
            "{conf}"
        );
        assert!(conf.contains("ETCD_INITIAL_CLUSTER=\"rbh1=http://10.77.0.11:2380,rbh2=http://10.77.0.12:2380,rbh3=http://10.77.0.13:2380\""), "{conf}");
    }
    // A key written through one member reads back through another: one cluster.
    lab.ssh(
        "rbh1",
        "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.11:2379 put /rb/test cluster-ok",
    );
    assert_eq!(lab.ssh("rbh3", "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.13:2379 get --print-value-only /rb/test").trim(), "cluster-ok");

    rerun_changes_nothing(&lab, &inv, "etcd.rhai", &["-e", "health_delay=1"], &[]);
    // With --tags naming no task the facts tasks still run (tagged `always`) and nothing
    // else does: no error from a value a skipped task did not produce.
    let tagged = run_book(&lab, &inv, "etcd.rhai", &["--tags", "no-such-tag"], &[]);
    tagged.code(0);
    assert!(
        stderr(&tagged).contains("rbh1 › find the running cluster › etcdctl"),
        "{}",
        stderr(&tagged)
    );
    assert!(
        !stderr(&tagged).contains("configure etcd"),
        "{}",
        stderr(&tagged)
    );

    // A fourth member joins the running cluster: added from a member, started with state
    // `existing`; the members keep the initial settings etcd first read. rbh4 installs etcd
    // from the release tarball (a mirror laid out like etcd's GitHub releases, with this
    // machine's real etcd), checked against the release's SHA256SUMS, with its own unit.
    lab.ssh("rbh4", reset4);
    let (mut mirror, port) = serve_mirror(&dir.path().join("etcd-mirror"));
    let version = String::from_utf8(
        std::process::Command::new("etcd")
            .arg("--version")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .lines()
    .next()
    .unwrap()
    .trim_start_matches("etcd Version: ")
    .to_string();
    let inv4 = lab.inventory_with(
        "",
        &format!("[etcd]\nrbh[1:3]\nrbh4 etcd_install=release etcd_download_url=http://10.77.0.1:{port}/etcd-io/etcd/releases/download/v{version}/etcd-v{version}-linux-amd64.tar.gz etcd_version=v{version}\n"),
        dir.path(),
    );
    let out = run_book(&lab, &inv4, "etcd.rhai", &["-e", "health_delay=1"], &[]);
    out.code(0);
    let ctl = "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.14:2379";
    let names: Value =
        serde_json::from_str(&lab.ssh("rbh4", &format!("{ctl} member list -w json"))).unwrap();
    let mut names: Vec<&str> = names["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["rbh1", "rbh2", "rbh3", "rbh4"]);
    assert_eq!(
        lab.ssh("rbh4", &format!("{ctl} get --print-value-only /rb/test"))
            .trim(),
        "cluster-ok"
    );
    let conf4 = lab.ssh("rbh4", "cat /etc/default/etcd");
    assert!(
        conf4.contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\""),
        "{conf4}"
    );
    assert!(conf4.contains("ETCD_INITIAL_CLUSTER=\"rbh1=http://10.77.0.11:2380,rbh2=http://10.77.0.12:2380,rbh3=http://10.77.0.13:2380,rbh4=http://10.77.0.14:2380\""), "{conf4}");
    assert_eq!(
        lab.ssh(
            "rbh4",
            "tr '\\0' ' ' < /proc/$(systemctl show -p MainPID --value etcd)/cmdline"
        )
        .trim(),
        "/usr/local/bin/etcd",
        "rbh4 runs the release's etcd"
    );
    let conf1 = lab.ssh("rbh1", "cat /etc/default/etcd");
    assert!(
        conf1.contains("ETCD_INITIAL_CLUSTER_STATE=\"new\""),
        "{conf1}"
    );
    rerun_changes_nothing(&lab, &inv4, "etcd.rhai", &["-e", "health_delay=1"], &[]);

    // A host with data of another cluster is refused before anything is written to it.
    lab.ssh(
        "rbh5",
        "systemctl stop etcd; rm -f /etc/default/etcd; mkdir -p /var/lib/etcd/default/member",
    );
    let inv5 = lab.inventory_with("", "[etcd]\nrbh[1:5]\n", dir.path());
    let out = run_book(&lab, &inv5, "etcd.rhai", &["-e", "health_delay=1"], &[]);
    out.code(1);
    assert!(
        stderr(&out).contains("rbh5 has etcd data in /var/lib/etcd/default but is not a member of the running cluster"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        lab.ssh("rbh5", "ls /etc/default/etcd 2>&1 >/dev/null | wc -l")
            .trim(),
        "1"
    );
    // ... and the cluster is left as it was: rbh5 was not added.
    let list = lab.ssh(
        "rbh1",
        "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.11:2379 member list",
    );
    assert_eq!(list.lines().count(), 4, "{list}");
    assert!(!list.contains("10.77.0.15"), "{list}");
    lab.ssh("rbh5", "rm -rf /var/lib/etcd/default");

    // Back to the three members the other tests use.
    let list: Value = serde_json::from_str(&lab.ssh(
        "rbh1",
        "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.11:2379 member list -w json",
    ))
    .unwrap();
    for m in list["members"].as_array().unwrap() {
        if m["name"] == "rbh4" || m["peerURLs"][0] == "http://10.77.0.14:2380" {
            let id = format!("{:x}", m["ID"].as_u64().unwrap());
            lab.ssh(
                "rbh1",
                &format!(
                    "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.11:2379 member remove {id}"
                ),
            );
        }
    }
    lab.ssh("rbh4", reset4);
    let _ = mirror.kill();
    let _ = mirror.wait();
}

fn nodes_doc(nodes: &[(&str, &str, &str)]) -> Value {
    let items: Vec<Value> = nodes
        .iter()
        .map(|(name, ip, cidr)| {
            serde_json::json!({
                "metadata": {"name": name},
                "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
                "status": {
                    "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                    "conditions": [{"type": "Ready", "status": "True"}]
                }
            })
        })
        .collect();
    serde_json::json!({"kind": "NodeList", "apiVersion": "v1", "items": items})
}

fn gateway_routes(lab: &Lab, host: &str) -> Vec<String> {
    let json: Value =
        serde_json::from_str(&lab.ssh(host, "ip -j route show root 10.200.0.0/16")).unwrap();
    let mut v: Vec<String> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("gateway").is_some())
        .map(|r| {
            format!(
                "{} via {}",
                r["dst"].as_str().unwrap(),
                r["gateway"].as_str().unwrap()
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn routing_runbook_makes_pod_routes_exactly_right() {
    let (lab, _g) = lab!();
    let workers = [
        ("rbh4", "10.77.0.14", "10.200.4.0/24"),
        ("rbh5", "10.77.0.15", "10.200.5.0/24"),
        ("rbh6", "10.77.0.16", "10.200.6.0/24"),
    ];
    // Each worker: its pod network on a port-less bridge (this kernel has no dummy device).
    for (h, _, cidr) in workers {
        let pod_ip = cidr.replace(".0/24", ".1/24");
        lab.ssh(h, &format!(
            "ip link del pod0 2>/dev/null; ip route flush root 10.200.0.0/16; ip route del 192.168.77.0/24 2>/dev/null; \
             ip link add pod0 type bridge && ip addr add {pod_ip} dev pod0 && ip link set pod0 up"
        ));
    }
    // Planted on rbh4: a stale route, a wrong gateway, and an unrelated route.
    lab.ssh("rbh4", "ip route add 10.200.99.0/24 via 10.77.0.19; ip route add 10.200.5.0/24 via 10.77.0.16; ip route add 192.168.77.0/24 via 10.77.0.1");

    let dir = tempfile::tempdir().unwrap();
    let nodes = dir.path().join("nodes.json");
    std::fs::write(&nodes, nodes_doc(&workers).to_string()).unwrap();
    let stub = KubeStub::start(&nodes);
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: {}\ncontexts:\n- name: lab\n  context:\n    cluster: lab\n    user: lab\ncurrent-context: lab\nusers:\n- name: lab\n  user: {{}}\n",
            stub.server()
        ),
    )
    .unwrap();
    let env = [("KUBECONFIG", kubeconfig.to_str().unwrap())];
    // The seeds' other group name: k8s_worker.
    let inv = lab.inventory_with("", "[k8s_worker]\nrbh4\nrbh5\nrbh6\n", dir.path());

    let check = run_book(&lab, &inv, "routing.rhai", &["--check"], &env);
    check.code(0);
    assert_eq!(
        gateway_routes(&lab, "rbh4"),
        [
            "10.200.5.0/24 via 10.77.0.16",
            "10.200.99.0/24 via 10.77.0.19"
        ],
        "--check changed routes"
    );

    let out = run_book(&lab, &inv, "routing.rhai", &[], &env);
    out.code(0);
    assert!(
        changed_in_human_recap(&out) > 0,
        "the first routing run reports its changes: {}",
        stderr(&out)
    );
    for (h, _, _) in workers {
        let want: Vec<String> = {
            let mut w: Vec<String> = workers
                .iter()
                .filter(|(o, _, _)| *o != h)
                .map(|(_, ip, cidr)| format!("{cidr} via {ip}"))
                .collect();
            w.sort();
            w
        };
        assert_eq!(gateway_routes(&lab, h), want, "{h}");
        // The node's own connected pod route is untouched.
        assert!(
            lab.ssh(h, "ip route show dev pod0")
                .contains("proto kernel"),
            "{h}"
        );
    }
    assert!(
        lab.ssh("rbh4", "ip route show 192.168.77.0/24")
            .contains("via 10.77.0.1"),
        "unrelated route kept"
    );
    // Pod addresses reach each other across hosts.
    for (h, _, cidr) in workers {
        let src = cidr.replace(".0/24", ".1");
        for (o, _, ocidr) in workers {
            if o == h {
                continue;
            }
            let dst = ocidr.replace(".0/24", ".1");
            let ping = lab.ssh(
                h,
                &format!("ping -c 1 -W 2 -I {src} {dst} >/dev/null && echo ok"),
            );
            assert_eq!(ping.trim(), "ok", "{h}: ping -I {src} {dst}");
        }
    }

    rerun_changes_nothing(&lab, &inv, "routing.rhai", &[], &env);
}

/// The etcd runbook as an operator without root login runs it: `rbop`, who needs sudo with
/// a password, with `ansible_become` and the password in the inventory. Everything it
/// writes is root's, and a second run changes nothing.
#[test]
fn etcd_runbook_runs_as_a_sudo_user_with_become() {
    let (lab, _g) = lab!();
    for (h, _) in ETCD {
        lab.ssh(
            h,
            "systemctl stop etcd; rm -rf /var/lib/etcd/default /etc/default/etcd",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("rbop.ini");
    std::fs::write(
        &inv,
        "[etcd]\nrbh1 ansible_host=10.77.0.11\nrbh2 ansible_host=10.77.0.12\nrbh3 ansible_host=10.77.0.13\n\n\
         [all:vars]\nansible_user=rbop\nansible_become=true\nansible_become_password=rbop-lab-sudo\n",
    )
    .unwrap();
    let out = run_book(&lab, &inv, "etcd.rhai", &["-e", "health_delay=1"], &[]);
    out.code(0);
    assert!(!stderr(&out).contains("rbop-lab-sudo") && !stdout(&out).contains("rbop-lab-sudo"));
    for (h, addr) in ETCD {
        assert_eq!(
            lab.ssh(h, "stat -c '%U %a' /etc/default/etcd").trim(),
            "root 644"
        );
        let members = lab.ssh(
            h,
            &format!("ETCDCTL_API=3 etcdctl --endpoints=http://{addr}:2379 member list"),
        );
        assert_eq!(members.lines().count(), 3, "{h}: {members}");
    }
    rerun_changes_nothing(&lab, &inv, "etcd.rhai", &["-e", "health_delay=1"], &[]);
}

/// The PublicIPs of the subnet leases in etcd, sorted.
fn lease_owners(lab: &Lab, etcdctl: &str) -> Vec<String> {
    let leases = lab.ssh(
        "rbh1",
        &format!("{etcdctl} get --prefix /atomic.io/network/subnets/"),
    );
    let lines: Vec<&str> = leases.lines().collect();
    let mut owners: Vec<String> = lines
        .chunks(2)
        .map(|kv| {
            serde_json::from_str::<Value>(kv[1]).unwrap()["PublicIP"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    owners.sort();
    owners
}

/// flannel.rhai on three workers, one of them (rbh9) in the inventory by name only, with
/// `flannel_iface` as a group variable: leases, vxlan, and the stale-lease clean-up — a
/// lease no worker advertises goes (listed first under --check), one etcd still keeps alive
/// stays with a warning, and under a --limit that leaves a worker out nothing is removed.
/// (The old clean-up compared PublicIPs with inventory addresses: it deleted rbh9's live
/// lease, and rbh10's under --limit.)
#[test]
fn flannel_runbook_leases_subnets_builds_vxlan_and_cleans_stale_leases() {
    let (lab, _g) = lab!();
    const WORKERS: [(&str, &str); 3] = [
        ("rbh8", "10.77.0.18"),
        ("rbh9", "10.77.0.19"),
        ("rbh10", "10.77.0.20"),
    ];
    let etcdctl = "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.11:2379";
    for (h, _) in WORKERS {
        lab.ssh(h, "systemctl stop flanneld; ip link del flannel.1 2>/dev/null; rm -f /etc/default/flanneld /etc/systemd/system/flanneld.service /usr/local/bin/flanneld");
    }
    let dir = tempfile::tempdir().unwrap();
    // flanneld comes from the mirror, laid out like flannel's GitHub releases.
    let (mut mirror, port) = serve_mirror(&dir.path().join("flannel-mirror"));
    // Like flannel's releases, the mirror publishes no digest: the inventory pins it.
    let sha = std::process::Command::new("sha256sum")
        .arg(root().join("lab/stand-ins/flanneld"))
        .output()
        .unwrap();
    let sha = stdout(&sha).split_whitespace().next().unwrap().to_string();
    let url = format!("flanneld_url=http://10.77.0.1:{port}/flannel-io/flannel/releases/download/v0.25.1/flanneld-amd64\nflanneld_sha256={sha}");
    let inv = dir.path().join("flannel.ini");
    std::fs::write(
        &inv,
        format!("[etcd]\nrbh1 ansible_host=10.77.0.11\nrbh2 ansible_host=10.77.0.12\nrbh3 ansible_host=10.77.0.13\n\n\
         [workers]\nrbh8 ansible_host=10.77.0.18\nrbh9\nrbh10 ansible_host=10.77.0.20\n\n\
         [workers:vars]\nflannel_iface=eth0\n{url}\n\n[all:vars]\nansible_user=root\n"),
    )
    .unwrap();
    // The etcd cluster the leases live in (the etcd runbook; a no-op if it is already up).
    let out = run_book(&lab, &inv, "etcd.rhai", &["-e", "health_delay=1"], &[]);
    out.code(0);
    lab.ssh(
        "rbh1",
        &format!("{etcdctl} del --prefix /atomic.io/network"),
    );
    let put_stale = |subnet: &str, ip: &str, lease: &str| {
        lab.ssh(
            "rbh1",
            &format!("{etcdctl} put {lease} /atomic.io/network/subnets/{subnet} '{{\"PublicIP\":\"{ip}\",\"BackendType\":\"vxlan\",\"BackendData\":{{\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\"}}}}'"),
        );
    };
    // Left behind by a worker whose address changed (put by hand, as the seed's etcdctl
    // does: no etcd lease), and one that etcd keeps alive for another hour.
    put_stale("10.240.99.0-24", "10.77.0.99", "");
    let lease = lab.ssh("rbh1", &format!("{etcdctl} lease grant 3600"));
    let lease_id = lease.split_whitespace().nth(1).unwrap().to_string();
    put_stale(
        "10.240.98.0-24",
        "10.77.0.98",
        &format!("--lease={lease_id}"),
    );

    // --check lists what it would remove and removes nothing.
    let out = run_book(&lab, &inv, "flannel.rhai", &["--check"], &[]);
    out.code(0);
    assert!(
        stdout(&out).contains("would remove stale lease /atomic.io/network/subnets/10.240.99.0-24"),
        "{}",
        stdout(&out)
    );
    assert_eq!(lease_owners(&lab, etcdctl), ["10.77.0.98", "10.77.0.99"]);

    let out = run_book(&lab, &inv, "flannel.rhai", &[], &[]);
    out.code(0);
    assert!(
        changed_in_human_recap(&out) > 0,
        "the first flannel run reports its changes: {}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("removed stale lease /atomic.io/network/subnets/10.240.99.0-24"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("warning: kept lease /atomic.io/network/subnets/10.240.98.0-24 (PublicIP 10.77.0.98, etcd keeps it "),
        "{}",
        stderr(&out)
    );
    // flanneld was installed from the mirror, checked against the pinned sha256.
    for (h, _) in WORKERS {
        assert_eq!(
            lab.ssh(h, "sha256sum /usr/local/bin/flanneld | cut -d' ' -f1")
                .trim(),
            sha,
            "{h}"
        );
    }
    // rbh9's lease survives although the inventory knows it by name only.
    assert_eq!(
        lease_owners(&lab, etcdctl),
        ["10.77.0.18", "10.77.0.19", "10.77.0.20", "10.77.0.98"]
    );

    let config = lab.ssh("rbh2", "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.12:2379 get --print-value-only /atomic.io/network/config");
    let config: Value = serde_json::from_str(config.trim()).unwrap();
    assert_eq!(
        config,
        serde_json::json!({"Network": "10.240.0.0/16", "SubnetLen": 24, "Backend": {"Type": "vxlan", "VNI": 1}})
    );

    let mut flannel_ip = Vec::new();
    for (h, _) in WORKERS {
        let addr: Value =
            serde_json::from_str(&lab.ssh(h, "ip -j -4 addr show dev flannel.1")).unwrap();
        let ip = addr[0]["addr_info"][0]["local"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(ip.starts_with("10.240."), "{h}: {ip}");
        assert!(
            lab.ssh(h, "ip -d link show flannel.1")
                .contains("vxlan id 1"),
            "{h}"
        );
        flannel_ip.push((h, ip));
    }
    // Through the vxlan: each flannel address pings every other.
    for (h, src) in &flannel_ip {
        for (o, dst) in &flannel_ip {
            if o != h {
                let ping = lab.ssh(
                    h,
                    &format!("ping -c 1 -W 3 -I {src} {dst} >/dev/null && echo ok"),
                );
                assert_eq!(ping.trim(), "ok", "{h} -> {o}: ping -I {src} {dst}");
            }
        }
    }

    // Under --limit leaving rbh10 out: its live lease and the stale one both stay, and the
    // run says why.
    put_stale("10.240.99.0-24", "10.77.0.99", "");
    let out = run_book(
        &lab,
        &inv,
        "flannel.rhai",
        &["--limit", "etcd:rbh8:rbh9"],
        &[],
    );
    out.code(0);
    assert!(
        stderr(&out).contains("warning: not removing 3 lease(s) no worker in this run advertises, because the addresses of [\"rbh10\"] are unknown"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        lease_owners(&lab, etcdctl),
        [
            "10.77.0.18",
            "10.77.0.19",
            "10.77.0.20",
            "10.77.0.98",
            "10.77.0.99"
        ]
    );

    let again = run_book(&lab, &inv, "flannel.rhai", &["--json"], &[]);
    again.code(0);
    assert_eq!(
        changed_in_recap(&again),
        1,
        "only the stale lease's removal: {}",
        stdout(&again)
    );
    assert_eq!(
        lease_owners(&lab, etcdctl),
        ["10.77.0.18", "10.77.0.19", "10.77.0.20", "10.77.0.98"]
    );
    rerun_changes_nothing(&lab, &inv, "flannel.rhai", &[], &[]);

    // The flanneld stand-in as upstream, beside the runbook's (its own prefix, host-gw so
    // flannel.1 is left alone, its own subnet file): SubnetMin..SubnetMax bound what it
    // leases, a reservation (a key without an etcd lease) is taken as it is, a full range is
    // "out of subnets", and a backend type it does not know is refused.
    lab.ssh(
        "rbh1",
        &format!(
            "{etcdctl} del --prefix /rbtest; {etcdctl} put /rbtest/config '{{\"Network\": \"10.241.0.0/16\", \"SubnetLen\": 24, \"SubnetMin\": \"10.241.5.0\", \"SubnetMax\": \"10.241.5.0\", \"Backend\": {{\"Type\": \"host-gw\"}}}}'; \
             {etcdctl} put /rbtest/subnets/10.241.7.0-24 '{{\"PublicIP\": \"10.77.0.20\", \"BackendType\": \"host-gw\", \"BackendData\": {{}}}}'"
        ),
    );
    let flanneld = |h: &str| {
        lab.ssh(
            h,
            "systemctl stop rbflt 2>/dev/null; systemctl reset-failed rbflt 2>/dev/null; rm -f /run/rbflt.env; \
             systemd-run --quiet --unit=rbflt /usr/local/bin/flanneld -etcd-endpoints=http://10.77.0.11:2379 \
             -etcd-prefix=/rbtest --iface=eth0 -subnet-file=/run/rbflt.env; \
             for i in $(seq 50); do [ -f /run/rbflt.env ] && break; systemctl -q is-active rbflt || break; sleep 0.1; done; \
             cat /run/rbflt.env 2>/dev/null; journalctl -u rbflt -o cat --no-pager | grep flanneld:",
        )
    };
    let first = flanneld("rbh8");
    assert!(
        first.contains("FLANNEL_SUBNET=10.241.5.1/24\nFLANNEL_MTU=1500\n"),
        "{first}"
    );
    let full = flanneld("rbh9");
    assert!(
        full.contains("flanneld: Failed to acquire lease: out of subnets"),
        "{full}"
    );
    let reserved = flanneld("rbh10");
    assert!(
        reserved.contains("FLANNEL_SUBNET=10.241.7.1/24"),
        "{reserved}"
    );
    // The reservation is still one: no etcd lease on its key, while rbh8's has one.
    let lease_of = |key: &str| {
        let out = lab.ssh("rbh1", &format!("{etcdctl} get {key} -w json"));
        serde_json::from_str::<Value>(&out).unwrap()["kvs"][0]["lease"].clone()
    };
    assert_eq!(lease_of("/rbtest/subnets/10.241.7.0-24"), Value::Null);
    assert!(
        lease_of("/rbtest/subnets/10.241.5.0-24")
            .as_i64()
            .unwrap_or(0)
            > 0
    );
    // rbh8 routes rbh10's reserved subnet via rbh10's address (host-gw).
    let mut routed = String::new();
    for _ in 0..30 {
        routed = lab.ssh("rbh8", "ip route show 10.241.7.0/24");
        if !routed.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(routed.contains("via 10.77.0.20 dev eth0"), "{routed}");
    lab.ssh(
        "rbh1",
        &format!("{etcdctl} put /rbtest/config '{{\"Network\": \"10.241.0.0/16\", \"Backend\": {{\"Type\": \"udpx\"}}}}'"),
    );
    let refused = flanneld("rbh9");
    assert!(
        refused.contains("flanneld: Error fetching backend: unknown backend type: udpx"),
        "{refused}"
    );
    for h in ["rbh8", "rbh9", "rbh10"] {
        lab.ssh(h, "systemctl stop rbflt 2>/dev/null; systemctl reset-failed rbflt 2>/dev/null; ip route del 10.241.0.0/16 2>/dev/null; ip route flush 10.241.0.0/16 2>/dev/null");
    }
    lab.ssh("rbh1", &format!("{etcdctl} del --prefix /rbtest"));
    let _ = mirror.kill();
    let _ = mirror.wait();
    for (h, _) in WORKERS {
        lab.ssh(
            h,
            "systemctl stop flanneld; ip link del flannel.1 2>/dev/null",
        );
    }
}

/// Reset the workers' Kubernetes state, as if freshly provisioned.
fn reset_workers(lab: &Lab, hosts: &[&str]) {
    for h in hosts {
        lab.ssh(
            h,
            "for s in kubelet kube-proxy containerd; do systemctl stop $s; systemctl disable $s; done 2>/dev/null; \
             DEBIAN_FRONTEND=noninteractive dpkg --purge containerd runc conntrack containernetworking-plugins >/dev/null 2>&1; \
             rm -rf /usr/local/bin/kubelet /usr/local/bin/kube-proxy /usr/local/bin/kubectl /var/lib/kubelet /var/lib/kube-proxy \
             /var/lib/kubernetes /etc/systemd/system/kubelet.service /etc/systemd/system/kube-proxy.service /etc/rb-lab \
             /etc/cni/net.d/10-flannel.conflist /etc/containerd",
        );
        // What flanneld writes when it has leased the node a subnet (the CNI step reads it).
        let n: u32 = h.trim_start_matches("rbh").parse().unwrap();
        lab.ssh(
            h,
            &format!("mkdir -p /run/flannel && printf 'FLANNEL_NETWORK=10.240.0.0/16\\nFLANNEL_SUBNET=10.240.{n}.1/24\\nFLANNEL_MTU=1450\\nFLANNEL_IPMASQ=false\\n' > /run/flannel/subnet.env"),
        );
    }
}

/// lab/mirror.sh's download mirror built in `dir` and served over HTTP on the lab bridge:
/// the server (killed by the caller) and its port.
fn serve_mirror(dir: &std::path::Path) -> (std::process::Child, u32) {
    assert!(std::process::Command::new(root().join("lab/mirror.sh"))
        .arg(dir)
        .status()
        .unwrap()
        .success());
    // A free port on the bridge (asked of the kernel, then given to the server).
    let port = std::net::TcpListener::bind(("10.77.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port() as u32;
    let server = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "10.77.0.1",
            "--directory",
        ])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..50 {
        if std::net::TcpStream::connect(("10.77.0.1", port as u16)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (server, port)
}

/// The mirror (lab/mirror.sh) served on the lab bridge, the controller's PKI and kubeconfigs.
struct K8sFixture {
    server: std::process::Child,
    url: String,
    mirror: std::path::PathBuf,
    /// The API server stand-in the workers' kubelets register with, and its kubeconfig for
    /// kubectl on the controller (KUBECONFIG).
    stub: KubeStub,
    kubeconfig: std::path::PathBuf,
    /// The workers' kubeconfigs the runbook copies (k8s_config_directory).
    configs: std::path::PathBuf,
    _dir: tempfile::TempDir,
    args: Vec<String>,
}

impl K8sFixture {
    fn env(&self) -> [(&str, &str); 1] {
        [("KUBECONFIG", self.kubeconfig.to_str().unwrap())]
    }

    /// The nodes kubectl lists: (name, InternalIP, Ready status).
    fn nodes(&self) -> Vec<(String, String, String)> {
        let out = self.stub.kubectl(&[
            "get",
            "nodes",
            "-o",
            r#"jsonpath={range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}"#,
        ]);
        stdout(&out)
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                (f[0].to_string(), f[1].to_string(), f[2].to_string())
            })
            .collect()
    }
}

impl Drop for K8sFixture {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn k8s_fixture(lab: &Lab, workers: &[&str]) -> K8sFixture {
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    let (server, port) = serve_mirror(&mirror);
    let nodes = dir.path().join("nodes.json");
    std::fs::write(&nodes, "{\"items\": []}").unwrap();
    // The API server stand-in over TLS with client certificates from the lab's CA; each
    // worker's certificate is its node identity (CN system:node:NAME, lab/pki.sh).
    let lab_pki = lab.dir.join("pki");
    let stub = KubeStub::start_tls(&nodes, "10.77.0.1", &lab_pki);
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, stub.kubeconfig()).unwrap();
    let pki = dir.path().join("certs");
    let configs = dir.path().join("configs");
    std::fs::create_dir_all(&pki).unwrap();
    std::fs::create_dir_all(&configs).unwrap();
    std::fs::copy(lab_pki.join("ca.crt"), pki.join("ca-k8s-apiserver.pem")).unwrap();
    let b64 = |path: &std::path::Path| {
        let out = std::process::Command::new("base64")
            .arg("-w0")
            .arg(path)
            .output()
            .unwrap();
        stdout(&out)
    };
    for w in workers {
        let cert = lab_pki.join(w).join("client.crt");
        let key = lab_pki.join(w).join("client.key");
        std::fs::copy(&cert, pki.join(format!("cert-{w}.pem"))).unwrap();
        std::fs::copy(&key, pki.join(format!("cert-{w}-key.pem"))).unwrap();
        // As githubixx-2022's kubeconfigs: everything embedded.
        std::fs::write(
            configs.join(format!("{w}.kubeconfig")),
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: {}\n    certificate-authority-data: {}\ncontexts:\n- name: default\n  context:\n    cluster: lab\n    user: system:node:{w}\ncurrent-context: default\nusers:\n- name: system:node:{w}\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
                stub.server(),
                b64(&lab_pki.join("ca.crt")),
                b64(&cert),
                b64(&key)
            ),
        )
        .unwrap();
    }
    std::fs::write(
        configs.join("kube-proxy.kubeconfig"),
        "kube-proxy kubeconfig\n",
    )
    .unwrap();
    let url = format!("http://10.77.0.1:{port}/v1.28.5/bin/linux/amd64");
    let args = vec![
        "-e".to_string(),
        format!("k8s_download_url={url}"),
        "-e".into(),
        format!("k8s_ca_conf_directory={}", pki.display()),
        "-e".into(),
        format!("k8s_config_directory={}", configs.display()),
        "-e".into(),
        "order=inventory".into(),
        // The lab's kernel has no ip_vs: kube-proxy in githubixx-2022's ipvs mode would exit
        // (the workers test shows the runbook refusing it first).
        "-e".into(),
        "kube_proxy_mode=iptables".into(),
    ];
    K8sFixture {
        server,
        url,
        mirror,
        stub,
        kubeconfig,
        configs,
        _dir: dir,
        args,
    }
}

const KUBELET_CONFIG_RBH5: &str = "kind: KubeletConfiguration
apiVersion: kubelet.config.k8s.io/v1beta1
address: 10.77.0.15
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: \"/var/lib/kubernetes/ca-k8s-apiserver.pem\"
authorization:
  mode: Webhook
clusterDomain: \"cluster.local\"
clusterDNS:
  - \"10.32.0.254\"
failSwapOn: true
healthzBindAddress: \"10.77.0.15\"
healthzPort: 10248
runtimeRequestTimeout: \"15m\"
serializeImagePulls: false
tlsCertFile: \"/var/lib/kubernetes/cert-rbh5.pem\"
tlsPrivateKeyFile: \"/var/lib/kubernetes/cert-rbh5-key.pem\"
cgroupDriver: \"systemd\"
";

#[test]
fn workers_runbook_installs_renders_starts_and_rerun_changes_nothing() {
    let (lab, _g) = lab!();
    let workers = ["rbh5", "rbh6", "rbh7"];
    reset_workers(&lab, &workers);
    let fx = k8s_fixture(&lab, &workers);
    let dir = tempfile::tempdir().unwrap();
    // rbh6 says in the inventory that its Kubernetes interface is rbk0, not the group's eth0
    // (the default is the seed's wg0): the runbook must read that per host (h.setting),
    // host over group, and give rbh6's kubelet rbk0's address.
    lab.ssh(
        "rbh6",
        "ip link del rbk0 2>/dev/null; ip link add rbk0 type bridge && ip addr add 10.201.6.1/24 dev rbk0 && ip link set rbk0 up",
    );
    let inv = lab.inventory_with(
        "",
        "[workers]\nrbh5\nrbh6 k8s_interface=rbk0\nrbh7\n\n[workers:vars]\nk8s_interface=eth0\n",
        dir.path(),
    );
    let args: Vec<&str> = fx.args.iter().map(String::as_str).collect();
    // Without the subnet flanneld leases, the CNI step says what to do first.
    lab.ssh(
        "rbh5",
        "mv /run/flannel/subnet.env /run/flannel/subnet.env.away",
    );
    let mut check_args = args.clone();
    check_args.push("--check");
    let out = run_book(&lab, &inv, "workers.rhai", &check_args, &fx.env());
    out.code(1);
    assert!(
        stderr(&out).contains("flanneld has leased rbh5 no subnet (/run/flannel/subnet.env): run runbooks/flannel.rhai on it first, or set cni_network=none"),
        "{}",
        stderr(&out)
    );
    lab.ssh(
        "rbh5",
        "mv /run/flannel/subnet.env.away /run/flannel/subnet.env",
    );
    // --check on fresh workers: every step reported, nothing installed or written.
    let check = run_book(&lab, &inv, "workers.rhai", &check_args, &fx.env());
    check.code(0);
    assert!(
        stderr(&check).contains("rbh6 › units › put /etc/systemd/system/kubelet.service: changed"),
        "{}",
        stderr(&check)
    );
    for h in workers {
        assert_eq!(lab.ssh(h, "ls /usr/local/bin/kubelet /var/lib/kubelet /etc/systemd/system/kubelet.service 2>/dev/null"), "", "{h}");
    }
    // githubixx-2022's kube-proxy mode, ipvs, on a kernel without ip_vs (the lab's): refused
    // on the first worker before anything is installed, naming the way out.
    let mut ipvs_args = args.clone();
    ipvs_args.extend(["-e", "kube_proxy_mode=ipvs"]);
    let ipvs = run_book(&lab, &inv, "workers.rhai", &ipvs_args, &fx.env());
    ipvs.code(1)
        .stderr_has("rbh5 › FAILED: ipvs: ")
        .stderr_has(
            "kube-proxy mode ipvs needs the kernel's ip_vs modules, and rbh5 cannot load them (modprobe: ",
        )
        .stderr_has("): load them, or set kube_proxy_mode=iptables");
    assert_eq!(
        lab.ssh(
            "rbh5",
            "dpkg-query -W -f='${Status}' containerd 2>&1 | grep -c 'install ok' || true"
        )
        .trim(),
        "0"
    );
    let out = run_book(&lab, &inv, "workers.rhai", &args, &fx.env());
    out.code(0);
    // Both daemons' healthz were polled on each worker until they answered (prefetch-2020;
    // kube-proxy on 10256): under systemd a daemon listens a moment after its start returns.
    for h in workers {
        for (task, port) in [("kubelet", 10248), ("kube-proxy", 10256)] {
            let polled = format!("{h} › wait for {task} healthz › curl");
            let line = stderr(&out)
                .lines()
                .rfind(|l| l.contains(&polled))
                .map(str::to_string);
            assert!(
                line.as_deref()
                    .is_some_and(|l| l.contains(&format!(":{port}/healthz: ok"))),
                "{h} {task}: {line:?}"
            );
        }
    }
    assert!(
        changed_in_human_recap(&out) > 0,
        "the first workers run reports its changes: {}",
        stderr(&out)
    );
    // The packages were installed by the runbook (the hosts started without them), and
    // each worker forwards packets, now and after a reboot.
    for h in workers {
        assert_eq!(
            lab.ssh(
                h,
                "sysctl -n net.ipv4.ip_forward; cat /etc/sysctl.d/99-kubernetes.conf"
            ),
            "1\nnet.ipv4.ip_forward=1\n",
            "{h}"
        );
        assert_eq!(
            lab.ssh(h, "dpkg-query -W -f='${Status} ' containerd runc conntrack containernetworking-plugins"),
            "install ok installed install ok installed install ok installed install ok installed ",
            "{h}"
        );
        assert!(
            stderr(&out).contains(&format!("{h} › packages › apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold containerd runc conntrack containernetworking-plugins: changed")),
            "{h}: {}",
            stderr(&out)
        );
    }
    // Each node registered itself with the API server and is Ready, with its node IP
    // (rbh6's from rbk0); the runbook waited for that through kubectl.
    let as_strings = |v: &[(&str, &str, &str)]| -> Vec<(String, String, String)> {
        v.iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect()
    };
    assert_eq!(
        fx.nodes(),
        as_strings(&[
            ("rbh5", "10.77.0.15", "True"),
            ("rbh6", "10.201.6.1", "True"),
            ("rbh7", "10.77.0.17", "True")
        ])
    );
    for h in workers {
        assert!(
            stderr(&out).contains(&format!(
                "{h} › wait for node Ready › kubectl get node {h} -o json: ok"
            )),
            "{h}: {}",
            stderr(&out)
        );
        // The pod network: a bridge on the node's flannel subnet.
        let cni: Value =
            serde_json::from_str(&lab.ssh(h, "cat /etc/cni/net.d/10-flannel.conflist")).unwrap();
        let n: u32 = h.trim_start_matches("rbh").parse().unwrap();
        assert_eq!(cni["plugins"][0]["type"], "bridge", "{h}: {cni}");
        assert_eq!(
            cni["plugins"][0]["ipam"]["subnet"],
            format!("10.240.{n}.0/24"),
            "{h}: {cni}"
        );
        assert_eq!(
            cni["plugins"][0]["ipam"]["routes"][0]["dst"],
            "10.240.0.0/16"
        );
        assert_eq!(
            (
                cni["plugins"][0]["mtu"].as_u64(),
                cni["plugins"][0]["ipMasq"].as_bool()
            ),
            (Some(1450), Some(true))
        );
        let containerd = lab.ssh(h, "cat /etc/containerd/config.toml");
        assert!(
            containerd.contains("        SystemdCgroup = true\n")
                && containerd.contains("      bin_dir = \"/usr/lib/cni\"\n"),
            "{h}: {containerd}"
        );
    }
    let kubectl_sha =
        std::fs::read_to_string(fx.mirror.join("v1.28.5/bin/linux/amd64/kubectl.sha256")).unwrap();
    for (i, h) in workers.iter().enumerate() {
        let addr = match *h {
            "rbh6" => "10.201.6.1".to_string(),
            _ => format!("10.77.0.{}", 15 + i),
        };
        let conf = lab.ssh(h, "cat /var/lib/kubelet/kubelet-config.yaml");
        assert_eq!(
            conf,
            KUBELET_CONFIG_RBH5
                .replace("10.77.0.15", &addr)
                .replace("rbh5", h),
            "{h}"
        );
        let proxy = lab.ssh(h, "cat /var/lib/kube-proxy/kubeproxy-config.yaml");
        assert!(
            proxy.contains(&format!("healthzBindAddress: {addr}:10256"))
                && proxy.contains("clusterCIDR: \"10.200.0.0/16\""),
            "{proxy}"
        );
        let unit = lab.ssh(h, "cat /etc/systemd/system/kubelet.service");
        assert!(unit.contains(&format!("ExecStart=/usr/local/bin/kubelet --config=/var/lib/kubelet/kubelet-config.yaml --node-ip={addr} --container-runtime-endpoint=unix:///run/containerd/containerd.sock --kubeconfig=/var/lib/kubelet/kubeconfig --register-node=true\n")), "{unit}");
        assert_eq!(
            lab.ssh(h, "sha256sum /usr/local/bin/kubectl | cut -d' ' -f1"),
            kubectl_sha,
            "{h}"
        );
        assert_eq!(
            lab.ssh(h, "cat /var/lib/kubelet/kubeconfig"),
            std::fs::read_to_string(fx.configs.join(format!("{h}.kubeconfig"))).unwrap()
        );
        assert_eq!(
            lab.ssh(h, "stat -c %a /var/lib/kubernetes/cert-*-key.pem")
                .trim(),
            "600"
        );
        assert_eq!(
            lab.ssh(h, &format!("curl -s http://{addr}:10248/healthz")),
            "ok",
            "{h} kubelet"
        );
        assert_eq!(
            lab.ssh(h, &format!("curl -s http://{addr}:10256/healthz")),
            "ok",
            "{h} kube-proxy"
        );
        assert_eq!(
            lab.ssh(h, "systemctl is-enabled kubelet kube-proxy").trim(),
            "enabled\nenabled"
        );
    }
    rerun_changes_nothing(&lab, &inv, "workers.rhai", &args, &fx.env());
    assert!(fx.url.starts_with("http://10.77.0.1:"));
    // The kubelet stand-in refuses at start-up what the real kubelet refuses: a missing
    // certificate, a cgroup driver containerd does not use. An unknown field is not refused
    // (kubelet decodes leniently, with a warning): a misspelt `cgroupDriver` is ignored, the
    // default cgroupfs applies, and that is what stops it.
    let kubelet = |setup: &str| {
        lab.ssh(
            "rbh5",
            &format!("cp /var/lib/kubelet/kubelet-config.yaml /tmp/k.yaml; {setup}; timeout 5 /usr/local/bin/kubelet --config=/tmp/k.yaml --kubeconfig=/var/lib/kubelet/kubeconfig --node-ip=10.77.0.15 2>&1; echo rc=$?"),
        )
    };
    let out = kubelet("sed -i 's/^cgroupDriver:/cgroupDrivr:/' /tmp/k.yaml");
    assert!(
        out.contains("\"Using lenient decoding as strict decoding failed\" err=\"strict decoding error: unknown field \\\"cgroupDrivr\\\"\"")
            && out.contains("kubelet cgroup driver: \"cgroupfs\" is different from the container runtime's cgroup driver: \"systemd\"")
            && out.ends_with("rc=1\n"),
        "{out}"
    );
    let out = kubelet("sed -i 's/cert-rbh5.pem/cert-rbh9.pem/' /tmp/k.yaml");
    assert!(out.contains("unable to load server certificate: open /var/lib/kubernetes/cert-rbh9.pem: no such file or directory") && out.ends_with("rc=1\n"), "{out}");
    // kube-proxy in ipvs mode without the kernel's IPVS exits, as since 1.26.
    let proxy = lab.ssh(
        "rbh5",
        "sed 's/^mode: .*/mode: \"ipvs\"/' /var/lib/kube-proxy/kubeproxy-config.yaml > /tmp/p.yaml; \
         timeout 5 /usr/local/bin/kube-proxy --config=/tmp/p.yaml 2>&1; echo rc=$?",
    );
    assert!(
        proxy.contains("\"command failed\" err=\"can't use the IPVS proxier: ")
            && proxy.ends_with("rc=1\n"),
        "{proxy}"
    );
    let out =
        kubelet("sed -i 's/cgroupDriver: \"systemd\"/cgroupDriver: \"cgroupfs\"/' /tmp/k.yaml");
    assert!(out.contains("kubelet cgroup driver: \"cgroupfs\" is different from the container runtime's cgroup driver: \"systemd\"") && out.ends_with("rc=1\n"), "{out}");
    // Without a CNI network configuration (or with one containerd cannot load) the node
    // is NotReady, with kubelet's words; it is Ready again once one is back.
    let ready_of = |node: &str| {
        let out = fx.stub.kubectl(&[
            "get",
            "node",
            node,
            "-o",
            r#"jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].message}"#,
        ]);
        stdout(&out)
    };
    let wait_for = |node: &str, want: &str| {
        for _ in 0..50 {
            if ready_of(node).starts_with(want) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("{node} never became {want}: {}", ready_of(node));
    };
    lab.ssh(
        "rbh7",
        "mv /etc/cni/net.d/10-flannel.conflist /tmp/; echo '{\"cniVersion\": \"0.3.1\"}' > /etc/cni/net.d/10-broken.conflist",
    );
    wait_for("rbh7", "False ");
    assert!(
        ready_of("rbh7").ends_with("NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"),
        "{}",
        ready_of("rbh7")
    );
    lab.ssh(
        "rbh7",
        "rm /etc/cni/net.d/10-broken.conflist; mv /tmp/10-flannel.conflist /etc/cni/net.d/",
    );
    wait_for("rbh7", "True ");
    // The API server stand-in authenticates as kube-apiserver does: a node's certificate may
    // write its own node's status only (NodeRestriction), a certificate the lab's CA did not
    // sign fails the handshake, and no certificate at all is 401.
    let put = |cert: &str| {
        lab.ssh(
            "rbh5",
            &format!(
                "cd /var/lib/kubernetes; curl -s --cacert ca-k8s-apiserver.pem {cert} -X PUT -H 'Content-Type: application/json' \
                 -d '{{\"status\": {{}}}}' -w ' %{{http_code}}' {}/api/v1/nodes/rbh6/status; echo \" rc=$?\"",
                fx.stub.server()
            ),
        )
    };
    let out = put("--cert cert-rbh5.pem --key cert-rbh5-key.pem");
    assert!(
        out.contains(
            r#"nodes \"rbh6\" is forbidden: node \"rbh5\" is not allowed to modify node \"rbh6\""#
        ) && out.ends_with(" 403 rc=0\n"),
        "{out}"
    );
    lab.rogue_cert("rbh5", "/O=system:nodes/CN=system:node:rbh6");
    let out = put("--cert /tmp/rogue.crt --key /tmp/rogue.key");
    assert!(!out.ends_with(" rc=0\n"), "{out}");
    let out = put("");
    assert!(out.ends_with(" 401 rc=0\n"), "{out}");
    lab.ssh("rbh6", "ip link del rbk0");
    reset_workers(&lab, &workers);
}

#[test]
fn a_rolling_run_stops_at_the_first_unhealthy_worker() {
    let (lab, _g) = lab!();
    let workers = ["rbh5", "rbh6", "rbh7"];
    reset_workers(&lab, &workers);
    // rbh6's kubelet will answer healthz with 500.
    lab.ssh(
        "rbh6",
        "mkdir -p /etc/rb-lab && touch /etc/rb-lab/kubelet-fail",
    );
    let fx = k8s_fixture(&lab, &workers);
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.inventory_with(
        "",
        "[workers]\nrbh5\nrbh6\nrbh7\n\n[workers:vars]\nk8s_interface=eth0\n",
        dir.path(),
    );
    let mut args: Vec<&str> = fx.args.iter().map(String::as_str).collect();
    args.extend(["-e", "health_retries=2"]);
    let out = run_book(&lab, &inv, "workers.rhai", &args, &fx.env());
    out.code(1);
    let err = stderr(&out);
    assert!(
        err.contains("rbh6 › FAILED: wait for kubelet healthz"),
        "{err}"
    );
    assert!(
        err.contains("max_fail_percentage 0% exceeded in batch 2"),
        "{err}"
    );
    assert_eq!(
        lab.ssh("rbh5", "curl -s http://10.77.0.15:10248/healthz"),
        "ok",
        "the first worker was upgraded"
    );
    assert_eq!(
        lab.ssh("rbh7", "ls /usr/local/bin/kubelet /etc/systemd/system/kubelet.service /var/lib/kubelet 2>/dev/null"),
        "",
        "the worker after the unhealthy one is untouched"
    );
    reset_workers(&lab, &workers);

    // rbh6's kubelet is healthy but its node never becomes Ready: the run stops there too.
    lab.ssh(
        "rbh6",
        "mkdir -p /etc/rb-lab && touch /etc/rb-lab/kubelet-notready",
    );
    let out = run_book(&lab, &inv, "workers.rhai", &args, &fx.env());
    out.code(1);
    let err = stderr(&out);
    assert!(err.contains("rbh6 › FAILED: wait for node Ready"), "{err}");
    assert!(
        err.contains("rbh6 › wait for kubelet healthz › curl"),
        "{err}"
    );
    assert_eq!(
        lab.ssh("rbh7", "ls /usr/local/bin/kubelet 2>/dev/null"),
        "",
        "the worker after the one that is not Ready is untouched"
    );
    let nodes = fx.nodes();
    assert!(
        nodes.contains(&("rbh6".into(), "10.77.0.16".into(), "False".into())),
        "{nodes:?}"
    );
    reset_workers(&lab, &workers);
}
