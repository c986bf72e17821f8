//! Any kubectl JSONPath template over a node-list-like document.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|template: &str| {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        serde_json::json!({"items": [
            {"metadata": {"name": "w1", "labels": {"a": "b"}},
             "status": {"conditions": [{"type": "Ready", "status": "True"}],
                        "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}},
            {"metadata": {"name": "w2"}, "spec": {"podCIDR": "10.0.1.0/24"}, "n": 1.5}
        ]})
    });
    let _ = kubepath::render(template, doc);
});
