//! The stdlib modules: docs/stdlib.md is generated from them, and every example runs on a
//! lab host (rbh7, with a one-member etcd and the kube API stub) and gives what it says.

use crate::common::*;
use rb::docs::{stdlib_docs, stdlib_markdown};
use rb::inventory::Inventory;
use rb::transport::SshOptions;
use rb::Runtime;

#[test]
fn stdlib_md_is_generated_from_the_modules() {
    let path = root().join("docs/stdlib.md");
    let want = stdlib_markdown();
    if std::env::var_os("RB_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).unwrap_or_default() == want,
        "docs/stdlib.md is stale: run RB_BLESS=1 cargo test --test suite -- stdlib::"
    );
    for f in stdlib_docs() {
        assert!(
            !f.doc.is_empty() && !f.example.is_empty(),
            "{} needs a doc and an example",
            f.signature
        );
    }
}

#[test]
fn every_stdlib_example_gives_what_it_says() {
    let (lab, _g) = lab!();
    // rbh7: a single-member etcd for the etcd examples (lab hosts start bare: etcd-server
    // and etcdctl's etcd-client come from the lab's package repository; the package starts
    // etcd at install, as on any Debian host, so it is stopped and reconfigured).
    lab.ssh(
        "rbh7",
        "apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client >/dev/null 2>&1; systemctl stop etcd; rm -rf /var/lib/etcd/default; printf 'ETCD_LISTEN_CLIENT_URLS=\"http://10.77.0.17:2379\"\\nETCD_ADVERTISE_CLIENT_URLS=\"http://10.77.0.17:2379\"\\n' > /etc/default/etcd; systemctl start etcd",
    );
    let stub = KubeStub::start(&root().join("tests/fixtures/nodes.json"));
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: {}\ncontexts:\n- name: s\n  context:\n    cluster: s\ncurrent-context: s\n",
            stub.server()
        ),
    )
    .unwrap();
    std::env::set_var("KUBECONFIG", &kubeconfig);
    let rt = Runtime::builder()
        .inventory(Inventory::load(&[lab.inventory().display().to_string()], None).unwrap())
        .ssh_options(SshOptions {
            config: Some(lab.ssh_config()),
            ..SshOptions::default()
        })
        .build()
        .unwrap();
    // Wait for etcd to serve.
    for _ in 0..50 {
        if lab
            .ssh(
                "rbh7",
                "ETCDCTL_API=3 etcdctl --endpoints=http://10.77.0.17:2379 endpoint health 2>&1",
            )
            .contains("is healthy")
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut failures = Vec::new();
    let docs = stdlib_docs();
    assert!(docs.len() >= 30, "{} documented functions", docs.len());
    for f in docs {
        let script = format!(
            "import \"{m}\" as {m};\nlet h = host(\"rbh7\");\nlet ep = \"http://10.77.0.17:2379\";\n{}",
            f.example,
            m = f.module
        );
        let got = match rt.run_script("example.rhai", &script) {
            Ok(v) if v.is_unit() => String::new(),
            Ok(v) if v.is_string() => v.into_string().unwrap(),
            Ok(v) => v.to_string(),
            Err(d) => format!("error: {d}"),
        };
        if got != f.gives {
            failures.push(format!(
                "{}: {}\n  want {:?}\n  got  {got:?}",
                f.signature, f.example, f.gives
            ));
        }
    }
    lab.ssh("rbh7", "systemctl stop etcd; systemctl stop rbdoc");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
