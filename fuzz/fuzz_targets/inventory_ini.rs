//! Any INI inventory text: a result or an error, never a panic or a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = inventory::Inventory::parse_ini("fuzz.ini", text);
    let _ = inventory::parse_extra_vars(text);
});
