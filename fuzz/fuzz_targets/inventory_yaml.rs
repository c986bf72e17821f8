//! Any YAML inventory text: a result or an error, never a panic or a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = inventory::Inventory::parse_yaml("fuzz.yml", text);
});
