//! Any runbook text through the compiler and rb's checks (compiled, never run).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &[u8]| {
    let dir = std::env::temp_dir().join(format!("rb-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let f = dir.join("fuzz.rhai");
    if std::fs::write(&f, text).is_ok() {
        let mut rt = rb::Runtime::builder().build().unwrap();
        let _ = rt.check_file(&f);
    }
});
