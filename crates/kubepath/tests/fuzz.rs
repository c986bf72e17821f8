//! Property tests as a bounded fuzzer (run by `cargo test`; PROPTEST_CASES raises the count):
//! no template makes kubepath panic or overflow the stack, on a realistic document.

use proptest::prelude::*;

fn template() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("{range .items[*]}".to_string()),
            Just("{end}".to_string()),
            Just(".metadata".to_string()),
            Just(".name".to_string()),
            Just("[?(@.type==\"Ready\")]".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just("..".to_string()),
            Just("*".to_string()),
            Just(":".to_string()),
            Just("-1".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just("@".to_string()),
            Just("<=".to_string()),
            Just(",".to_string()),
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn templates_never_panic(t in template()) {
        let doc = serde_json::json!({"items": [
            {"metadata": {"name": "w1", "labels": {"a": "b"}}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
            {"metadata": {"name": "w2"}, "spec": {"podCIDR": "10.0.1.0/24"}, "n": 1.5}
        ]});
        let _ = kubepath::render(&t, &doc);
    }
}
