#!/usr/bin/env bash
# (Re)start one lab host in its network namespace. Used by lab/up.sh, and by tests that kill
# a host and bring it back.
#
#   lab/start-host.sh NAME
#
# A test host (hosts/NAME/kind = machine) is a machine: systemd-nspawn boots Debian's systemd
# as PID 1 on its own root file system, a copy-on-write layer (overlayfs) over the base that
# lab/base.sh built, so sshd, etcd, containerd and every unit run under the real systemd and
# apt's maintainer scripts run as on a real host. The first start configures the root: name,
# machine id, host key, root's authorized key, its certificates (/etc/rb-lab/pki), the sudo
# user `rbop`, apt pointed at the lab's repository (bound read-only at /srv/rb-lab-debs).
#
# A scale host (kind = light) is a lighter sketch of one for the 200-host test: sshd in its
# own mount and UTS namespaces over the controller's file systems (copy-on-write /etc,
# /var/lib, /opt, /usr, /usr/local and /root; fresh /run and /tmp), with no init.
set -euo pipefail
h=$1
LAB=${RB_LAB_DIR:-/var/tmp/rblab}
d=$LAB/hosts/$h
[ -f "$d/kind" ] || { echo "start-host.sh: no lab host $h (run lab/up.sh)" >&2; exit 1; }
addr=$(cat "$d/addr")

if [ "$(cat "$d/kind")" = machine ]; then
    root=$d/root
    # A killed host's nspawn may still be tearing down: wait for it before booting again.
    if [ -f "$d/nspawn.pid" ]; then
        for _ in $(seq 1 100); do kill -0 "$(cat "$d/nspawn.pid")" 2>/dev/null || break; sleep 0.1; done
    fi
    mkdir -p "$d/upper" "$d/work" "$root"
    mountpoint -q "$root" ||
        mount -t overlay "rblab-$h" -o "lowerdir=$LAB/base/root,upperdir=$d/upper,workdir=$d/work" "$root"
    if [ ! -f "$d/configured" ]; then
        echo "$h" > "$root/etc/hostname"
        # As Debian's installer writes it: the name with its domain first, so `hostname -f`
        # answers the FQDN while `hostname` (and kubelet's os.Hostname()) answers the short name.
        { printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s.rblab.internal %s\n' "$h" "$h"; cat "$LAB/hosts.lab"; } > "$root/etc/hosts"
        tr -d '-' < /proc/sys/kernel/random/uuid > "$root/etc/machine-id"
        install -m 0600 "$d/ssh_host_ed25519_key" "$root/etc/ssh/ssh_host_ed25519_key"
        install -m 0644 "$d/ssh_host_ed25519_key.pub" "$root/etc/ssh/ssh_host_ed25519_key.pub"
        cat > "$root/etc/ssh/sshd_config.d/rb-lab.conf" <<CFG
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
PrintLastLog no
UseDNS no
MaxSessions 200
MaxStartups 200
CFG
        # The host's certificates and keys from the lab's CA (lab/pki.sh).
        install -d -m 0755 "$root/etc/rb-lab/pki"
        install -m 0644 "$LAB/pki/$h"/*.crt "$root/etc/rb-lab/pki/"
        install -m 0600 "$LAB/pki/$h"/*.key "$root/etc/rb-lab/pki/"
        install -d -m 0700 "$root/root/.ssh"
        install -m 0600 "$LAB/authorized_keys" "$root/root/.ssh/authorized_keys"
        # rbop: a login user who needs sudo with a password, for become tests (docs/hosts.md).
        chroot "$root" useradd -m -d /var/lib/rbop -s /bin/sh rbop
        echo "rbop:rbop-lab-sudo" | chroot "$root" chpasswd
        echo "rbop ALL=(ALL:ALL) ALL" > "$root/etc/sudoers.d/rbop"
        chmod 0440 "$root/etc/sudoers.d/rbop"
        install -d -m 0700 "$root/var/lib/rbop/.ssh"
        install -m 0600 "$LAB/authorized_keys" "$root/var/lib/rbop/.ssh/authorized_keys"
        chroot "$root" chown -R rbop: /var/lib/rbop/.ssh
        # apt reaches only the lab's repository of real Debian packages (traffic never leaves
        # this machine). Its package lists have never been read, as on a fresh cloud image:
        # whoever installs first must run apt-get update.
        rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
        echo "deb [trusted=yes] file:/srv/rb-lab-debs ./" > "$root/etc/apt/sources.list.d/rb-lab.list"
        printf 'Acquire::Languages "none";\n' > "$root/etc/apt/apt.conf.d/99rb-lab"
        mkdir -p "$root/srv/rb-lab-debs"
        rm -rf "$root"/var/lib/apt/lists/*_Packages
        touch "$d/configured"
    fi
    # systemd.firstboot=off: the machine id is set, and the first-boot wizard must never wait
    # on a console nobody reads. --console=passive: the console is a log file. CAP_NET_ADMIN:
    # nspawn keeps it only for networks it makes itself, and a host manages its own
    # interfaces and routes (flannel's vxlan, pod routes); the namespace is the host's alone.
    # Each machine gets a cgroup subtree of its own (rblab/NAME in the systemd-tracking
    # hierarchies). nspawn without a host systemd (--keep-unit) boots the machine in the
    # cgroup it starts in; were that shared, every host's systemd would manage the same
    # system.slice/etcd.service, stopping one host's etcd would reach into the others', and
    # starts would fail with status 219/CGROUP.
    cgroups=$(awk '($3 == "cgroup2") || ($3 == "cgroup" && $4 ~ /name=systemd/) {print $2}' /proc/mounts)
    for c in $cgroups; do mkdir -p "$c/rblab/$h"; done
    # /proc/sys/net writable (SYSTEMD_NSPAWN_API_VFS_WRITABLE=network): the network
    # namespace is the host's own, so its net sysctls (ip_forward, for routing pods) are the
    # host's to set, as on a real machine; the rest of /proc/sys is the shared kernel's and
    # stays read-only. nspawn then mounts a sysfs of the namespace's own (/sys/class/net
    # lists the host's interfaces) without /sys/module: the kernel's modules, shared by every
    # host, are bound in read-only as a real host sees its own.
    setsid bash -c 'for c in $1; do echo $$ > "$c/rblab/$2/cgroup.procs"; done; shift 2; exec "$@"' _ "$cgroups" "$h" \
        env SYSTEMD_NSPAWN_API_VFS_WRITABLE=network systemd-nspawn --quiet --boot --directory="$root" --machine="$h" \
        --network-namespace-path="/run/netns/$h" --register=no --keep-unit \
        --capability=CAP_NET_ADMIN --console=passive --bind-ro="$LAB/debs:/srv/rb-lab-debs" \
        --bind-ro=/sys/module:/sys/module \
        -- systemd.firstboot=off >"$d/console.log" 2>&1 </dev/null &
    echo $! > "$d/nspawn.pid"
    exit 0
fi

ip netns exec "$h" unshare --mount --uts --propagation private bash -euc '
    d=$1; h=$2; lab=$3; addr=$4
    for pair in etc:/etc var-lib:/var/lib opt:/opt usr:/usr usr-local:/usr/local root:/root; do
        m=${pair%%:*}; target=${pair#*:}
        mkdir -p "$d/upper/$m" "$d/work/$m"
        mount -t overlay "rblab-$h-$m" -o "lowerdir=$target,upperdir=$d/upper/$m,workdir=$d/work/$m" "$target"
    done
    mount -t tmpfs -o mode=755 "rblab-$h-run" /run
    mount -t tmpfs -o mode=1777 "rblab-$h-tmp" /tmp
    mount --bind "$lab/empty_bashrc" /root/.bashrc
    mkdir -p /run/sshd
    cat > /run/sshd_config <<CFG
ListenAddress $addr
HostKey $d/ssh_host_ed25519_key
PidFile /run/sshd.pid
AuthorizedKeysFile $lab/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
MaxSessions 200
MaxStartups 200
Subsystem sftp internal-sftp
CFG
    hostname "$h"
    echo "$h" > /etc/hostname
    exec /usr/sbin/sshd -f /run/sshd_config
' _ "$d" "$h" "$LAB" "$addr"
