//! `kube_jsonpath` against the real kubectl: the same template over the same nodes must
//! print the same bytes, and fail where kubectl fails.

use crate::common::*;

/// Templates operators write, over a realistic node list (tests/fixtures/nodes.json).
const TEMPLATES: &[&str] = &[
    // The seed's one-liner (prefetch-2018), verbatim.
    r#"{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address} {.spec.podCIDR} {"\n"}{end}"#,
    r#"{.items[*].metadata.name}"#,
    r#"{range .items[*]}{.metadata.name}{"\t"}{.status.nodeInfo.kernelVersion}{"\n"}{end}"#,
    r#"{.items[0].metadata.name}"#,
    r#"{.items[-1:].metadata.name}"#,
    r#"{.items[-1].metadata.name}"#,
    r#"{.items[1:3].metadata.name}"#,
    r#"{.items[::2].metadata.name}"#,
    r#"{.items[0:4:3].metadata.name}"#,
    r#"{.items[*].status.addresses[?(@.type=="InternalIP")].address}"#,
    r#"{.items[*].status.addresses[?(@.type!="Hostname")].address}"#,
    r#"{..podCIDR}"#,
    r#"{.items[*].spec.podCIDRs}"#,
    r#"{.items[0].metadata.labels}"#,
    r#"{.items[0].metadata.annotations}"#,
    r#"{.items[*].metadata.labels.kubernetes\.io/hostname}"#,
    r#"{.items[?(@.spec.unschedulable==true)].metadata.name}"#,
    r#"{.items[?(@.spec.unschedulable)].metadata.name}"#,
    r#"{.items[?(@.spec.taints)].spec.taints[*].key}"#,
    r#"{range .items[*]}{.metadata.name}{": "}{range .status.conditions[*]}{.type}={.status}{" "}{end}{"\n"}{end}"#,
    r#"{range .items[*]}{.metadata.name} {range .status.conditions[?(@.type=="Ready")]}{.status}{end}{"\n"}{end}"#,
    r#"{.items[*].status.daemonEndpoints.kubeletEndpoint.Port}"#,
    r#"{.items[?(@.status.daemonEndpoints.kubeletEndpoint.Port>=10250)].metadata.name}"#,
    r#"{.items[0].status.rbMetrics.load} {.items[0].status.rbMetrics.big} {.items[0].status.rbMetrics.tiny} {.items[0].status.rbMetrics.huge} {.items[0].status.rbMetrics.whole} {.items[0].status.rbMetrics.neg}"#,
    r#"{.items[0].status.rbMetrics}"#,
    r#"{.kind} {.apiVersion}"#,
    r#"{.items[0].status.images[*].names[0]}"#,
    r#"{.items[0].status.images[*].sizeBytes}"#,
    r#"{.items[0]['spec']['podCIDR']}"#,
    r#"{.items[0,2].metadata.name}"#,
    r#"{.items[0].status.addresses[*]['type','address']}"#,
    r#"nodes: {.items[*].metadata.name} (done)"#,
    r#"{.items[4].metadata.annotations.rb\.example/weight}"#,
    r#"{.items[*].metadata.missing}"#,
    r#"{$.items[0].metadata.name}"#,
    r#"{@.items[0].metadata.uid}"#,
    r#"{.items[?(@.metadata.name=='kubworker3.prefetch.net')].status.nodeInfo.osImage}"#,
    r#"{.items[*].status.conditions[?(@.status=="True")].type}"#,
    r#"{.items[*].status.allocatable.memory}"#,
    r#"{.items[?(@.status.nodeInfo.kernelVersion>"4.11")].metadata.name}"#,
    r#"{.items[0].spec.podCIDRs[0]}"#,
    r#"{"a\tb\u00e9"}{.items[0].metadata.name}"#,
    r#"{.items[?(@.metadata.name=="nope")]}"#,
    r#"{range .items[*]}{.metadata.name}{"\n"}"#,
    r#"{.items[3].status.addresses}"#,
    r#"{.items[?(@.status.daemonEndpoints.kubeletEndpoint.Port<10250)].metadata.name}"#,
    r#"{range .items[?(@.spec.podCIDR)]}{.metadata.name}={.spec.podCIDR}{";"}{end}"#,
    r#"{.}"#,
    // Comparison operators on ints, floats and strings; negative slices and steps.
    r#"{.items[?(@.status.daemonEndpoints.kubeletEndpoint.Port<=10250)].metadata.name}"#,
    r#"{.items[?(@.status.daemonEndpoints.kubeletEndpoint.Port>10250)].metadata.name}"#,
    r#"{.items[?(@.status.daemonEndpoints.kubeletEndpoint.Port!=10250)].metadata.name}"#,
    r#"{.items[?(@.status.daemonEndpoints.kubeletEndpoint.Port==10250)].metadata.name}"#,
    r#"{.items[?(@.status.rbMetrics.load>0.5)].metadata.name}"#,
    r#"{.items[?(@.status.rbMetrics.load<=0.5)].metadata.name}"#,
    r#"{.items[?(@.status.rbMetrics.load>=1.5)].metadata.name}"#,
    r#"{.items[?(@.status.rbMetrics.load<1.5)].metadata.name}"#,
    r#"{.items[?(@.metadata.name<"kubworker2.prefetch.net")].metadata.name}"#,
    r#"{.items[?(@.metadata.name>="kubworker2.prefetch.net")].metadata.name}"#,
    r#"{.items[?(@.metadata.name!="kubworker2.prefetch.net")].metadata.name}"#,
    r#"{.items[?(@.status.nodeInfo.kernelVersion<="4.11")].metadata.name}"#,
    r#"{.items[-2:].metadata.name}"#,
    r#"{.items[:-1].metadata.name}"#,
    r#"{.items[-3:-1].metadata.name}"#,
    r#"{.items[1::2].metadata.name}"#,
    r#"{.items[::3].metadata.name}"#,
    // Floats at the edges of Go's two formats: fmt's %v (exponent below 1e-4 and from 1e21)
    // for single values, encoding/json (below 1e-6, from 1e21) inside arrays and maps.
    r#"{range .items[0].status.rbMetrics.floats[*]}{@}{" "}{end}"#,
    r#"{.items[0].status.rbMetrics.floats}"#,
    r#"{.items[0].status.rbMetrics.floats[1:4]}"#,
    r#"{.items[0].status.rbMetrics.floats[-3:]}"#,
    r#"{.items[0].status.rbMetrics.floats[7:2]}"#,
    r#"{.items[0].status.rbMetrics.floats[::-1]}"#,
    r#"{.items[0].status.rbMetrics.floats[0:21:5]}"#,
    r#"{.items[0].status.rbMetrics.floats[20:30]}"#,
    r#"{.items[0].status.rbMetrics.floats[-30:2]}"#,
    r#"{.items[0].status.rbMetrics.floats[?(@ > 100)]}"#,
    r#"{.items[*].status.rbMetrics.floats[0]}"#,
    r#"{.items[0].metadata.name.*}"#,
    // (`.*` over a map is left out: kubectl walks Go's map in random order.)
    r#"{.items[?(@.metadata.labels)].metadata.name}"#,
    r#"{.items[0].status.addresses[?(@.address=="192.168.2.44")].type}"#,
    r#"{.items[?(@.status.rbMetrics.count==42)].metadata.name}"#,
    r#"{.items[?(@.status.rbMetrics.load==1.5)].metadata.name}"#,
    r#"{.items[?(@.spec.unschedulable!=true)].metadata.name}"#,
    r#"{..address}"#,
    r#"{.items[0].status.rbMetrics.bigint} {.items[0].status.rbMetrics.ctl}"#,
    r#"{.items[?(@.spec.unschedulable==false)].metadata.name}"#,
    r#"{.items[?(@.spec.taints[0].effect=="NoSchedule")].metadata.name}"#,
    r#"{range .items[*]}{range .spec.taints[*]}{.key}{end}|{end}"#,
    r#"{range .items[?(@.spec.podCIDR)]}{.status.nodeInfo.kernelVersion}{" "}{.metadata.labels}{end}"#,
    r#"{.items[1:1].metadata.name}"#,
    r#"{.items[4:].metadata.name}"#,
    r#"{.items[:0].metadata.name}"#,
    r#"{.items[0:0].metadata.name}"#,
    r#"{.items[-5:].metadata.name}"#,
    r#"{.items[?(@.metadata.name=="a)b]")].metadata.name}"#,
    r#"{.items[?(@.metadata.name=='kubworker1.prefetch.net')].metadata.name}"#,
    r#"{"\a\b\f\r\v\\ \x41\101\u00e9\U0001F600 \"q\""}"#,
    r#"{..metadata.name}"#,
    r#"{.items[ 0 ].metadata.name}"#,
    r#"{.items[0:4:2].metadata.name}"#,
    r#"{1} {-2.5} {+3}"#,
    r#"{.items[0]..address}"#,
    r#"{.items[0]['metadata']['name']}"#,
    r#"{.items[?(@.metadata.name=="a\")b")].metadata.name}"#,
    r#"{.items[?(@.metadata.name=='a")b')].metadata.name}"#,
    r#"{.items[?(@.metadata.name==@.nothing)].metadata.name}"#,
    r#"{.items[0].status.rbMetrics.nothing[0]}"#,
    // Errors kubectl reports; rb must fail too, with kubectl's words.
    r#"{.items[0].status.rbMetrics.count[0]}"#,
    r#"{.items[0].status.rbMetrics.load[0]}"#,
    r#"{.items[0].metadata[0]}"#,
    r#"{.items[0].status.rbMetrics.ctl[0]}"#,
    r#"{.items[1:-10].metadata.name}"#,
    r#"{.items[2:-5].metadata.name}"#,
    r#"{.items[0]['metadata]}"#,
    r#"{.items[?(@.metadata.name==)].metadata.name}"#,
    r#"{.items[?(@.metadata.name=)].metadata.name}"#,
    r#"{.items[?(@.metadata.name== )].metadata.name}"#,
    r#"{.items[?(@.metadata.name=x)].metadata.name}"#,
    r#"{.items[?(@.metadata.name=="x)].metadata.name}"#,
    r#"{.items[?(@.metadata.name=="x')].metadata.name}"#,
    r#"{"a\'b"}"#,
    r#"{"unterminated}"#,
    r#"{.items[0].metadata.name[?(@.x)]}"#,
    r#"{.items[0].metadata.labels[?(@.x)]}"#,
    r#"{.items[5:].metadata.name}"#,
    r#"{.items[-6:].metadata.name}"#,
    r#"{.items[?(@.metadata.name}"#,
    r#"{.items[?()]}"#,
    r#"{"\q"}"#,
    r#"{.items[0:4:0].metadata.name}"#,
    r#"{.items[0].status.rbMetrics.floats[99]}"#,
    r#"{.items[0].spec.podCIDR[0]}"#,
    r#"{.items[?(@.metadata.name>1)].metadata.name}"#,
    r#"{range .items[*]}{.metadata.name}{end}{end}"#,
    r#"{.items[0].metadata.name[1:2]}"#,
    r#"{.items[0].metadata.name[*]}"#,
    r#"{.items[5].metadata.name}"#,
    r#"{.items["#,
    r#"{.items[0].metadata.name"#,
    r#"{end}"#,
    r#"{.items[?(@.status.daemonEndpoints.kubeletEndpoint.Port=="x")].metadata.name}"#,
];

#[test]
fn kube_jsonpath_prints_what_kubectl_prints() {
    let stub = KubeStub::start(&root().join("tests/fixtures/nodes.json"));
    // The document kubectl's printer sees: its own `-o json` (a List, not the NodeList).
    let list = stub.kubectl(&["get", "nodes", "-o", "json"]);
    assert!(
        list.status.success(),
        "kubectl get nodes: {}",
        stderr(&list)
    );
    let doc: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();

    assert!(TEMPLATES.len() >= 30);
    let mut mismatches = Vec::new();
    let mut kubectl_ok = 0;
    let mut recorded = Vec::new();
    for t in TEMPLATES {
        let want = stub.kubectl(&["get", "nodes", "-o", &format!("jsonpath={t}")]);
        kubectl_ok += usize::from(want.status.success());
        recorded.push(serde_json::json!({
            "template": t,
            "ok": want.status.success(),
            "stdout": if want.status.success() { stdout(&want) } else { String::new() },
            // What kubectl says when it fails (its first line), for the crate's test to
            // check rb's message against.
            "stderr": if want.status.success() { String::new() } else { stderr(&want).lines().next().unwrap_or("").to_string() },
        }));
        let got = rb::kubepath::render(t, &doc);
        match (want.status.success(), got) {
            (true, Ok(g)) if g.as_bytes() == want.stdout => {}
            (false, Err(_)) => {}
            (_, got) => mismatches.push(format!(
                "template {t}\n  kubectl: {:?} {:?}\n  rb:      {got:?}",
                stdout(&want),
                stderr(&want).lines().next().unwrap_or("")
            )),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Most of the table must be real output, not agreement on failing.
    assert!(
        kubectl_ok >= 45,
        "kubectl printed only {kubectl_ok} templates"
    );
    // The kubepath crate's own test (crates/kubepath/tests/kubectl.rs) replays what kubectl
    // printed here without kubectl, so mutation testing of the crate runs in seconds. The
    // recording must stay what kubectl prints today.
    check_recording(
        "crates/kubepath/tests/kubectl/nodes.json",
        &serde_json::to_string_pretty(&doc).unwrap(),
    );
    check_recording(
        "crates/kubepath/tests/kubectl/expected.json",
        &serde_json::to_string_pretty(&recorded).unwrap(),
    );
}

fn check_recording(path: &str, text: &str) {
    let path = root().join(path);
    let text = format!("{text}\n");
    if std::env::var_os("RB_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    // The same JSON, whatever order its maps were written in.
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
    assert!(
        parse(&saved).is_some() && parse(&saved) == parse(&text),
        "{} differs from what kubectl prints: run RB_BLESS=1 cargo test --test suite -- kubectl_jsonpath::",
        path.display()
    );
}

#[test]
fn seed_one_liner_in_a_runbook_matches_kubectl() {
    let stub = KubeStub::start(&root().join("tests/fixtures/nodes.json"));
    let template = TEMPLATES[0];
    let want = stub.kubectl(&["get", "nodes", "-o", &format!("jsonpath={template}")]);
    let script = format!(
        r#"
let nodes = sh(["kubectl", "--server={}", "get", "nodes", "-o", "json"]).json();
print(kube_jsonpath(nodes, `{}`));
"#,
        stub.server(),
        template.replace('`', "\\`")
    );
    let (out, _dir) = run_script(&script, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // print adds one newline after the text.
    assert_eq!(stdout(&out), format!("{}\n", stdout(&want)));
    assert_eq!(
        stdout(&want),
        "192.168.2.44 10.1.4.0/24 \n192.168.2.45 10.1.0.0/24 \n192.168.2.46 10.1.2.0/24 \n\
         192.168.2.47 fd00:10:1::47 10.1.3.0/24 \n192.168.2.48  \n"
    );
}
