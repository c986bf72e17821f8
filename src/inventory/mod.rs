//! The inventory: Ansible's INI format as people write it (groups, `:children`, `:vars`,
//! host ranges, inline host vars), host patterns (`all`, `a:b`, `a:&b`, `a:!b`, globs,
//! `~regex`) and the five orders.

mod ini;
mod range;

pub use range::expand as expand_range;

use rhai::{Dynamic, Map};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// An inventory error, reported as `inventory.ini:LINE: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0: about the file as a whole (it cannot be read).
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            l => write!(f, "{}:{l}: {}", self.file, self.message),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct HostEntry {
    pub name: String,
    /// Inline vars from the host's lines, later lines winning.
    pub vars: BTreeMap<String, Dynamic>,
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub name: String,
    /// Hosts listed directly under the group, as indices into `Inventory::hosts`.
    pub hosts: Vec<usize>,
    pub children: Vec<String>,
    pub vars: BTreeMap<String, Dynamic>,
}

#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub file: String,
    /// Hosts in file order (the `inventory` order).
    pub hosts: Vec<HostEntry>,
    pub index: HashMap<String, usize>,
    pub groups: BTreeMap<String, Group>,
}

/// The orders of Ansible's `order:` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Inventory,
    ReverseInventory,
    Sorted,
    ReverseSorted,
    Shuffle(Option<u64>),
}

impl Order {
    pub fn parse(kind: &str, seed: Option<u64>) -> Result<Order, String> {
        Ok(match kind {
            "inventory" => Order::Inventory,
            "reverse_inventory" => Order::ReverseInventory,
            "sorted" => Order::Sorted,
            "reverse_sorted" => Order::ReverseSorted,
            "shuffle" => Order::Shuffle(seed),
            other => {
                return Err(format!(
                    "unknown order `{other}`; use inventory, reverse_inventory, sorted, reverse_sorted or shuffle"
                ))
            }
        })
    }

    /// Put `names` (given in inventory order) in this order.
    pub fn apply<T: AsRef<str>>(self, items: &mut [T]) {
        match self {
            Order::Inventory => {}
            Order::ReverseInventory => items.reverse(),
            Order::Sorted => items.sort_by(|a, b| a.as_ref().cmp(b.as_ref())),
            Order::ReverseSorted => items.sort_by(|a, b| b.as_ref().cmp(a.as_ref())),
            Order::Shuffle(seed) => {
                use rand::seq::SliceRandom;
                use rand::SeedableRng;
                let mut rng = match seed {
                    Some(s) => rand::rngs::StdRng::seed_from_u64(s),
                    None => rand::rngs::StdRng::from_os_rng(),
                };
                items.shuffle(&mut rng);
            }
        }
    }
}

impl Inventory {
    pub fn parse(file: &str, text: &str) -> Result<Inventory, InventoryError> {
        ini::parse(file, text)
    }

    pub fn load(path: &std::path::Path) -> Result<Inventory, InventoryError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| InventoryError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read inventory: {e}"),
        })?;
        Self::parse(&file, &text)
    }

    /// An inventory of just `localhost` (no `-i` given).
    pub fn localhost() -> Inventory {
        ini::parse("(implicit)", "localhost ansible_connection=local\n").expect("valid")
    }

    /// Every host of a group and its children, in inventory order.
    pub fn group_hosts(&self, name: &str) -> Vec<usize> {
        if name == "all" {
            return (0..self.hosts.len()).collect();
        }
        if name == "ungrouped" {
            let grouped: std::collections::HashSet<usize> = self
                .groups
                .values()
                .filter(|g| g.name != "ungrouped" && g.name != "all")
                .flat_map(|g| g.hosts.iter().copied())
                .collect();
            return (0..self.hosts.len())
                .filter(|i| !grouped.contains(i))
                .collect();
        }
        let mut seen = vec![false; self.hosts.len()];
        let mut stack = vec![name.to_string()];
        let mut visited = std::collections::HashSet::new();
        while let Some(g) = stack.pop() {
            if !visited.insert(g.clone()) {
                continue;
            }
            if let Some(group) = self.groups.get(&g) {
                for &h in &group.hosts {
                    seen[h] = true;
                }
                stack.extend(group.children.iter().cloned());
            }
        }
        (0..self.hosts.len()).filter(|&i| seen[i]).collect()
    }

    /// The groups a host belongs to (directly or through children), shallowest first.
    pub fn groups_of(&self, host: usize) -> Vec<String> {
        let mut out: Vec<(usize, String)> = self
            .groups
            .keys()
            .filter(|g| *g != "all" && self.group_hosts(g).contains(&host))
            .map(|g| (self.depth(g), g.clone()))
            .collect();
        out.sort();
        out.into_iter().map(|(_, g)| g).collect()
    }

    /// How deep a group sits under `all` (parents' vars apply before children's).
    fn depth(&self, group: &str) -> usize {
        let mut depth = 0;
        let mut frontier = vec![group.to_string()];
        for _ in 0..self.groups.len() {
            let parents: Vec<String> = self
                .groups
                .values()
                .filter(|g| g.children.iter().any(|c| frontier.contains(c)))
                .map(|g| g.name.clone())
                .collect();
            if parents.is_empty() {
                break;
            }
            depth += 1;
            frontier = parents;
        }
        depth
    }

    /// A host's variables: `all:vars`, then its groups' vars (parents before children,
    /// then by name), then its own inline vars.
    pub fn host_vars(&self, host: usize) -> Map {
        let mut m = Map::new();
        if let Some(all) = self.groups.get("all") {
            for (k, v) in &all.vars {
                m.insert(k.as_str().into(), v.clone());
            }
        }
        for g in self.groups_of(host) {
            for (k, v) in &self.groups[&g].vars {
                m.insert(k.as_str().into(), v.clone());
            }
        }
        for (k, v) in &self.hosts[host].vars {
            m.insert(k.as_str().into(), v.clone());
        }
        m
    }

    /// Select hosts with an Ansible pattern; the result is in inventory order. Terms that
    /// match nothing are returned in the second value, so callers can warn about them.
    pub fn select(&self, pattern: &str) -> Result<(Vec<usize>, Vec<String>), String> {
        let mut union: Option<Vec<bool>> = None;
        let mut intersect: Vec<Vec<bool>> = Vec::new();
        let mut exclude: Vec<Vec<bool>> = Vec::new();
        let mut unmatched = Vec::new();
        for raw in split_pattern(pattern) {
            let (kind, term) = if let Some(t) = raw.strip_prefix('&') {
                ('&', t)
            } else if let Some(t) = raw.strip_prefix('!') {
                ('!', t)
            } else {
                ('+', raw.as_str())
            };
            if term.is_empty() {
                return Err(format!("empty term in host pattern `{pattern}`"));
            }
            let set = self.term(term)?;
            if !set.iter().any(|&b| b) {
                unmatched.push(term.to_string());
            }
            match kind {
                '&' => intersect.push(set),
                '!' => exclude.push(set),
                _ => {
                    let u = union.get_or_insert_with(|| vec![false; self.hosts.len()]);
                    for (a, b) in u.iter_mut().zip(set) {
                        *a |= b;
                    }
                }
            }
        }
        // A pattern of only exclusions/intersections starts from all hosts, as Ansible does.
        let mut sel = union.unwrap_or_else(|| vec![true; self.hosts.len()]);
        for s in intersect {
            for (a, b) in sel.iter_mut().zip(s) {
                *a &= b;
            }
        }
        for s in exclude {
            for (a, b) in sel.iter_mut().zip(s) {
                *a &= !b;
            }
        }
        Ok((
            (0..self.hosts.len()).filter(|&i| sel[i]).collect(),
            unmatched,
        ))
    }

    /// One pattern term: `all`/`*`, a group, a host, a glob over both, or `~regex` over hosts.
    fn term(&self, term: &str) -> Result<Vec<bool>, String> {
        let mut set = vec![false; self.hosts.len()];
        let mark = |set: &mut Vec<bool>, hs: Vec<usize>| {
            for h in hs {
                set[h] = true;
            }
        };
        if term == "all" || term == "*" {
            return Ok(vec![true; self.hosts.len()]);
        }
        if let Some(re) = term.strip_prefix('~') {
            let re = crate::api::regex::compile(re)?;
            for (i, h) in self.hosts.iter().enumerate() {
                set[i] = re.is_match(&h.name);
            }
            return Ok(set);
        }
        // `group[0]`, `group[1:3]`: a slice of what the name selects (Ansible's subscripts).
        if let Some((name, sub)) = term.strip_suffix(']').and_then(|t| t.split_once('[')) {
            if !name.is_empty()
                && sub
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ':' || c == '-')
            {
                let base: Vec<usize> = (0..self.hosts.len())
                    .filter(|&i| self.term(name).map(|s| s[i]).unwrap_or(false))
                    .collect();
                let n = base.len() as i64;
                let idx = |s: &str, default: i64| -> Result<i64, String> {
                    if s.is_empty() {
                        return Ok(default);
                    }
                    let v: i64 = s
                        .parse()
                        .map_err(|_| format!("invalid subscript `[{sub}]` in host pattern"))?;
                    Ok(if v < 0 { n + v } else { v })
                };
                let range = match sub.split_once(':') {
                    None => {
                        let i = idx(sub, 0)?;
                        i..=i
                    }
                    // Ansible's slices include the end.
                    Some((a, b)) => idx(a, 0)?..=idx(b, n - 1)?,
                };
                for (k, &h) in base.iter().enumerate() {
                    if range.contains(&(k as i64)) {
                        set[h] = true;
                    }
                }
                return Ok(set);
            }
        }
        if self.groups.contains_key(term) || term == "ungrouped" {
            mark(&mut set, self.group_hosts(term));
        }
        if let Some(&i) = self.index.get(term) {
            set[i] = true;
        }
        if term.contains(['*', '?', '[']) {
            let glob = wildmatch::WildMatch::new(term);
            for (i, h) in self.hosts.iter().enumerate() {
                if glob.matches(&h.name) {
                    set[i] = true;
                }
            }
            let groups: Vec<String> = self
                .groups
                .keys()
                .filter(|g| glob.matches(g))
                .cloned()
                .collect();
            for g in groups {
                mark(&mut set, self.group_hosts(&g));
            }
        }
        Ok(set)
    }
}

/// Split `a:b,c:&d:!e` into terms, keeping `&`/`!` prefixes. A `:` inside `[...]` (an
/// index or range) does not split.
fn split_pattern(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in pattern.chars() {
        match c {
            '[' => {
                depth += 1;
                cur.push(c);
            }
            ']' => {
                depth -= 1;
                cur.push(c);
            }
            ':' | ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            c if c.is_whitespace() => {}
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const INV: &str = "\
# the seed's inventory, plus the things real projects do
[k8s_controller]
controller0[1:3].i.domain.tld

[k8s_worker]
worker0[1:3].i.domain.tld

[etcd:children]
k8s_controller

[k8s:children]
k8s_controller
k8s_worker

[k8s:vars]
k8s_release=1.28.5

[k8s_worker:vars]
k8s_interface=wg0
";

    fn names(inv: &Inventory, pattern: &str) -> Vec<String> {
        inv.select(pattern)
            .unwrap()
            .0
            .into_iter()
            .map(|i| inv.hosts[i].name.clone())
            .collect()
    }

    #[test]
    fn patterns_select_like_ansible() {
        let inv = Inventory::parse("inv.ini", INV).unwrap();
        assert_eq!(names(&inv, "all").len(), 6);
        assert_eq!(
            names(&inv, "etcd"),
            [
                "controller01.i.domain.tld",
                "controller02.i.domain.tld",
                "controller03.i.domain.tld"
            ]
        );
        assert_eq!(
            names(&inv, "k8s_worker:!worker02*"),
            ["worker01.i.domain.tld", "worker03.i.domain.tld"]
        );
        assert_eq!(
            names(&inv, "k8s:&*01*"),
            ["controller01.i.domain.tld", "worker01.i.domain.tld"]
        );
        assert_eq!(
            names(&inv, "worker03.i.domain.tld,controller01.i.domain.tld"),
            ["controller01.i.domain.tld", "worker03.i.domain.tld"]
        );
        assert_eq!(
            names(&inv, "~^worker0[12]"),
            ["worker01.i.domain.tld", "worker02.i.domain.tld"]
        );
        assert_eq!(names(&inv, "k8s_worker[0]"), ["worker01.i.domain.tld"]);
        assert_eq!(
            names(&inv, "k8s_worker[1:]"),
            ["worker02.i.domain.tld", "worker03.i.domain.tld"]
        );
        assert_eq!(names(&inv, "k8s[-1]"), ["worker03.i.domain.tld"]);
        let (none, unmatched) = inv.select("workers:k8s_worker").unwrap();
        assert_eq!(none.len(), 3);
        assert_eq!(unmatched, ["workers"]);
    }

    #[test]
    fn vars_merge_all_then_parents_then_children_then_host() {
        let inv = Inventory::parse("inv.ini", &format!("{INV}\n[all:vars]\nk8s_interface=eth0\nx=all\n[k8s_worker]\nworker01.i.domain.tld x=host\n")).unwrap();
        let w1 = inv.index["worker01.i.domain.tld"];
        let v = inv.host_vars(w1);
        assert_eq!(v["k8s_release"].to_string(), "1.28.5");
        assert_eq!(v["k8s_interface"].to_string(), "wg0");
        assert_eq!(v["x"].to_string(), "host");
        let c1 = inv.index["controller01.i.domain.tld"];
        assert_eq!(inv.host_vars(c1)["k8s_interface"].to_string(), "eth0");
    }

    #[test]
    fn orders() {
        let mut v = vec!["b", "c", "a"];
        Order::Sorted.apply(&mut v);
        assert_eq!(v, ["a", "b", "c"]);
        Order::ReverseSorted.apply(&mut v);
        assert_eq!(v, ["c", "b", "a"]);
        let mut x: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let mut y = x.clone();
        Order::Shuffle(Some(7)).apply(&mut x);
        Order::Shuffle(Some(7)).apply(&mut y);
        assert_eq!(x, y, "a seed makes shuffle reproducible");
        assert!(Order::parse("random", None).is_err());
    }
}
