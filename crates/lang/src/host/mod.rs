//! A host as runbooks see it: a name, an address, its variables and the transport that
//! reaches it. Cheap to clone (everything behind Arcs), so Rhai can pass it around freely.

mod connection;
pub mod privilege;

use inventory::Inventory;
use rb_core::transport::{LocalTransport, SshOptions, SshTransport, Transport};
use rhai::Map;
use std::fmt;
use std::sync::Arc;

/// A host as runbooks see it. Cheap to clone: everything is behind `Arc`s.
#[derive(Clone)]
pub struct Host {
    /// The inventory name (`local` for the controller).
    pub name: Arc<str>,
    /// The address it is reached at: `ansible_host` (or its aliases), else the name.
    pub addr: Arc<str>,
    /// Its merged inventory variables, with `-e` over them.
    pub vars: Arc<Map>,
    /// The same variables as JSON in the order their files give them (maps inside too), for
    /// templates, which iterate dicts in that order as Ansible does (Rhai's maps are
    /// sorted).
    pub ordered: Arc<serde_json::Map<String, serde_json::Value>>,
    /// Variables whose Jinja could not be rendered, and why: left out of `ordered`, and in
    /// `vars` as an [`Unrendered`] that fails when used (ansible-core fails only when a
    /// variable is read).
    pub unrendered: Arc<std::collections::BTreeMap<String, String>>,
    /// How its commands run: locally or over ssh.
    pub transport: Arc<dyn Transport>,
    /// Its facts once gathered (`h.facts`): once per host per run, shared by every copy.
    pub facts: Arc<std::sync::Mutex<Option<Map>>>,
}

impl Host {
    /// The controller: `local` in runbooks, and the host of a bare `sh(...)`.
    pub fn local() -> Host {
        Host {
            name: "local".into(),
            addr: "127.0.0.1".into(),
            vars: Arc::new(Map::new()),
            ordered: Arc::default(),
            unrendered: Arc::default(),
            transport: Arc::new(LocalTransport),
            facts: Arc::default(),
        }
    }
}

/// A variable whose Jinja could not be rendered: using it (printing, interpolating,
/// passing it on) fails with why, where ansible-core would fail reading it.
#[derive(Debug, Clone)]
pub struct Unrendered {
    pub why: String,
}

/// Hosts sort and shuffle by name (`Order::apply`).
impl AsRef<str> for Host {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Host({})", self.name)
    }
}

/// The Host of every inventory entry, in inventory order, reached as its connection
/// variables say (see `connection`), `extra` (-e) over every inventory value, connection
/// variables included, as in Ansible. A variable rb cannot honour on a host inside
/// `limit` is an error naming where it was set; nothing has run yet.
pub fn hosts_of(
    inv: &Inventory,
    ssh: Arc<SshOptions>,
    limit: Option<&inventory::Limit>,
    extra: &serde_json::Map<String, serde_json::Value>,
) -> Result<(Vec<Host>, Vec<String>), connection::Refusal> {
    let mut warnings = Vec::new();
    let mut hosts = Vec::with_capacity(inv.hosts.len());
    let raw: Vec<inventory::Vars> = (0..inv.hosts.len())
        .map(|i| {
            let mut vars = inv.host_vars_with_origins(i);
            for (k, v) in extra {
                let origin = inventory::Origin {
                    file: "-e".into(),
                    line: 0,
                };
                vars.set(k, v.clone(), origin);
            }
            vars
        })
        .collect();
    // Jinja in variables, rendered before anything is reached (connection variables too).
    let templated = raw
        .iter()
        .any(|v| v.values.values().any(crate::jinja::vars::holds_template));
    let rendering = templated.then(|| crate::jinja::vars::VarContext::new(inv, raw.clone()));
    for (i, raw_vars) in raw.into_iter().enumerate() {
        let name = inv.hosts[i].name.clone();
        let in_play = limit.is_none_or(|l| l.allows(i));
        let (vars, failed) = match &rendering {
            Some(r) if in_play => {
                let (vars, failed) = r.rendered_lazily(i, connection::decides_connection);
                if let Some((var, why)) = failed.first() {
                    if connection::decides_connection(var) {
                        return Err(connection::Refusal(why.clone()));
                    }
                }
                (vars, failed)
            }
            _ => (raw_vars, Vec::new()),
        };
        // The implicit localhost is reached only by name; its warning would be noise.
        if !failed.is_empty() && !inv.hosts[i].implicit {
            let mut names: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
            let more = names.len().saturating_sub(5);
            names.truncate(5);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            warnings.push(format!(
                "host {name}: {} cannot be rendered ({}{more}); ansible-core would fail only where one is read, and so does rb: a runbook or template that reads one fails with why",
                if failed.len() == 1 { "a variable" } else { "variables" },
                names.join(", ")
            ));
        }
        let conn = match connection::resolve(&name, &vars, &ssh) {
            Ok(c) => c,
            Err(e) if in_play => return Err(e),
            // Outside --limit: never contacted, so never refused.
            Err(_) => connection::Connection::unusable(&name),
        };
        if in_play {
            warnings.extend(conn.warnings.iter().cloned());
        }
        let transport: Arc<dyn Transport> = if conn.local {
            Arc::new(LocalTransport)
        } else {
            Arc::new(SshTransport::new(
                conn.dest.clone(),
                conn.user.clone(),
                conn.port,
                conn.ssh.clone(),
            ))
        };
        let mut map: Map = vars
            .values
            .iter()
            .map(|(k, v)| (k.into(), crate::value::from_value(v.clone())))
            .collect();
        for (var, why) in &failed {
            map.insert(
                var.into(),
                rhai::Dynamic::from(Unrendered { why: why.clone() }),
            );
        }
        hosts.push(Host {
            name: name.into(),
            addr: conn.addr.into(),
            vars: Arc::new(map),
            ordered: Arc::new(vars.values),
            unrendered: Arc::new(failed.into_iter().collect()),
            transport,
            facts: Arc::default(),
        });
    }
    Ok((hosts, warnings))
}
