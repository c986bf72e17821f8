//! The bundled runbooks on the lab: a real etcd cluster, real kernel routes, the real kubectl.

mod common;
use common::*;
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
    rb().arg("run")
        .arg(root().join("runbooks").join(book))
        .arg("-i")
        .arg(inv)
        .arg("--ssh-config")
        .arg(lab.ssh_config())
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Total `changed` over the recap of a `--json` run.
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

#[test]
fn etcd_runbook_builds_a_healthy_three_member_cluster_and_rerun_changes_nothing() {
    let (lab, _g) = lab();
    for (h, _) in ETCD {
        lab.ssh(
            h,
            "systemctl stop etcd; rm -rf /var/lib/etcd/default; rm -f /etc/default/etcd",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.inventory_with("", "[etcd]\nrbh[1:3]\n", dir.path());

    // --check on fresh hosts: says what it would do, changes nothing.
    let out = run_book(&lab, &inv, "etcd.rhai", &["--check"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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

    let again = run_book(
        &lab,
        &inv,
        "etcd.rhai",
        &["-e", "health_delay=1", "--json"],
        &[],
    );
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert_eq!(changed_in_recap(&again), 0, "{}", stdout(&again));
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
    let (lab, _g) = lab();
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
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert_eq!(
        gateway_routes(&lab, "rbh4"),
        [
            "10.200.5.0/24 via 10.77.0.16",
            "10.200.99.0/24 via 10.77.0.19"
        ],
        "--check changed routes"
    );

    let out = run_book(&lab, &inv, "routing.rhai", &[], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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

    let again = run_book(&lab, &inv, "routing.rhai", &["--json"], &env);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert_eq!(changed_in_recap(&again), 0, "{}", stdout(&again));
}

#[test]
fn flannel_runbook_leases_subnets_builds_vxlan_and_cleans_stale_leases() {
    let (lab, _g) = lab();
    const WORKERS: [(&str, &str); 3] = [
        ("rbh8", "10.77.0.18"),
        ("rbh9", "10.77.0.19"),
        ("rbh10", "10.77.0.20"),
    ];
    let etcdctl = "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.11:2379";
    for (h, _) in WORKERS {
        lab.ssh(h, "systemctl stop flanneld; ip link del flannel.1 2>/dev/null; rm -f /etc/default/flanneld /etc/systemd/system/flanneld.service");
    }
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.inventory_with(
        "",
        "[etcd]\nrbh[1:3]\n[workers]\nrbh8\nrbh9\nrbh10\n",
        dir.path(),
    );
    // The etcd cluster the leases live in (the etcd runbook; a no-op if it is already up).
    let out = run_book(&lab, &inv, "etcd.rhai", &["-e", "health_delay=1"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    lab.ssh(
        "rbh1",
        &format!("{etcdctl} del --prefix /atomic.io/network"),
    );
    // A lease left behind by a worker whose address changed.
    lab.ssh(
        "rbh1",
        &format!("{etcdctl} put /atomic.io/network/subnets/10.240.99.0-24 '{{\"PublicIP\":\"10.77.0.99\",\"BackendType\":\"vxlan\",\"BackendData\":{{\"VtepMAC\":\"aa:bb:cc:dd:ee:ff\"}}}}'"),
    );

    let out = run_book(&lab, &inv, "flannel.rhai", &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("removed stale lease /atomic.io/network/subnets/10.240.99.0-24"),
        "{}",
        stdout(&out)
    );

    let config = lab.ssh("rbh2", "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.12:2379 get --print-value-only /atomic.io/network/config");
    let config: Value = serde_json::from_str(config.trim()).unwrap();
    assert_eq!(
        config,
        serde_json::json!({"Network": "10.240.0.0/16", "SubnetLen": 24, "Backend": {"Type": "vxlan", "VNI": 1}})
    );
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
    assert_eq!(
        owners,
        ["10.77.0.18", "10.77.0.19", "10.77.0.20"],
        "{leases}"
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

    let again = run_book(&lab, &inv, "flannel.rhai", &["--json"], &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert_eq!(changed_in_recap(&again), 0, "{}", stdout(&again));
    for (h, _) in WORKERS {
        lab.ssh(
            h,
            "systemctl stop flanneld; ip link del flannel.1 2>/dev/null",
        );
    }
}
