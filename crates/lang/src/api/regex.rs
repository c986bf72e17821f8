//! Regular expressions: `text.matches(re)` (bash's `=~`), `re_captures`, `re_find_all`,
//! `re_replace`. Patterns are compiled once per process and cached
//! (up to 10,000 distinct patterns; past that the cache starts over).

use crate::raise::{at, OrMessage, RhaiResult};
use regex::Regex;
use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

static CACHE: LazyLock<Mutex<HashMap<String, Arc<Regex>>>> = LazyLock::new(Default::default);

/// The compiled pattern, or an error that shows the pattern and what is wrong with it.
pub fn compile(pattern: &str) -> OrMessage<Arc<Regex>> {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(re) = cache.get(pattern) {
        return Ok(re.clone());
    }
    let re = Regex::new(pattern).map_err(|e| {
        // regex's own message already points at the spot with a caret; keep it, indented.
        let detail = e.to_string();
        let detail = detail
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("regex parse error"))
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n");
        format!("invalid regex {pattern:?}:\n{detail}")
    })?;
    let re = Arc::new(re);
    if cache.len() > 10_000 {
        cache.clear();
    }
    cache.insert(pattern.to_string(), re.clone());
    Ok(re)
}

fn re(nctx: &NativeCallContext, pattern: &str) -> RhaiResult<Arc<Regex>> {
    compile(pattern).map_err(|e| at(nctx, e))
}

pub fn register(engine: &mut Engine) {
    engine.register_fn(
        "matches",
        |nctx: NativeCallContext, text: &str, pattern: &str| -> RhaiResult<bool> {
            Ok(re(&nctx, pattern)?.is_match(text))
        },
    );
    engine.register_fn(
        "re_captures",
        |nctx: NativeCallContext, text: &str, pattern: &str| -> RhaiResult<Dynamic> {
            let r = re(&nctx, pattern)?;
            let Some(caps) = r.captures(text) else {
                return Ok(Dynamic::UNIT);
            };
            let mut m = Map::new();
            for name in r.capture_names().flatten() {
                let v = caps
                    .name(name)
                    .map(|c| Dynamic::from(c.as_str().to_string()))
                    .unwrap_or(Dynamic::UNIT);
                m.insert(name.into(), v);
            }
            // Numbered groups too, as "0", "1", ... so unnamed patterns are useful.
            for (i, c) in caps.iter().enumerate() {
                let v = c
                    .map(|c| Dynamic::from(c.as_str().to_string()))
                    .unwrap_or(Dynamic::UNIT);
                m.insert(i.to_string().into(), v);
            }
            Ok(m.into())
        },
    );
    engine.register_fn(
        "re_find_all",
        |nctx: NativeCallContext, text: &str, pattern: &str| -> RhaiResult<Array> {
            let r = re(&nctx, pattern)?;
            // With one capture group, return what it captured (like Python's findall).
            Ok(if r.captures_len() == 2 {
                r.captures_iter(text)
                    .filter_map(|c| c.get(1).map(|m| Dynamic::from(m.as_str().to_string())))
                    .collect()
            } else {
                r.find_iter(text)
                    .map(|m| Dynamic::from(m.as_str().to_string()))
                    .collect()
            })
        },
    );
    engine.register_fn(
        "re_replace",
        |nctx: NativeCallContext, text: &str, pattern: &str, with: &str| -> RhaiResult<String> {
            Ok(re(&nctx, pattern)?.replace_all(text, with).into_owned())
        },
    );
}
