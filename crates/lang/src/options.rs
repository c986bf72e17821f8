//! Options maps (`#{timeout: 5}`): one check for every function that takes them, so a typo
//! is an error naming the closest option before anything runs.

use crate::raise::OrMessage;
use rhai::Map;

/// `Ok` when every key of `opts` is in `known`; otherwise the first unknown one, e.g.
/// "unknown option `timout` for sh (did you mean `timeout`?); known options: ...".
pub fn check_known(opts: &Map, what: &str, known: &[&str]) -> OrMessage<()> {
    match opts.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(format!(
            "unknown option `{k}` for {what}{}; known options: {}",
            did_you_mean(k, known.iter().copied()),
            known.join(", ")
        )),
    }
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
