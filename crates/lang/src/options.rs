//! Options maps (`#{timeout: 5}`): one check for every function that takes them, so a typo
//! is an error naming the closest option before anything runs.

use crate::raise::OrMessage;
use rhai::Map;

/// The options `sh` accepts (see docs/reference.md).
pub const SH: &[&str] = &[
    "timeout",
    "env",
    "cwd",
    "stdin",
    "sudo",
    "become",
    "become_user",
    "check",
    "no_log",
    "changed_if",
    "failed_if",
    "changed",
    "check_mode",
    "shell",
];
pub const RETRY: &[&str] = &["retries", "delay"];
pub const WAIT_HTTP: &[&str] = &[
    "retries", "delay", "status", "timeout", "contains", "insecure",
];
pub const PUT: &[&str] = &["mode", "owner", "group", "become", "become_user", "sudo"];
pub const LINE_IN_FILE: &[&str] = &[
    "mode",
    "owner",
    "group",
    "create",
    "become",
    "become_user",
    "sudo",
];
pub const ON: &[&str] = &[
    "serial",
    "order",
    "forks",
    "max_fail_percentage",
    "any_errors_fatal",
    "seed",
];
pub const TASK: &[&str] = &["tags"];

/// Every function that takes an options map, with the keys it knows. The functions check
/// at run time and `rb check` (with every run, before anything runs) checks literal maps,
/// both from this table.
pub const TABLE: &[(&str, &str, &[&str])] = &[
    ("sh", "sh", SH),
    ("retry", "retry", RETRY),
    ("wait_http", "wait_http", WAIT_HTTP),
    ("put", "put", PUT),
    ("line_in_file", "line_in_file", LINE_IN_FILE),
    ("on", "on()", ON),
    ("task", "task", TASK),
];

/// The name `function`'s messages use and the options it knows, if it takes any.
pub fn of(function: &str) -> Option<(&'static str, &'static [&'static str])> {
    TABLE
        .iter()
        .find(|(f, _, _)| *f == function)
        .map(|(_, shown, known)| (*shown, *known))
}

/// `Ok` when every key of `opts` is in `known`; otherwise the first unknown one, e.g.
/// "unknown option `timout` for sh (did you mean `timeout`?); known options: ...".
pub fn check_known(opts: &Map, what: &str, known: &[&str]) -> OrMessage<()> {
    match opts.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(unknown(k, what, known)),
    }
}

/// The message for an option `key` that `what` does not know.
pub fn unknown(key: &str, what: &str, known: &[&str]) -> String {
    format!(
        "unknown option `{key}` for {what}{}; known options: {}",
        did_you_mean(key, known.iter().copied()),
        known.join(", ")
    )
}

/// ` (did you mean `x`?)` for the candidate closest to `name` within two edits (a swap of
/// two neighbours is one), or "".
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|k| (strsim::osa_distance(k, name), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_option_names_the_closest_known_one() {
        let mut m = Map::new();
        m.insert("timeout".into(), 1.into());
        assert_eq!(check_known(&m, "sh", &["timeout", "check"]), Ok(()));
        m.insert("chek".into(), 1.into());
        assert_eq!(
            check_known(&m, "sh", &["timeout", "check"]).unwrap_err(),
            "unknown option `chek` for sh (did you mean `check`?); known options: timeout, check"
        );
        let mut far = Map::new();
        far.insert("colour".into(), 1.into());
        assert_eq!(
            check_known(&far, "on()", &["forks"]).unwrap_err(),
            "unknown option `colour` for on(); known options: forks"
        );
    }
}
