//! The runbook compiler as a bounded fuzz target (run by `cargo test`; PROPTEST_CASES raises
//! the count): no runbook text makes `rb check` panic. Only compiled, never run.

use proptest::prelude::*;

fn runbook() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("let x = ".to_string()),
            Just("sh(\"true\")".to_string()),
            Just("on(hosts(\"all\"), |h| ".to_string()),
            Just("import \"net\" as net;".to_string()),
            Just("net::".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(";".to_string()),
            Just("\n".to_string()),
            Just("\"".to_string()),
            Just("#{a: 1}".to_string()),
            Just(".".to_string()),
            Just("fn f(a) { a }".to_string()),
            Just("||".to_string()),
            "[a-z_]{1,6}",
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn the_compiler_never_panics(text in runbook()) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("fuzz.rhai");
        std::fs::write(&f, &text).unwrap();
        let mut rt = rb::Runtime::builder().build().unwrap();
        let _ = rt.check_file(&f);
    }
}
