//! rb's stdlib: the Rhai modules under stdlib/, embedded in the binary so `import "net"`
//! works from any directory.

/// The stdlib modules: name and source.
pub const STDLIB: &[(&str, &str)] = &[
    ("cron", include_str!("../../../stdlib/cron.rhai")),
    ("etcd", include_str!("../../../stdlib/etcd.rhai")),
    ("files", include_str!("../../../stdlib/files.rhai")),
    ("k8s", include_str!("../../../stdlib/k8s.rhai")),
    ("kmod", include_str!("../../../stdlib/kmod.rhai")),
    ("net", include_str!("../../../stdlib/net.rhai")),
    ("pkg", include_str!("../../../stdlib/pkg.rhai")),
    ("sysctl", include_str!("../../../stdlib/sysctl.rhai")),
    ("systemd", include_str!("../../../stdlib/systemd.rhai")),
    ("users", include_str!("../../../stdlib/users.rhai")),
];
