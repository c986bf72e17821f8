//! A host as runbooks see it: a name, an address, its variables and the transport that
//! reaches it. Cheap to clone (everything behind Arcs), so Rhai can pass it around freely.

use crate::inventory::Inventory;
use crate::transport::{LocalTransport, SshOptions, SshTransport, Transport};
use rhai::Map;
use std::fmt;
use std::sync::Arc;

#[derive(Clone)]
pub struct Host {
    pub name: Arc<str>,
    pub addr: Arc<str>,
    pub vars: Arc<Map>,
    pub transport: Arc<dyn Transport>,
}

impl Host {
    /// The controller: `local` in runbooks, and the host of a bare `sh(...)`.
    pub fn local() -> Host {
        Host {
            name: "local".into(),
            addr: "127.0.0.1".into(),
            vars: Arc::new(Map::new()),
            transport: Arc::new(LocalTransport),
        }
    }
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

/// The Host of every inventory entry, in inventory order. `localhost` (without an address)
/// and `ansible_connection=local` run locally; everything else over SSH, to
/// `ansible_host`/`rb_host` when set, else to the inventory name (so ssh config aliases apply).
pub fn hosts_of(inv: &Inventory, ssh: Arc<SshOptions>) -> Vec<Host> {
    (0..inv.hosts.len())
        .map(|i| {
            let name = inv.hosts[i].name.clone();
            let vars = inv.host_vars(i);
            let get = |keys: &[&str]| {
                keys.iter()
                    .find_map(|k| vars.get(*k))
                    .map(|v| v.to_string())
                    .filter(|s| !s.is_empty())
            };
            let connection = get(&["rb_connection", "ansible_connection"]);
            let addr = get(&["rb_host", "ansible_host"]);
            let user = get(&["rb_user", "ansible_user"]);
            let port = get(&["rb_port", "ansible_port"]).and_then(|p| p.parse().ok());
            let local = match connection.as_deref() {
                Some("local") => true,
                Some(_) => false,
                None => name == "localhost" && addr.is_none(),
            };
            let transport: Arc<dyn Transport> = if local {
                Arc::new(LocalTransport)
            } else {
                Arc::new(SshTransport::new(
                    addr.clone().unwrap_or_else(|| name.clone()),
                    user,
                    port,
                    ssh.clone(),
                ))
            };
            let addr = addr.unwrap_or_else(|| {
                if local {
                    "127.0.0.1".into()
                } else {
                    name.clone()
                }
            });
            Host {
                name: name.into(),
                addr: addr.into(),
                vars: Arc::new(vars),
                transport,
            }
        })
        .collect()
}
