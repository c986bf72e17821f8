//! Ansible inventories as ansible-core 2.19 reads them, with no scripting language attached:
//! INI and YAML files, folders of them, the `host1,host2,` list form, `group_vars/` and
//! `host_vars/` beside the inventory and beside the runbook, variables typed and merged as
//! ansible-core does (values are `serde_json::Value`), host patterns and the five orders.
//!
//! ```
//! let inv = inventory::Inventory::parse_ini("hosts.ini", "[web]\nweb[1:2] port=80\n").unwrap();
//! let sel = inv.select("web[0]").unwrap();
//! assert_eq!(inv.hosts[sel.hosts[0]].name, "web1");
//! assert_eq!(inv.host_vars(sel.hosts[0])["port"], 80);
//! ```

pub mod ansible_cfg;
mod error;
mod extra;
mod ini;
mod list;
mod pattern;
mod pyliteral;
pub mod range;
pub mod shlex;
mod sources;
mod vars_files;
pub mod vault;
mod yaml;

pub use ansible_cfg::AnsibleCfg;
pub use error::Error;
pub use extra::{is_key_value, parse_extra_vars};
pub use pattern::glob_matches;
pub use pattern::{expand_limit_files, split as split_pattern, Limit, Selection};
pub use pyliteral::{ini_value, py_float};

use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Where a variable was set: `file:line` (line 0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}", self.file),
            l => write!(f, "{}:{l}", self.file),
        }
    }
}

/// Variables with the place each was set.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub values: Map<String, Value>,
    pub origins: BTreeMap<String, Origin>,
    /// `ansible_group_priority`, which ansible-core takes out of a group's variables.
    pub priority: Option<i64>,
}

impl Vars {
    pub fn set(&mut self, k: &str, v: Value, origin: Origin) {
        // ansible-core keeps a group's priority apart from its variables.
        if k == "ansible_group_priority" {
            self.priority = v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            return;
        }
        self.values.insert(k.to_string(), v);
        self.origins.insert(k.to_string(), origin);
    }
    fn merge(&mut self, other: &Vars) {
        for (k, v) in &other.values {
            self.values.insert(k.clone(), v.clone());
            if let Some(o) = other.origins.get(k) {
                self.origins.insert(k.clone(), o.clone());
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct HostEntry {
    pub name: String,
    /// Variables set in inventory files (host lines, YAML `hosts:` entries), later winning.
    pub vars: Vars,
    /// Where the host was first declared.
    pub origin: Origin,
    /// ansible-core's implicit `localhost`: selectable by name only, in no group.
    pub implicit: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Group {
    pub name: String,
    /// Hosts listed directly under the group, as indices into `Inventory::hosts`, in the
    /// order they were added.
    pub hosts: Vec<usize>,
    /// The same hosts as a set, so adding one is not a scan.
    members: std::collections::HashSet<usize>,
    /// Child groups in the order they were added.
    pub children: Vec<String>,
    pub vars: Vars,
    /// Distance from `all` (ansible-core's `depth`): parents' vars apply before children's.
    pub depth: usize,
}

/// An inventory: hosts in the order they first appear, groups, and the variables of every
/// source folder's `group_vars/` and `host_vars/`.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// The sources as given (`-i` values), for messages.
    pub sources: Vec<String>,
    /// Hosts in the order they were first declared (rb's `inventory` order).
    pub hosts: Vec<HostEntry>,
    pub index: HashMap<String, usize>,
    /// Groups by name, including `all` and `ungrouped`.
    pub groups: BTreeMap<String, Group>,
    /// Group names in the order they were created (the order of `all`'s children).
    pub group_order: Vec<String>,
    /// Folders whose `group_vars/`/`host_vars/` apply, lowest precedence first: the inventory
    /// sources' folders in `-i` order, then the runbook's folder (ansible-core's playbook
    /// folder), which is always added last.
    pub(crate) vars_dirs: Vec<PathBuf>,
    pub(crate) files: vars_files::Cache,
    /// Bytes of host variables written on host lines so far, counted once per host a
    /// line's range gives them to (see [`ini::MAX_HOST_VAR_BYTES`]).
    pub(crate) host_var_bytes: usize,
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
    pub fn parse(kind: &str, seed: Option<u64>) -> Result<Order, Error> {
        Ok(match kind {
            "inventory" => Order::Inventory,
            "reverse_inventory" => Order::ReverseInventory,
            "sorted" => Order::Sorted,
            "reverse_sorted" => Order::ReverseSorted,
            "shuffle" => Order::Shuffle(seed),
            other => return Err(Error::UnknownOrder(other.to_string())),
        })
    }

    /// Put `items` (given in inventory order) in this order.
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
    /// The sources, for messages: `hosts.ini`, `a.ini, b.yml`, or `(no inventory)`.
    pub fn describe(&self) -> String {
        if self.sources.is_empty() {
            "the inventory (no -i given: only localhost)".into()
        } else {
            self.sources.join(", ")
        }
    }

    /// An empty inventory: just `all` and `ungrouped`.
    pub fn new() -> Inventory {
        let mut inv = Inventory::default();
        inv.add_group("all");
        inv.add_group("ungrouped");
        inv.add_child("all", "ungrouped");
        inv
    }

    /// Read inventory sources as `ansible -i SRC -i SRC...` does: files (INI or YAML),
    /// folders, and `host1,host2,` lists, merged in order. `playbook_dir` is the runbook's
    /// folder, whose `group_vars/` and `host_vars/` apply too.
    pub fn load(
        sources: &[String],
        playbook_dir: Option<&std::path::Path>,
    ) -> Result<Inventory, Error> {
        let mut inv = Inventory::new();
        for src in sources {
            sources::add_source(&mut inv, src)?;
        }
        inv.sources = sources.to_vec();
        if let Some(dir) = playbook_dir {
            inv.vars_dirs.push(dir.to_path_buf());
        }
        inv.reconcile();
        inv.add_implicit_localhost();
        inv.load_vars_files()?;
        Ok(inv)
    }

    /// Parse INI text (tests and embedders; no vars files are read). Like [`Inventory::load`],
    /// the result has the implicit `localhost` when the text does not list one.
    pub fn parse_ini(file: &str, text: &str) -> Result<Inventory, Error> {
        Self::parse_with(file, text, ini::parse)
    }

    /// Parse YAML inventory text (tests and embedders; no vars files are read; implicit
    /// `localhost` as with INI).
    pub fn parse_yaml(file: &str, text: &str) -> Result<Inventory, Error> {
        Self::parse_with(file, text, sources::parse_yaml)
    }

    fn parse_with(
        file: &str,
        text: &str,
        parse: fn(&mut Inventory, &str, &str) -> Result<(), Error>,
    ) -> Result<Inventory, Error> {
        let mut inv = Inventory::new();
        parse(&mut inv, file, text)?;
        inv.sources = vec![file.to_string()];
        inv.reconcile();
        // As with `load` (and ansible-core): `localhost` is there even when not listed.
        inv.add_implicit_localhost();
        Ok(inv)
    }

    /// The inventory of a run given none: only ansible-core's implicit `localhost`, which
    /// no group holds, so `all` selects nothing (as `ansible all` says: "the implicit
    /// localhost does not match 'all'").
    pub fn localhost() -> Inventory {
        let mut inv = Inventory::new();
        inv.add_implicit_localhost();
        inv
    }

    /// `localhost` when the inventory has none: it runs locally, is in no group, and only a
    /// pattern naming it selects it (as in ansible-core).
    fn add_implicit_localhost(&mut self) {
        if self.index.contains_key("localhost") {
            return;
        }
        let origin = Origin {
            file: "(implicit localhost)".into(),
            line: 0,
        };
        let i = self.add_host("localhost", origin.clone());
        self.hosts[i].implicit = true;
        self.hosts[i]
            .vars
            .set("ansible_connection", Value::String("local".into()), origin);
    }

    pub(crate) fn add_group(&mut self, name: &str) {
        if !self.groups.contains_key(name) {
            self.groups.insert(
                name.to_string(),
                Group {
                    name: name.to_string(),
                    ..Default::default()
                },
            );
            self.group_order.push(name.to_string());
        }
    }

    pub(crate) fn add_host(&mut self, name: &str, origin: Origin) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.hosts.push(HostEntry {
            name: name.to_string(),
            vars: Vars::default(),
            origin,
            implicit: false,
        });
        self.index.insert(name.to_string(), self.hosts.len() - 1);
        self.hosts.len() - 1
    }

    pub(crate) fn add_host_to_group(&mut self, group: &str, host: usize) {
        self.add_group(group);
        let g = self.groups.get_mut(group).expect("just added");
        if g.members.insert(host) {
            g.hosts.push(host);
        }
    }

    /// Make `child` a child of `parent`; a loop is an error (as in ansible-core).
    pub(crate) fn add_child(&mut self, parent: &str, child: &str) -> bool {
        if parent == child || self.descendants(child).iter().any(|d| d == parent) {
            return false;
        }
        self.add_group(parent);
        self.add_group(child);
        let p = self.groups.get_mut(parent).expect("exists");
        if !p.children.iter().any(|c| c == child) {
            p.children.push(child.to_string());
        }
        self.fix_depth(child, self.groups[parent].depth + 1);
        true
    }

    /// ansible-core's group depth: a child is one deeper than its deepest parent, pushed
    /// down level by level as `_check_children_depth` does (a group is revisited only when its
    /// depth grows, so diamonds cost no more than the groups below them).
    fn fix_depth(&mut self, group: &str, depth: usize) {
        let grp = self.groups.get_mut(group).expect("exists");
        if grp.depth >= depth {
            return;
        }
        grp.depth = depth;
        let mut level: std::collections::BTreeSet<String> = grp.children.iter().cloned().collect();
        let mut d = depth;
        while !level.is_empty() {
            d += 1;
            let mut next = std::collections::BTreeSet::new();
            for name in level {
                let g = self.groups.get_mut(&name).expect("exists");
                if g.depth < d {
                    g.depth = d;
                    next.extend(g.children.iter().cloned());
                }
            }
            level = next;
        }
    }

    /// A group and every group below it.
    pub fn descendants(&self, group: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![group.to_string()];
        while let Some(g) = stack.pop() {
            if !seen.insert(g.clone()) {
                continue;
            }
            if let Some(grp) = self.groups.get(&g) {
                stack.extend(grp.children.iter().rev().cloned());
            }
            out.push(g);
        }
        out
    }

    /// ansible-core's `reconcile_inventory`: top groups become children of `all`; hosts
    /// in no group go to `ungrouped`, hosts in another group leave it.
    pub(crate) fn reconcile(&mut self) {
        let parents = self.parent_map();
        for g in self.group_order.clone() {
            if g != "all" && !parents.contains_key(&g) {
                self.add_child("all", &g);
            }
        }
        let direct = self.direct_groups();
        let elsewhere = |h: usize| direct[h].iter().any(|g| g != "ungrouped" && g != "all");
        let ung = self.groups.get_mut("ungrouped").expect("always there");
        ung.hosts.retain(|&h| !elsewhere(h));
        ung.members = ung.hosts.iter().copied().collect();
        for h in 0..self.hosts.len() {
            if !self.hosts[h].implicit && !elsewhere(h) && ung.members.insert(h) {
                ung.hosts.push(h);
            }
        }
    }

    fn parent_map(&self) -> HashMap<String, Vec<String>> {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for g in self.groups.values() {
            for c in &g.children {
                m.entry(c.clone()).or_default().push(g.name.clone());
            }
        }
        m
    }

    /// For each host, the groups that list it directly.
    fn direct_groups(&self) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); self.hosts.len()];
        for g in self.groups.values() {
            for &h in &g.hosts {
                out[h].push(g.name.clone());
            }
        }
        out
    }

    /// Every host of a group and the groups below it, in inventory order (none for a group
    /// the inventory does not have).
    pub fn group_hosts(&self, name: &str) -> Vec<usize> {
        if name == "all" {
            return (0..self.hosts.len())
                .filter(|&i| !self.hosts[i].implicit)
                .collect();
        }
        let mut seen = vec![false; self.hosts.len()];
        for g in self.descendants(name) {
            for &h in self.groups.get(&g).map_or(&[][..], |g| &g.hosts[..]) {
                seen[h] = true;
            }
        }
        (0..self.hosts.len()).filter(|&i| seen[i]).collect()
    }

    /// Ansible's `groups`: every group, in the order groups were made, with its hosts' names
    /// in inventory order.
    pub fn groups_json(&self) -> Map<String, Value> {
        self.group_order
            .iter()
            .map(|g| {
                let names = self
                    .group_hosts(g)
                    .into_iter()
                    .map(|i| Value::String(self.hosts[i].name.clone()))
                    .collect();
                (g.clone(), Value::Array(names))
            })
            .collect()
    }

    /// The groups a host belongs to, directly or through children (without `all`), in
    /// ansible-core's variable order: by depth, then `ansible_group_priority`, then name.
    pub fn groups_of(&self, host: usize) -> Vec<String> {
        let parents = self.parent_map();
        let mut set = std::collections::BTreeSet::new();
        // The groups that list the host directly: a set lookup per group, not a table of
        // every host's groups (that made loading N hosts quadratic).
        let mut stack: Vec<String> = self
            .groups
            .values()
            .filter(|g| g.members.contains(&host))
            .map(|g| g.name.clone())
            .collect();
        while let Some(g) = stack.pop() {
            if set.insert(g.clone()) {
                if let Some(ps) = parents.get(&g) {
                    stack.extend(ps.iter().cloned());
                }
            }
        }
        set.remove("all");
        let mut out: Vec<&Group> = set.iter().map(|g| &self.groups[g]).collect();
        out.sort_by_key(|g| (g.depth, priority(g), g.name.clone()));
        out.into_iter().map(|g| g.name.clone()).collect()
    }

    /// A host's variables with their origins, merged as ansible-core's VariableManager does:
    /// `all`'s inventory vars, the other groups' inventory vars (parents first), `all`'s
    /// group_vars files (inventory folders, then the runbook's), the other groups' group_vars
    /// files, the host's inventory vars, then its host_vars files.
    pub fn host_vars_with_origins(&self, host: usize) -> Vars {
        let groups = self.groups_of(host);
        let name = &self.hosts[host].name;
        let mut v = Vars::default();
        v.merge(&self.groups["all"].vars);
        for g in &groups {
            v.merge(&self.groups[g].vars);
        }
        // Each folder in precedence order, and within a folder each name in order.
        let merge_files = |v: &mut Vars, kind: &'static str, names: &[&str]| {
            for dir in &self.vars_dirs {
                for name in names {
                    if let Some(f) = self.files.get(dir, kind, name) {
                        v.merge(f);
                    }
                }
            }
        };
        let group_names: Vec<&str> = groups.iter().map(String::as_str).collect();
        merge_files(&mut v, "group_vars", &["all"]);
        merge_files(&mut v, "group_vars", &group_names);
        v.merge(&self.hosts[host].vars);
        merge_files(&mut v, "host_vars", &[name]);
        v
    }

    /// A host's merged variables (see [`Inventory::host_vars_with_origins`]).
    pub fn host_vars(&self, host: usize) -> Map<String, Value> {
        self.host_vars_with_origins(host).values
    }

    /// `ansible-inventory --list`: groups with `hosts`/`children`, `_meta.hostvars`.
    pub fn to_list_json(&self) -> Value {
        list::list(self)
    }

    /// `ansible-inventory --host NAME`: the host's merged variables.
    pub fn host_json(&self, name: &str) -> Result<Value, Error> {
        let i = *self
            .index
            .get(name)
            .ok_or_else(|| Error::UnknownHost(name.to_string()))?;
        Ok(Value::Object(self.host_vars(i)))
    }

    /// Select hosts with an Ansible pattern.
    pub fn select(&self, pattern: &str) -> Result<Selection, Error> {
        pattern::select(self, pattern)
    }

    /// `--limit PATTERN`: the hosts every selection of a run is narrowed to.
    pub fn limit(&self, pattern: &str) -> Result<Limit, Error> {
        let sel = self.select(pattern)?;
        let mut allowed = vec![false; self.hosts.len()];
        for i in sel.hosts {
            allowed[i] = true;
        }
        Ok(Limit {
            allowed,
            unmatched: sel.unmatched,
        })
    }

    /// The hosts `pattern` selects inside `limit` (all of them without one), in inventory
    /// order: the one selection behind `hosts()`, `need_hosts()`, `rb hosts` and `rb exec`.
    pub fn select_within(&self, pattern: &str, limit: Option<&Limit>) -> Result<Selection, Error> {
        let mut sel = self.select(pattern)?;
        if let Some(l) = limit {
            sel.hosts.retain(|&i| l.allows(i));
        }
        Ok(sel)
    }

    /// Set `var` on `all` as a default under every inventory value, as ansible.cfg's and
    /// the command line's connection settings are (`--private-key`, `--ssh-common-args`):
    /// unless the inventory sets it (or its `ansible_` alias) on `all` itself. `source`
    /// names where the value came from, for `rb inventory --host` and errors.
    pub fn default_on_all(&mut self, var: &str, value: &str, source: &str) {
        let Some(all) = self.groups.get_mut("all") else {
            return;
        };
        let alias = var.replace("ansible_ssh_", "ansible_");
        let set = |k: &str| all.vars.values.contains_key(k);
        if !set(var) && !set(&alias) {
            all.vars.set(
                var,
                serde_json::Value::String(value.to_string()),
                Origin {
                    file: source.into(),
                    line: 0,
                },
            );
        }
    }

    /// The error for `pattern` selecting no host (`what` names it: `--limit`, `host
    /// pattern`): the inventory, and the host or group name closest to a term that matched
    /// nothing.
    pub fn selects_nothing(&self, what: &str, pattern: &str) -> String {
        let unmatched = self
            .select(pattern)
            .map(|s| s.unmatched)
            .unwrap_or_default();
        let names = self
            .hosts
            .iter()
            .map(|h| h.name.as_str())
            .chain(self.groups.keys().map(String::as_str));
        let closest = unmatched.iter().find_map(|term| {
            names
                .clone()
                .map(|n| (strsim::osa_distance(n, term), n))
                .filter(|(d, _)| *d <= 2)
                .min()
                .map(|(_, n)| format!(" (did you mean `{n}`?)"))
        });
        // With only the implicit localhost, say why `all` is empty and what to do.
        let implicit_only = self.hosts.iter().all(|h| h.implicit);
        let hint = if implicit_only && closest.is_none() {
            " (the implicit localhost is in no group, not even `all`: select it by name, \
             `localhost`, or give an inventory with -i, ANSIBLE_INVENTORY or ansible.cfg's \
             `inventory`)"
        } else {
            ""
        };
        format!(
            "{what} `{pattern}` selects no host in {}{}{hint}",
            self.describe(),
            closest.unwrap_or_default()
        )
    }

    /// The error for a host pattern that selects no host inside `limit`: none in the
    /// inventory (with the closest name), or none inside `--limit`.
    pub fn selects_nothing_within(&self, pattern: &str, limit: Option<&Limit>) -> String {
        let anywhere = self.select(pattern).is_ok_and(|s| !s.hosts.is_empty());
        if anywhere && limit.is_some() {
            format!("host pattern `{pattern}` selects no host inside --limit")
        } else {
            self.selects_nothing("host pattern", pattern)
        }
    }

    /// The warning for a pattern term that matched nothing.
    pub fn no_match_warning(&self, term: &str) -> String {
        format!(
            "host pattern `{term}` matches no host or group in {}",
            self.describe()
        )
    }
}

fn priority(g: &Group) -> i64 {
    g.vars.priority.unwrap_or(1)
}
