//! Any template text through `files::render`: the rendered text or an error naming the
//! placeholder without a value.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let rt = rb::Runtime::builder().build().unwrap();
    let script = format!(
        "import \"files\" as files;\nfiles::render({}, #{{a: \"1\", b: 2}})",
        serde_json::to_string(text).unwrap()
    );
    let _ = rt.run_script("fuzz.rhai", &script);
});
