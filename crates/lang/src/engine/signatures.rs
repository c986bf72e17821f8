//! What the engine's own function signatures say about rb's types, for checks that run
//! before anything does: which properties a command result has, what `sh` returns, which
//! methods change their value in place and return nothing.
//!
//! Read from `Engine::gen_fn_signatures`, so a function registered tomorrow is known to the
//! checks without a second list.

use rhai::Engine;
use std::collections::{HashMap, HashSet};

/// One registered overload.
#[derive(Debug)]
struct Overload {
    /// The first parameter's type, `None` when it takes anything (`Dynamic`, untyped).
    first: Option<String>,
    /// The first parameter is `&mut`: the function may change its value in place.
    first_mut: bool,
    /// The return type, `()` when it returns nothing.
    ret: String,
}

pub struct Signatures {
    fns: HashMap<String, Vec<Overload>>,
    /// The types rb itself defines (a command result, a host, a host list, ...).
    rb_types: HashSet<String>,
}

impl Signatures {
    pub fn of(engine: &Engine) -> Self {
        Self::from_lines(engine.gen_fn_signatures(true).iter().map(String::as_str))
    }

    fn from_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Self {
        let mut fns: HashMap<String, Vec<Overload>> = HashMap::new();
        let mut rb_types = HashSet::new();
        for line in lines {
            let Some(open) = line.find('(') else { continue };
            let name = line[..open].trim();
            let (params, ret) = match line.rfind(") -> ") {
                Some(i) => (&line[open + 1..i], Some(&line[i + 5..])),
                None => (line[open + 1..].trim_end_matches(')'), None),
            };
            let ret = match ret {
                None => "()".to_string(),
                Some(r) => {
                    let r = unwrap_result(r.trim());
                    if r.starts_with("rb::") || r.starts_with("rb_") {
                        rb_types.insert(short(r).to_string());
                    }
                    short(r).to_string()
                }
            };
            let first = split_params(params).into_iter().next().unwrap_or("");
            let ty = first.split_once(": ").map_or("_", |(_, t)| t).trim();
            let first_mut = ty.starts_with("&mut ");
            let ty = short(ty.trim_start_matches("&mut ").trim_start_matches('&'));
            let first = match ty {
                "_" | "" | "Dynamic" => None,
                t => Some(t.to_string()),
            };
            fns.entry(name.to_string()).or_default().push(Overload {
                first,
                first_mut,
                ret,
            });
        }
        Signatures { fns, rb_types }
    }

    /// Every registered function's name (`alias::name` for a static module's).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fns.keys().map(String::as_str)
    }

    /// Whether `name` is one of rb's own types.
    pub fn is_rb_type(&self, name: &str) -> bool {
        self.rb_types.contains(name)
    }

    /// The rb type every overload of `name` returns, if they agree on one.
    pub fn returns(&self, name: &str) -> Option<String> {
        let all = self.fns.get(name)?;
        let ret = &all.first()?.ret;
        (self.is_rb_type(ret) && all.iter().all(|o| &o.ret == ret)).then(|| ret.clone())
    }

    /// The properties (getters) a value of type `ty` has, sorted.
    pub fn properties(&self, ty: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .fns
            .iter()
            .filter_map(|(n, os)| {
                let p = n.strip_prefix("get$")?;
                os.iter()
                    .any(|o| o.first.as_deref() == Some(ty))
                    .then(|| p.to_string())
            })
            .collect();
        v.sort();
        v
    }

    /// Whether `ty` has a getter for `name`. (rb's types have no indexer by name, so
    /// a property without a getter cannot be read.)
    pub fn has_property(&self, ty: &str, name: &str) -> bool {
        self.fns
            .get(&format!("get${name}"))
            .is_some_and(|os| os.iter().any(|o| o.first.as_deref() == Some(ty)))
    }

    /// What `value[i]` gives for a value of type `ty`.
    pub fn index(&self, ty: &str) -> Option<String> {
        self.fns.get("index$get$").and_then(|os| {
            os.iter()
                .find(|o| o.first.as_deref() == Some(ty))
                .map(|o| o.ret.clone())
                .filter(|r| self.is_rb_type(r))
        })
    }

    /// The rb type a property of `ty` gives, if it is one.
    pub fn property_type(&self, ty: &str, name: &str) -> Option<String> {
        self.fns.get(&format!("get${name}")).and_then(|os| {
            os.iter()
                .find(|o| o.first.as_deref() == Some(ty))
                .map(|o| o.ret.clone())
                .filter(|r| self.is_rb_type(r))
        })
    }

    /// Whether `name` exists as a registered function at all.
    pub fn exists(&self, name: &str) -> bool {
        self.fns.contains_key(name)
    }

    /// Whether some overload of `name` can be called as a method of a `ty` value.
    pub fn applies_to(&self, ty: &str, name: &str) -> bool {
        self.fns.get(name).is_some_and(|os| {
            os.iter()
                .any(|o| o.first.is_none() || o.first.as_deref() == Some(ty))
        })
    }

    /// The types `name` can be called on, for a message.
    pub fn receivers(&self, name: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .fns
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|o| o.first.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// What can follow `value.` for a value of type `ty` (as the engine names it): its
    /// properties and the methods made for it (not the ones that take anything), sorted.
    pub fn members(&self, ty: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .fns
            .iter()
            .filter(|(n, os)| {
                !n.contains('$')
                    && n.starts_with(|c: char| c.is_alphabetic())
                    && os.iter().any(|o| o.first.as_deref() == Some(ty))
            })
            .map(|(n, _)| n.clone())
            .collect();
        v.extend(self.properties(ty));
        v.sort();
        v.dedup();
        v
    }

    /// Every overload of `name` changes its first argument in place and returns nothing:
    /// Rhai's `trim`, `replace`, `push`, `sort`, ... — their result is always `()`.
    pub fn in_place(&self, name: &str) -> bool {
        self.fns
            .get(name)
            .is_some_and(|os| os.iter().all(|o| o.first_mut && o.ret == "()"))
    }
}

/// `core::result::Result<T, E>` → `T`.
fn unwrap_result(t: &str) -> &str {
    let inner = t
        .strip_prefix("core::result::Result<")
        .or_else(|| t.strip_prefix("Result<"));
    match inner {
        Some(rest) => split_params(rest.strip_suffix('>').unwrap_or(rest))
            .into_iter()
            .next()
            .unwrap_or(t),
        None => t,
    }
}

/// `rb::api::shell::CmdResult` → `CmdResult`; `BTreeMap<K, V>` → `BTreeMap`.
fn short(t: &str) -> &str {
    let t = t.split('<').next().unwrap_or(t);
    t.rsplit("::").next().unwrap_or(t).trim()
}

/// Split at commas outside `<>` and `()`.
fn split_params(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !s[start..].trim().is_empty() {
        out.push(s[start..].trim());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sigs() -> Signatures {
        Signatures::from_lines(
            [
                "get$out(_: &mut CmdResult) -> string",
                "get$rc(_: &mut CmdResult) -> i64",
                "sh(_: &mut Host, _: types::dynamic::Dynamic) -> core::result::Result<rb::api::shell::CmdResult,alloc::boxed::Box<rhai::types::error::EvalAltResult>>",
                "sh(_: types::dynamic::Dynamic, _: map) -> core::result::Result<rb::api::shell::CmdResult,alloc::boxed::Box<rhai::types::error::EvalAltResult>>",
                "hosts(_: string) -> core::result::Result<rb::api::hosts::HostList,alloc::boxed::Box<rhai::types::error::EvalAltResult>>",
                "index$get$(_: &mut HostList, _: i64) -> core::result::Result<rb::host::Host,alloc::boxed::Box<rhai::types::error::EvalAltResult>>",
                "trim(string: &mut string)",
                "replace(string: &mut string, find_character: char, substitute_character: char)",
                "to_upper(string: string) -> ImmutableString",
                "remove(array: &mut array, index: i64) -> Dynamic",
                "log(_: types::dynamic::Dynamic)",
                "to_float(_)",
            ]
            .into_iter(),
        )
    }

    #[test]
    fn return_types_properties_and_in_place_methods_come_from_the_signatures() {
        let s = sigs();
        assert_eq!(s.returns("sh").as_deref(), Some("CmdResult"));
        assert_eq!(s.returns("hosts").as_deref(), Some("HostList"));
        assert_eq!(s.returns("to_upper"), None);
        assert_eq!(s.index("HostList").as_deref(), Some("Host"));
        assert_eq!(s.properties("CmdResult"), ["out", "rc"]);
        assert!(s.has_property("CmdResult", "out"));
        assert!(!s.has_property("CmdResult", "outt"));
        assert!(s.applies_to("Host", "sh"));
        assert!(s.applies_to("CmdResult", "log"));
        assert!(s.applies_to("CmdResult", "to_float"));
        assert!(!s.applies_to("CmdResult", "trim"));
        assert_eq!(s.receivers("sh"), ["Host"]);
        assert!(s.in_place("trim") && s.in_place("replace"));
        assert!(!s.in_place("to_upper") && !s.in_place("remove") && !s.in_place("log"));
        assert!(!s.in_place("nothing_by_that_name"));
    }
}
