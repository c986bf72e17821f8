//! The inventory's API as rb's language layer uses it (orders, group members, a host's
//! groups, descriptions), on the `edges` corpus inventory; expectations written by hand.

use inventory::{Inventory, Order};

fn edges() -> Inventory {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/inventories/edges/inventory.ini"
    );
    Inventory::load(&[path.to_string()], None).unwrap()
}

fn names(inv: &Inventory, idx: &[usize]) -> Vec<String> {
    idx.iter().map(|&i| inv.hosts[i].name.clone()).collect()
}

fn index(inv: &Inventory, name: &str) -> usize {
    inv.hosts.iter().position(|h| h.name == name).unwrap()
}

#[test]
fn orders_put_hosts_where_ansible_puts_them() {
    let given = ["e", "a", "d", "b", "c"];
    let cases = [
        ("inventory", None, ["e", "a", "d", "b", "c"]),
        ("reverse_inventory", None, ["c", "b", "d", "a", "e"]),
        ("sorted", None, ["a", "b", "c", "d", "e"]),
        ("reverse_sorted", None, ["e", "d", "c", "b", "a"]),
        // Seed 8's shuffle, written out: a seed must give the same order on every run.
        ("shuffle", Some(8), ["b", "a", "e", "c", "d"]),
    ];
    for (kind, seed, want) in cases {
        let mut items = given;
        Order::parse(kind, seed).unwrap().apply(&mut items);
        assert_eq!(items, want, "{kind}");
    }
    assert!(Order::parse("random", None).is_err());
}

#[test]
fn group_members_and_a_hosts_groups() {
    let inv = edges();
    let everyone = [
        "d1",
        "d2",
        "d3",
        "web.example.com",
        "fe80::1",
        "fe80::2",
        "10.0.0.5",
        "n1",
        "n2",
    ];
    assert_eq!(names(&inv, &inv.group_hosts("all")), everyone);
    assert_eq!(names(&inv, &inv.group_hosts("zone")), everyone);
    assert_eq!(names(&inv, &inv.group_hosts("deep")), ["d1", "d2"]);
    assert_eq!(names(&inv, &inv.group_hosts("side")), ["d2", "d3"]);
    assert!(inv.group_hosts("ungrouped").is_empty());
    assert!(inv.group_hosts("no-such-group").is_empty());
    assert_eq!(inv.descendants("zone"), ["zone", "a", "b", "c", "side"]);
    assert_eq!(inv.descendants("deep"), ["deep", "later"]);
    // Variable order: by depth (nesting declared bottom-up still counts), then
    // ansible_group_priority (side's 5 after later's default 1), then name.
    assert_eq!(
        inv.groups_of(index(&inv, "d2")),
        ["deep", "zone", "a", "later", "side", "b", "c"]
    );
    assert_eq!(inv.groups_of(index(&inv, "n1")), ["zone", "a", "b", "c"]);
    assert!(inv.groups_of(index(&inv, "localhost")).is_empty());
}

#[test]
fn descriptions_and_the_no_inventory_case() {
    let inv = edges();
    assert!(inv
        .describe()
        .ends_with("tests/inventories/edges/inventory.ini"));
    let two = Inventory::load(&["a,b".into(), "c,".into()], None).unwrap();
    assert_eq!(two.describe(), "a,b, c,");
    let local = Inventory::localhost();
    assert_eq!(
        local.describe(),
        "the inventory (no -i given: only localhost)"
    );
    // As ansible-core: the implicit localhost is in no group, `all` included.
    assert!(local.group_hosts("all").is_empty());
    assert!(local.groups_of(0).is_empty());
    assert_eq!(local.host_vars(0)["ansible_connection"], "local");
    assert_eq!(
        names(&local, &local.select("localhost").unwrap().hosts),
        ["localhost"]
    );
    let why = local.selects_nothing("host pattern", "all");
    assert!(
        why.contains("the implicit localhost is in no group"),
        "{why}"
    );
}

fn load_text(name: &str, text: &[u8]) -> Result<Inventory, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    Inventory::load(&[path.display().to_string()], None).map_err(|e| {
        e.to_string()
            .replace(&dir.path().display().to_string(), "DIR")
    })
}

/// Files rb refuses, each saying where and why; files without an extension are tried as
/// YAML, then INI (as ansible-core does), and the error shown is the likelier format's.
#[test]
fn source_files_refused_with_reasons() {
    let e = load_text("bad.ini", b"[web]\nh1\nh\xff2\n").unwrap_err();
    assert_eq!(
        e,
        "DIR/bad.ini:3: not valid UTF-8; save the inventory as UTF-8"
    );
    let e = load_text("empty.yml", b"# nothing yet\n").unwrap_err();
    assert!(e.contains("empty YAML inventory"), "{e}");
    let e = load_text("plain.yml", b"all:\n  foo: x\n").unwrap_err();
    assert!(e.starts_with("DIR/plain.yml:2:"), "{e}");
    // `plugin:` with a value is a plugin's configuration; a group named plugin is a group.
    assert!(load_text("p.yml", b"plugin: aws_ec2\n")
        .unwrap_err()
        .contains("inventory plugin"));
    let inv = load_text("g.yml", b"plugin:\nweb:\n  hosts: w1\n").unwrap();
    assert!(inv.groups.contains_key("plugin") && inv.groups.contains_key("web"));
    // No extension: YAML-looking text gets the YAML error, INI-looking text the INI one.
    let e = load_text("hosts", b"all:\n  hosts: [\n").unwrap_err();
    assert!(e.contains("invalid YAML"), "{e}");
    let e = load_text("hosts", b"[web\nh1\n").unwrap_err();
    assert_eq!(
        e,
        "DIR/hosts:1: `[web` is neither a section ([name]) nor a host"
    );
    let inv = load_text("hosts", b"[web]\nh1\n").unwrap();
    assert_eq!(names(&inv, &inv.group_hosts("web")), ["h1"]);
    let inv = load_text("hosts", b"web:\n  hosts:\n    h2:\n").unwrap();
    assert_eq!(names(&inv, &inv.group_hosts("web")), ["h2"]);
}

/// `--limit` narrows every selection; a limit term that matches nothing is named, and a
/// limit that lets nothing through is empty (callers refuse it).
#[test]
fn selections_are_narrowed_to_the_limit() {
    let inv = Inventory::load(&["web1,web2,db1,".to_string()], None).unwrap();
    let limit = inv.limit("web*:nosuch").unwrap();
    assert_eq!(limit.unmatched, ["nosuch"]);
    assert_eq!(limit.len(), 2);
    assert!(!limit.is_empty());
    assert!(limit.allows(0) && limit.allows(1) && !limit.allows(2) && !limit.allows(9));
    let sel = inv.select_within("all", Some(&limit)).unwrap();
    assert_eq!(names(&inv, &sel.hosts), ["web1", "web2"]);
    let sel = inv.select_within("db1:web2:ghost", Some(&limit)).unwrap();
    assert_eq!(names(&inv, &sel.hosts), ["web2"]);
    assert_eq!(sel.unmatched, ["ghost"]);
    let all = inv.select_within("all", None).unwrap();
    assert_eq!(names(&inv, &all.hosts), ["web1", "web2", "db1"]);
    let none = inv.limit("ghost").unwrap();
    assert!(none.is_empty());
    assert_eq!(none.len(), 0);
    assert!(inv
        .no_match_warning("ghost")
        .starts_with("host pattern `ghost` matches no host or group in "));
}

/// A command-line default lands on `all` under every inventory value, and never over a
/// value the inventory sets on `all` itself, by either spelling.
#[test]
fn command_line_defaults_stay_under_the_inventorys_own_values() {
    let mut inv = Inventory::load(&["web1,".to_string()], None).unwrap();
    inv.default_on_all("ansible_ssh_private_key_file", "/k", "(command line)");
    let host = inv.host_json("web1").unwrap();
    assert_eq!(host["ansible_ssh_private_key_file"], "/k");

    let dir = std::env::temp_dir().join(format!("rb-inv-defaults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hosts.ini");
    std::fs::write(&file, "web1\n[all:vars]\nansible_private_key_file=/own\n").unwrap();
    let mut inv = Inventory::load(&[file.display().to_string()], None).unwrap();
    inv.default_on_all("ansible_ssh_private_key_file", "/k", "(command line)");
    inv.default_on_all("ansible_ssh_common_args", "-o X=1", "(command line)");
    let host = inv.host_json("web1").unwrap();
    assert_eq!(host["ansible_private_key_file"], "/own");
    assert!(host.get("ansible_ssh_private_key_file").is_none());
    assert_eq!(host["ansible_ssh_common_args"], "-o X=1");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A pattern that selects nothing is named with the inventory and the closest host or
/// group (within two edits), or blamed on `--limit` when the inventory has its hosts.
#[test]
fn a_pattern_that_selects_nothing_names_the_closest_name() {
    let inv = Inventory::load(&["web1,web2,db1,".to_string()], None).unwrap();
    assert_eq!(
        inv.selects_nothing("--limit", "wbe1"),
        "--limit `wbe1` selects no host in web1,web2,db1, (did you mean `web1`?)"
    );
    assert_eq!(
        inv.selects_nothing("host pattern", "web1:zzzzzz"),
        "host pattern `web1:zzzzzz` selects no host in web1,web2,db1,"
    );
    let limit = inv.limit("db1").unwrap();
    assert_eq!(
        inv.selects_nothing_within("web*", Some(&limit)),
        "host pattern `web*` selects no host inside --limit"
    );
    assert_eq!(
        inv.selects_nothing_within("dbx", Some(&limit)),
        "host pattern `dbx` selects no host in web1,web2,db1, (did you mean `db1`?)"
    );
    assert_eq!(
        inv.selects_nothing_within("wbe2", None),
        "host pattern `wbe2` selects no host in web1,web2,db1, (did you mean `web2`?)"
    );
}

/// Ansible's `groups`: every group in the order groups were made, its hosts in inventory
/// order (the implicit localhost in none).
#[test]
fn groups_json_lists_every_group_with_its_hosts() {
    let inv =
        Inventory::parse_ini("i.ini", "[web]\nw2\nw1\n[db]\nd1\n[all:children]\nweb\n").unwrap();
    let g = inv.groups_json();
    assert_eq!(g["web"], serde_json::json!(["w2", "w1"]));
    assert_eq!(g["db"], serde_json::json!(["d1"]));
    assert_eq!(g["all"], serde_json::json!(["w2", "w1", "d1"]));
    assert_eq!(g["ungrouped"], serde_json::json!([]));
}
