//! kubectl's own output, replayed: `tests/kubectl/expected.json` holds what the real kubectl
//! printed for each template over `tests/kubectl/nodes.json` (its `get nodes -o json` of the
//! workspace's fixture). The workspace test `tests/kubectl_jsonpath.rs` runs kubectl and
//! fails if this recording drifts (`RB_BLESS=1` rewrites it); this copy needs no kubectl, so
//! the crate's mutation tests run in seconds.

use serde_json::Value;

fn load(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/kubectl")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn every_template_prints_what_kubectl_printed() {
    let doc = load("nodes.json");
    let expected = load("expected.json");
    let cases = expected.as_array().unwrap();
    assert!(cases.len() >= 60, "only {} recorded templates", cases.len());
    let mut mismatches = Vec::new();
    for case in cases {
        let template = case["template"].as_str().unwrap();
        let ok = case["ok"].as_bool().unwrap();
        let want = case["stdout"].as_str().unwrap();
        let said = case["stderr"].as_str().unwrap_or_default();
        match (ok, kubepath::render(template, &doc)) {
            (true, Ok(got)) if got == want => {}
            // A failure in kubectl's words: what rb says after its own prefix is what
            // kubectl said.
            (false, Err(e)) => {
                let msg = e.to_string();
                let detail = msg
                    .split_once("failed: ")
                    .or_else(|| msg.split_once(": "))
                    .map_or(msg.as_str(), |x| x.1);
                // kubectl: `... Error executing template: WHAT. Printing more ...` or
                // `error parsing jsonpath TEMPLATE, WHAT`.
                let what = match said.split_once("Error executing template: ") {
                    Some((_, rest)) => rest.split(". Printing more").next().unwrap_or(rest),
                    None => said
                        .strip_prefix(&format!("error: error parsing jsonpath {template}, "))
                        .unwrap_or(said),
                };
                if what != detail {
                    mismatches.push(format!(
                        "template {template}\n  kubectl: {said}\n  kubepath: {msg}"
                    ));
                }
            }
            (_, got) => mismatches.push(format!(
                "template {template}\n  kubectl: {ok} {want:?}\n  kubepath: {got:?}"
            )),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
