//! Any key and value through `env_line`'s writer: a clear refusal, or a line that reads
//! back as exactly the value, as systemd's EnvironmentFile= reads it
//! (src/basic/env-file.c, `parse_env_file_internal`, double-quoted states). The `sh`
//! round trip is the property test beside the writer (crates/core/src/transport/quote.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;
use rb::transport::quote::env_assignment;

fn systemd_reads(line: &str) -> Option<(String, String)> {
    let (key, rest) = line.split_once('=')?;
    let mut chars = rest.strip_prefix('"')?.chars();
    let mut value = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.next().is_none().then(|| (key.to_string(), value)),
            '\\' => match chars.next()? {
                e if "\"\\`$".contains(e) => value.push(e),
                '\n' => {}
                e => {
                    value.push('\\');
                    value.push(e);
                }
            },
            c => value.push(c),
        }
    }
    None
}

fuzz_target!(|input: (&str, &str)| {
    let (key, value) = input;
    if let Ok(line) = env_assignment(key, value) {
        assert!(!line.contains('\n'));
        assert_eq!(systemd_reads(&line), Some((key.to_string(), value.to_string())));
    }
});
