//! Property tests as a bounded fuzzer (run by `cargo test`; PROPTEST_CASES raises the count
//! for a longer run): no inventory text, YAML, pattern or `-e` value makes the parser panic,
//! hang or allocate without bound. The crashers found by hand are kept as fixed cases.

use inventory::{parse_extra_vars, Inventory};
use proptest::prelude::*;

/// Text built from the characters inventories are made of, so the parser's paths are hit.
fn ini_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("[".to_string()),
            Just("]".to_string()),
            Just(":".to_string()),
            Just("children".to_string()),
            Just("vars".to_string()),
            Just("=".to_string()),
            Just("\n".to_string()),
            Just(" ".to_string()),
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("#".to_string()),
            Just("web".to_string()),
            Just("0".to_string()),
            Just("9".to_string()),
            Just("{".to_string()),
            Just("(".to_string()),
            Just(",".to_string()),
            "[a-z0-9._-]{1,4}",
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

fn pattern_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("web".to_string()),
            Just("all".to_string()),
            Just(":".to_string()),
            Just(",".to_string()),
            Just("&".to_string()),
            Just("!".to_string()),
            Just("~".to_string()),
            Just("*".to_string()),
            Just("?".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("-".to_string()),
            Just("1".to_string()),
            Just("(".to_string()),
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..30,
    )
    .prop_map(|v| v.concat())
}

const INV: &str = "[web]\nweb[1:20]\n[db]\ndb[a:e]\n[all:children]\nweb\n[k8s:children]\nweb\ndb\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn ini_never_panics(text in ini_text()) {
        let _ = Inventory::parse_ini("fuzz.ini", &text);
    }

    #[test]
    fn yaml_never_panics(text in ini_text()) {
        let _ = Inventory::parse_yaml("fuzz.yml", &text.replace('=', ": "));
    }

    #[test]
    fn patterns_never_panic(p in pattern_text()) {
        let inv = Inventory::parse_ini("inv.ini", INV).unwrap();
        let _ = inv.select(&p);
    }

    #[test]
    fn extra_vars_never_panic(text in ini_text()) {
        let _ = parse_extra_vars(&text);
    }
}

/// The crashers from issue 13, kept: each is an error or a result, quickly.
#[test]
fn known_crashers_are_errors() {
    let started = std::time::Instant::now();
    let zeros = format!("h[{}1:2]\n", "0".repeat(65_535));
    assert!(Inventory::parse_ini("a.ini", &zeros).is_err());
    let wide = format!("h[{}1:{}2]\n", "0".repeat(65_535), "0".repeat(65_535));
    assert!(Inventory::parse_ini("a.ini", &wide).is_err());
    assert!(Inventory::parse_ini("a.ini", "h[1:100000][1:100000]\n").is_err());
    assert!(Inventory::parse_ini("a.ini", "h[1:1000][1:1000]\n").is_err());
    let deep = format!("a: {}1{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert!(Inventory::parse_yaml("a.yml", &deep).is_err());
    let big = Inventory::parse_ini("a.ini", "[web]\nw[1:100000]\n").unwrap();
    assert_eq!(big.select("web[0]").unwrap().hosts, [0]);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}
