//! Any host pattern over a small inventory with ranges, children and vars.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const INV: &str = "[web]\nweb[1:20]\n[db]\ndb[a:e]\n[all:children]\nweb\n[k8s:children]\nweb\ndb\n";

fuzz_target!(|pattern: &str| {
    static INVENTORY: OnceLock<inventory::Inventory> = OnceLock::new();
    let inv = INVENTORY.get_or_init(|| inventory::Inventory::parse_ini("inv.ini", INV).unwrap());
    let _ = inv.select(pattern);
});
