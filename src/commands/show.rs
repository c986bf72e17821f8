//! Commands that show what rb would use: `rb hosts`, `rb inventory`, `rb config`.

use super::*;

pub fn hosts(args: HostsArgs) -> Result<(), Diagnostic> {
    // Encrypted values stay encrypted: nothing here needs them.
    let inv = rb::inventory::vault::showing_encrypted(|| load_inventory(&args.hosts, None))?;
    let order = Order::parse(&args.order, args.hosts.seed).map_err(|e| usage(e.to_string()))?;
    let limit_pattern = match &args.hosts.limit {
        None => None,
        Some(p) => Some(
            rb::inventory::expand_limit_files(p).map_err(|e| usage(format!("--limit {p}: {e}")))?,
        ),
    };
    let limit = match &limit_pattern {
        None => None,
        Some(l) => Some(inv.limit(l).map_err(|e| usage(e.to_string()))?),
    };
    if let (Some(l), Some(p)) = (&limit, &limit_pattern) {
        if l.is_empty() {
            return Err(usage(inv.selects_nothing("--limit", p)));
        }
    }
    let sel = inv
        .select_within(&args.pattern, limit.as_ref())
        .map_err(|e| usage(e.to_string()))?;
    if sel.hosts.is_empty() {
        return Err(usage(
            inv.selects_nothing_within(&args.pattern, limit.as_ref()),
        ));
    }
    for t in &sel.unmatched {
        eprintln!("warning: {}", inv.no_match_warning(t));
    }
    let mut names: Vec<String> = sel
        .hosts
        .into_iter()
        .map(|i| inv.hosts[i].name.clone())
        .collect();
    order.apply(&mut names);
    for n in names {
        println!("{n}");
    }
    Ok(())
}

pub fn inventory(args: InventoryArgs) -> Result<(), Diagnostic> {
    if args.hosts.inventory.is_empty() {
        return Err(usage(
            "rb inventory needs -i SOURCE (a file, a folder or 'host1,host2,')",
        ));
    }
    // As ansible-inventory: `!vault` values shown encrypted, `{"__ansible_vault": ...}`.
    let inv = rb::inventory::vault::showing_encrypted(|| {
        load_inventory(&args.hosts, args.playbook_dir.as_deref())
    })?;
    let out = match (&args.host, args.list) {
        (Some(h), _) => inv.host_json(h).map_err(|e| usage(e.to_string()))?,
        (None, true) => inv.to_list_json(),
        (None, false) => return Err(usage("rb inventory needs --list or --host NAME")),
    };
    // ansible-inventory prints with `sort_keys=True`; variables keep their files' order
    // everywhere else.
    println!(
        "{}",
        serde_json::to_string_pretty(&sort_keys(out)).expect("JSON values serialize")
    );
    Ok(())
}

/// Every map's keys sorted, at every depth.
fn sort_keys(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut pairs: Vec<_> = m.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(pairs.into_iter().map(|(k, x)| (k, sort_keys(x))).collect())
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(sort_keys).collect())
        }
        other => other,
    }
}

/// `rb config`: each setting a command here would use, and where it came from.
pub fn config(
    args: crate::cli::ConfigArgs,
    applied: &crate::config::Applied,
) -> Result<(), Diagnostic> {
    let files = [
        ("rb.toml", &applied.rb_toml),
        ("ansible.cfg", &applied.ansible_cfg),
    ];
    for (name, path) in files {
        match path {
            Some(p) => println!("{name}: {}", p.display()),
            None => println!("{name}: (none found)"),
        }
    }
    let source = |name: &str, default: &str| {
        applied
            .sources
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| default.to_string())
    };
    let h = &args.hosts;
    let b = &args.become_;
    let show = |v: Option<String>| v.unwrap_or_else(|| "(not set)".into());
    let flag = "command line, RB_* variable or default";
    let rows = [
        (
            "inventory",
            show((!h.inventory.is_empty()).then(|| h.inventory.join(", "))),
            source("inventory", flag),
        ),
        (
            "remote_user",
            show(h.user.clone()),
            source("remote_user", flag),
        ),
        (
            "private_key_file",
            show(h.private_key.clone()),
            source("private_key_file", flag),
        ),
        (
            "forks",
            show(args.forks.map(|f| f.to_string())),
            source("forks", flag),
        ),
        (
            "connect_timeout",
            h.connect_timeout.to_string(),
            source("connect_timeout", flag),
        ),
        (
            "ssh_persist",
            h.ssh_persist.to_string(),
            source("ssh_persist", flag),
        ),
        (
            "ssh_config",
            show(h.ssh_config.as_ref().map(|p| p.display().to_string())),
            source("ssh_config", flag),
        ),
        (
            "ssh_args",
            show(h.ssh_args.clone()),
            source("ssh_args", "not set"),
        ),
        (
            "ansible_managed",
            show(h.ansible_managed.clone()),
            source("ansible_managed", "not set"),
        ),
        (
            "ssh_common_args",
            show(h.ssh_common_args.clone()),
            source("ssh_common_args", flag),
        ),
        (
            "ssh_extra_args",
            show(h.ssh_extra_args.clone()),
            source("ssh_extra_args", "not set"),
        ),
        ("become", b.become_.to_string(), source("become", flag)),
        (
            "become_user",
            show(b.become_user.clone()),
            source("become_user", flag),
        ),
        (
            "become_ask_pass",
            b.ask_become_pass.to_string(),
            source("become_ask_pass", flag),
        ),
        (
            "vault_password_file",
            show(
                args.vault
                    .vault_password_file
                    .as_ref()
                    .map(|p| p.display().to_string()),
            ),
            source("vault_password_file", flag),
        ),
    ];
    for (name, value, from) in rows {
        println!("{name} = {value}\t({from})");
    }
    Ok(())
}
