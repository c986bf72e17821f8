//! Facts: what a host is (OS, kernel, CPUs, memory, mounts, interfaces, init, package
//! manager), gathered with one read-only command and parsed here into the map `h.facts`
//! gives. Names follow Ansible's `setup` facts without the `ansible_` prefix, so
//! `ansible_distribution_version` is `facts.distribution_version`.
//!
//! The command prints sections (`@@rb:NAME` then the section's text) from tools every Linux
//! host has (`uname`, `/proc`, `/etc/os-release`, `df`) and, where present, `ip -j` and
//! `systemd-detect-virt`; a missing tool leaves its facts out, never fails the gathering.

use rhai::{Array, Dynamic, Map};
use std::collections::BTreeMap;

/// The one command that gathers every fact, run with `/bin/sh -c`.
pub const SCRIPT: &str = r#"export LC_ALL=C
s() { echo "@@rb:$1"; }
s hostname; uname -n
s fqdn; hostname -f 2>/dev/null || uname -n
s kernel; uname -r
s architecture; uname -m
s os_release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s cpus; nproc 2>/dev/null || grep -c '^processor' /proc/cpuinfo
s meminfo; cat /proc/meminfo
s df; df -P -k -T 2>/dev/null
s ip_addr; ip -j addr show 2>/dev/null
s route4; ip -j -4 route show default 2>/dev/null
s route6; ip -j -6 route show default 2>/dev/null
s init; cat /proc/1/comm 2>/dev/null
s pkg; for p in apt-get dnf yum zypper apk pacman; do if command -v $p >/dev/null 2>&1; then echo $p; break; fi; done
s virt; systemd-detect-virt 2>/dev/null || true
exit 0
"#;

/// The sections of the command's output, by name.
fn sections(out: &str) -> BTreeMap<&str, String> {
    let mut m: BTreeMap<&str, String> = BTreeMap::new();
    let mut cur: Option<&str> = None;
    for line in out.lines() {
        if let Some(name) = line.strip_prefix("@@rb:") {
            cur = Some(name);
            m.entry(name).or_default();
        } else if let Some(c) = cur {
            let s = m.entry(c).or_default();
            s.push_str(line);
            s.push('\n');
        }
    }
    m
}

/// `/etc/os-release` as a map: `KEY=value`, quotes removed.
fn os_release(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

/// Ansible's `distribution` for an os-release `ID` (ansible-core's
/// `module_utils/facts/system/distribution.py`, its name for each ID).
fn distribution(id: &str, name: &str) -> String {
    match id {
        "debian" => "Debian",
        "ubuntu" => "Ubuntu",
        "rhel" => "RedHat",
        "centos" => "CentOS",
        "fedora" => "Fedora",
        "rocky" => "Rocky",
        "almalinux" => "AlmaLinux",
        "ol" => "OracleLinux",
        "amzn" => "Amazon",
        "alpine" => "Alpine",
        "arch" => "Archlinux",
        "opensuse-leap" | "opensuse-tumbleweed" | "opensuse" => "openSUSE Leap",
        "sles" => "SLES",
        "linuxmint" => "Linux Mint",
        _ => return name.split_whitespace().next().unwrap_or(id).to_string(),
    }
    .to_string()
}

/// Ansible's `os_family`: the distribution's family, from `ID` and `ID_LIKE`.
fn os_family(id: &str, like: &str) -> String {
    let ids: Vec<&str> = std::iter::once(id).chain(like.split_whitespace()).collect();
    let has = |x: &[&str]| ids.iter().any(|i| x.contains(i));
    if has(&["debian", "ubuntu"]) {
        "Debian"
    } else if has(&[
        "rhel",
        "fedora",
        "centos",
        "rocky",
        "almalinux",
        "ol",
        "amzn",
    ]) {
        "RedHat"
    } else if has(&["suse", "sles", "opensuse", "opensuse-leap"]) {
        "Suse"
    } else if has(&["alpine"]) {
        "Alpine"
    } else if has(&["arch"]) {
        "Archlinux"
    } else {
        return distribution(id, id);
    }
    .to_string()
}

/// A `/proc/meminfo` field in MiB (Ansible's `memtotal_mb`).
fn meminfo_mb(text: &str, key: &str) -> Option<i64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(key)?.strip_prefix(':')?;
        let kb: i64 = rest.split_whitespace().next()?.parse().ok()?;
        Some(kb / 1024)
    })
}

/// `df -P -k -T`: each mount with its device, type and sizes in bytes (Ansible's `mounts`).
fn mounts(text: &str) -> Array {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 7 {
                return None;
            }
            let kb = |i: usize| f[i].parse::<i64>().ok().map(|k| k * 1024);
            let mut m = Map::new();
            m.insert("mount".into(), f[6..].join(" ").into());
            m.insert("device".into(), f[0].into());
            m.insert("fstype".into(), f[1].into());
            m.insert("size_total".into(), kb(2)?.into());
            m.insert("size_used".into(), kb(3)?.into());
            m.insert("size_available".into(), kb(4)?.into());
            Some(Dynamic::from_map(m))
        })
        .collect()
}

/// `ip -j addr`: each interface's addresses, MAC, MTU and whether it is up.
fn interfaces(json: &str) -> Map {
    let mut out = Map::new();
    let Ok(serde_json::Value::Array(links)) = serde_json::from_str(json) else {
        return out;
    };
    for link in links {
        let Some(name) = link["ifname"].as_str() else {
            continue;
        };
        let addrs = |family: &str| -> Array {
            link["addr_info"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| a["family"] == family)
                .filter_map(|a| {
                    let mut m = Map::new();
                    m.insert("address".into(), a["local"].as_str()?.into());
                    m.insert("prefix".into(), a["prefixlen"].as_i64()?.into());
                    m.insert(
                        "scope".into(),
                        a["scope"].as_str().unwrap_or_default().into(),
                    );
                    Some(Dynamic::from_map(m))
                })
                .collect()
        };
        let mut m = Map::new();
        m.insert("ipv4".into(), addrs("inet").into());
        m.insert("ipv6".into(), addrs("inet6").into());
        m.insert(
            "macaddress".into(),
            link["address"].as_str().unwrap_or_default().into(),
        );
        m.insert("mtu".into(), link["mtu"].as_i64().unwrap_or(0).into());
        let up = link["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "UP"));
        m.insert("active".into(), up.into());
        out.insert(name.into(), Dynamic::from_map(m));
    }
    out
}

/// `ip -j route show default` with the interfaces: Ansible's `default_ipv4`
/// (`address`, `interface`, `gateway`), or `()` when the host has no default route.
fn default_route(json: &str, ifaces: &Map, family: &str) -> Dynamic {
    let Ok(serde_json::Value::Array(routes)) = serde_json::from_str(json) else {
        return Dynamic::UNIT;
    };
    let Some(r) = routes.into_iter().next() else {
        return Dynamic::UNIT;
    };
    let dev = r["dev"].as_str().unwrap_or_default();
    let mut m = Map::new();
    m.insert("interface".into(), dev.into());
    let gateway = match r["gateway"].as_str() {
        Some(g) => Dynamic::from(g.to_string()),
        None => Dynamic::UNIT,
    };
    m.insert("gateway".into(), gateway);
    let address = ifaces
        .get(dev)
        .and_then(|i| i.read_lock::<Map>().map(|i| i.get(family).cloned()))
        .flatten()
        .and_then(|a| a.into_array().ok())
        .and_then(|a| {
            a.into_iter()
                .filter_map(|x| x.try_cast::<Map>())
                .find(|x| x.get("scope").is_some_and(|s| s.to_string() == "global"))
                .and_then(|x| x.get("address").cloned())
        })
        .unwrap_or(Dynamic::UNIT);
    m.insert("address".into(), address);
    Dynamic::from_map(m)
}

/// The facts in the gathering command's output.
pub fn parse(out: &str) -> Map {
    let s = sections(out);
    let get = |k: &str| s.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let text = |k: &str| -> Dynamic {
        let v = get(k);
        if v.is_empty() {
            Dynamic::UNIT
        } else {
            v.into()
        }
    };
    let mut f = Map::new();
    f.insert("hostname".into(), text("hostname"));
    f.insert("fqdn".into(), text("fqdn"));
    f.insert("kernel".into(), text("kernel"));
    f.insert("architecture".into(), text("architecture"));
    let os = os_release(&get("os_release"));
    let field = |k: &str| os.get(k).cloned().unwrap_or_default();
    let id = field("ID");
    f.insert(
        "distribution".into(),
        distribution(&id, &field("NAME")).into(),
    );
    f.insert("distribution_version".into(), field("VERSION_ID").into());
    f.insert(
        "distribution_release".into(),
        field("VERSION_CODENAME").into(),
    );
    f.insert("os_family".into(), os_family(&id, &field("ID_LIKE")).into());
    f.insert(
        "cpus".into(),
        get("cpus")
            .parse::<i64>()
            .map(Dynamic::from)
            .unwrap_or(Dynamic::UNIT),
    );
    let mem = get("meminfo");
    for (name, key) in [
        ("memtotal_mb", "MemTotal"),
        ("memfree_mb", "MemAvailable"),
        ("swaptotal_mb", "SwapTotal"),
        ("swapfree_mb", "SwapFree"),
    ] {
        let v = meminfo_mb(&mem, key)
            .map(Dynamic::from)
            .unwrap_or(Dynamic::UNIT);
        f.insert(name.into(), v);
    }
    f.insert("mounts".into(), mounts(&get("df")).into());
    let ifaces = interfaces(&get("ip_addr"));
    f.insert(
        "default_ipv4".into(),
        default_route(&get("route4"), &ifaces, "ipv4"),
    );
    f.insert(
        "default_ipv6".into(),
        default_route(&get("route6"), &ifaces, "ipv6"),
    );
    f.insert("interfaces".into(), Dynamic::from_map(ifaces));
    f.insert("service_mgr".into(), text("init"));
    let pkg = match get("pkg").as_str() {
        "apt-get" => "apt".to_string(),
        other => other.to_string(),
    };
    f.insert(
        "pkg_mgr".into(),
        if pkg.is_empty() {
            Dynamic::UNIT
        } else {
            pkg.into()
        },
    );
    let virt = get("virt");
    f.insert(
        "virtualization_type".into(),
        if virt.is_empty() { "none".into() } else { virt }.into(),
    );
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"@@rb:hostname
rbh7
@@rb:fqdn
rbh7.rblab.internal
@@rb:kernel
6.1.0-13-amd64
@@rb:architecture
x86_64
@@rb:os_release
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian
@@rb:cpus
2
@@rb:meminfo
MemTotal:        4936760 kB
MemFree:          123456 kB
MemAvailable:    2048000 kB
SwapTotal:             0 kB
SwapFree:              0 kB
@@rb:df
Filesystem     Type    1024-blocks     Used Available Capacity Mounted on
rblab-rbh7     overlay   264212084 45804144  49481744      49% /
tmpfs          tmpfs       2468380       24   2468356       1% /mnt/my disk
@@rb:ip_addr
[{"ifname":"lo","flags":["LOOPBACK","UP"],"mtu":65536,"address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},{"ifname":"eth0","flags":["BROADCAST","UP"],"mtu":1500,"address":"aa:bb:cc:dd:ee:ff","addr_info":[{"family":"inet","local":"10.77.0.17","prefixlen":24,"scope":"global"},{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"}]}]
@@rb:route4
[{"dst":"default","gateway":"10.77.0.1","dev":"eth0"}]
@@rb:route6
[]
@@rb:init
systemd
@@rb:pkg
apt-get
@@rb:virt
systemd-nspawn
"#;

    #[test]
    fn the_gathering_output_parses_into_ansibles_names() {
        let f = parse(SAMPLE);
        let s = |k: &str| f[k].to_string();
        assert_eq!(s("hostname"), "rbh7");
        assert_eq!(s("fqdn"), "rbh7.rblab.internal");
        assert_eq!(s("distribution"), "Debian");
        assert_eq!(s("distribution_version"), "12");
        assert_eq!(s("distribution_release"), "bookworm");
        assert_eq!(s("os_family"), "Debian");
        assert_eq!(f["cpus"].as_int().unwrap(), 2);
        assert_eq!(f["memtotal_mb"].as_int().unwrap(), 4821);
        assert_eq!(f["memfree_mb"].as_int().unwrap(), 2000);
        assert_eq!(f["swaptotal_mb"].as_int().unwrap(), 0);
        let mounts = f["mounts"].clone().into_array().unwrap();
        let root = mounts[0].clone().cast::<Map>();
        assert_eq!(root["mount"].to_string(), "/");
        assert_eq!(root["size_total"].as_int().unwrap(), 264212084 * 1024);
        assert_eq!(root["size_available"].as_int().unwrap(), 49481744 * 1024);
        let spaced = mounts[1].clone().cast::<Map>();
        assert_eq!(spaced["mount"].to_string(), "/mnt/my disk");
        let d4 = f["default_ipv4"].clone().cast::<Map>();
        assert_eq!(d4["address"].to_string(), "10.77.0.17");
        assert_eq!(d4["interface"].to_string(), "eth0");
        assert_eq!(d4["gateway"].to_string(), "10.77.0.1");
        assert!(f["default_ipv6"].is_unit());
        let ifaces = f["interfaces"].clone().cast::<Map>();
        let eth0 = ifaces["eth0"].clone().cast::<Map>();
        assert_eq!(eth0["macaddress"].to_string(), "aa:bb:cc:dd:ee:ff");
        assert_eq!(eth0["mtu"].as_int().unwrap(), 1500);
        assert!(eth0["active"].as_bool().unwrap());
        assert_eq!(s("service_mgr"), "systemd");
        assert_eq!(s("pkg_mgr"), "apt");
        assert_eq!(s("virtualization_type"), "systemd-nspawn");
    }

    #[test]
    fn missing_tools_leave_their_facts_out() {
        let f = parse("@@rb:hostname\nbox\n@@rb:ip_addr\n@@rb:virt\n@@rb:os_release\nID=alpine\nNAME=\"Alpine Linux\"\n");
        assert_eq!(f["hostname"].to_string(), "box");
        assert!(f["kernel"].is_unit() && f["cpus"].is_unit() && f["pkg_mgr"].is_unit());
        assert!(f["default_ipv4"].is_unit());
        assert_eq!(f["interfaces"].clone().cast::<Map>().len(), 0);
        assert_eq!(f["virtualization_type"].to_string(), "none");
        assert_eq!(f["distribution"].to_string(), "Alpine");
        assert_eq!(f["os_family"].to_string(), "Alpine");
        assert_eq!(os_family("pop", "ubuntu debian"), "Debian");
        assert_eq!(os_family("rocky", "rhel centos fedora"), "RedHat");
    }
}
