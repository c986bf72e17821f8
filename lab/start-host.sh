#!/usr/bin/env bash
# (Re)start one lab host's sshd in its network namespace, with its own mount and UTS
# namespaces: copy-on-write /etc, /var/lib, /opt, /usr, /usr/local and /root over the machine's,
# fresh /run and /tmp, an empty ~/.bashrc, its hostname, and a sudo user `rbop`. Used by
# lab/up.sh, and by tests that stop a host and bring it back.
#
#   lab/start-host.sh NAME
set -euo pipefail
h=$1
LAB=${RB_LAB_DIR:-/var/tmp/rblab}
d=$LAB/hosts/$h
[ -f "$d/sshd_config" ] || { echo "start-host.sh: no lab host $h (run lab/up.sh)" >&2; exit 1; }
ip netns exec "$h" unshare --mount --uts --propagation private bash -euc '
    d=$1; h=$2; lab=$3; stand_ins=$4
    for pair in etc:/etc var-lib:/var/lib opt:/opt usr:/usr usr-local:/usr/local root:/root; do
        m=${pair%%:*}; target=${pair#*:}
        mount -t overlay "rblab-$h-$m" -o "lowerdir=$target,upperdir=$d/upper/$m,workdir=$d/work/$m" "$target"
    done
    # Stand-ins for what a real host has and a namespace cannot (docs/hosts.md, "The lab"),
    # installed before /tmp and /run are replaced: the checkout may live under either.
    # (flanneld is not here: the flannel runbook downloads it, from the lab mirror.)
    mkdir -p /usr/local/sbin
    install -m 0755 "$stand_ins/systemctl" /usr/local/sbin/systemctl
    mount -t tmpfs -o mode=755 "rblab-$h-run" /run
    mount -t tmpfs -o mode=1777 "rblab-$h-tmp" /tmp
    mount --bind "$lab/empty_bashrc" /root/.bashrc
    mkdir -p /run/sshd
    # rbop: a login user who needs sudo with a password, for become tests (docs/hosts.md).
    # sshd reads the keys of a user as that user, so rbop has its own copy of the lab key.
    if command -v sudo >/dev/null && ! id rbop >/dev/null 2>&1; then
        useradd -m -d /var/lib/rbop -s /bin/sh rbop
        echo "rbop:rbop-lab-sudo" | chpasswd
        echo "rbop ALL=(ALL:ALL) ALL" > /etc/sudoers.d/rbop
        chmod 0440 /etc/sudoers.d/rbop
        install -d -o rbop -m 0700 /var/lib/rbop/.ssh
        install -o rbop -m 0600 "$lab/authorized_keys" /var/lib/rbop/.ssh/authorized_keys
    fi
    # A bare host (RB_LAB_BARE=1, first start only): the packages the runbooks install are
    # removed from its copy of the system, and apt installs them from the lab repository
    # ($lab/debs, the real Debian packages), so the runbooks install them for real.
    if [ "${RB_LAB_BARE:-0}" = 1 ] && [ -f "$lab/debs/Packages" ] && [ ! -e /var/lib/rb-lab-bare ]; then
        rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
        echo "deb [trusted=yes] file:$lab/debs ./" > /etc/apt/sources.list.d/rb-lab.list
        printf "Dir::Cache \"/var/lib/rb-lab-apt\";\nAcquire::Languages \"none\";\nAPT::Sandbox::User \"root\";\n" > /etc/apt/apt.conf.d/99rb-lab
        mkdir -p /var/lib/rb-lab-apt/archives/partial
        DEBIAN_FRONTEND=noninteractive dpkg --purge --force-depends $(cat "$lab/debs/packages") >/dev/null 2>&1 || true
        rm -rf /var/lib/apt/lists/*
        apt-get update -qq >/dev/null 2>&1
        touch /var/lib/rb-lab-bare
    fi
    hostname "$h"
    echo "$h" > /etc/hostname
    # As on an installed host, its own name resolves (sudo looks it up).
    grep -q "[[:space:]]$h\$" /etc/hosts || echo "127.0.1.1 $h" >> /etc/hosts
    exec /usr/sbin/sshd -f "$d/sshd_config"
' _ "$d" "$h" "$LAB" "$(cd "$(dirname "$0")" && pwd)/stand-ins"
