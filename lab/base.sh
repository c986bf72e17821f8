#!/usr/bin/env bash
# Build, once, what every lab test host boots from: a Debian root file system made from
# Debian's packages by mmdebstrap ($LAB/base/root: systemd as init, sshd, apt, sudo), and the
# lab's package repository ($LAB/debs: the real .debs the runbooks install, with exactly the
# dependencies the base lacks, indexed for apt). Each host runs on a copy-on-write layer over
# the base (lab/start-host.sh), so nothing a host installs reaches another host or the
# controller, and nothing the controller installs reaches a host.
#
#   lab/base.sh          (idempotent: rebuilt only when the package lists below change)
#
# Why mmdebstrap and overlayfs (docs/testing.md, "The lab's hosts"): mmdebstrap builds the
# root in about 20 s with no state left on the controller; an overlay per host costs nothing
# to create and a few MB per host, where a copy of the root per host costs 280 MB and 2 s each.
set -euo pipefail
LAB=${RB_LAB_DIR:-/var/tmp/rblab}
SUITE=bookworm
MIRROR=${RB_LAB_MIRROR:-http://deb.debian.org/debian}
# What a minimal server image has, plus what the lab's stand-ins need (python3 with YAML for
# the kubelet and flanneld stand-ins), openssl for the lab's certificates, and what the tests
# look at hosts with.
BASE_PACKAGES="systemd,systemd-sysv,dbus,openssh-server,iproute2,sudo,python3,python3-yaml,curl,ca-certificates,openssl,procps,kmod,iptables,iputils-ping,less"
# What the runbooks install from the lab's repository (etcd.rhai, workers.rhai).
REPO_PACKAGES="etcd-server etcd-client containerd runc conntrack containernetworking-plugins ipset ipvsadm"
stamp="$SUITE $BASE_PACKAGES $REPO_PACKAGES"
[ "$(id -u)" = 0 ] || { echo "lab/base.sh: run as root" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "lab/base.sh: missing mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
command -v dpkg-scanpackages >/dev/null || { echo "lab/base.sh: missing dpkg-scanpackages (apt-get install dpkg-dev)" >&2; exit 1; }
if [ "$(cat "$LAB/base/stamp" 2>/dev/null)" = "$stamp" ] && [ -x "$LAB/base/root/lib/systemd/systemd" ] && [ -f "$LAB/debs/Packages" ]; then
    exit 0
fi
mkdir -p "$LAB"
chmod 700 "$LAB"
rm -rf "$LAB/base" "$LAB/debs"
mkdir -p "$LAB/base" "$LAB/debs"
start=$(date +%s)
# The customize hooks run inside the new root before mmdebstrap cleans its apt cache: apt
# resolves the repository packages against the base and downloads only what it lacks.
mmdebstrap --quiet --variant=minbase --include="$BASE_PACKAGES" \
    --customize-hook='chroot "$1" apt-get clean' \
    --customize-hook='chroot "$1" apt-get install --download-only -y -q '"$REPO_PACKAGES"' >/dev/null' \
    --customize-hook='sync-out /var/cache/apt/archives '"$LAB/debs" \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
    --customize-hook='rm -f "$1"/etc/machine-id "$1"/var/lib/dbus/machine-id' \
    "$SUITE" "$LAB/base/root" "$MIRROR"
rm -rf "$LAB/debs/partial" "$LAB/debs/lock"
(cd "$LAB/debs" && dpkg-scanpackages -m . 2>/dev/null > Packages)
chmod -R a+rX "$LAB/debs"
echo "$stamp" > "$LAB/base/stamp"
echo "lab: base root and package repository built in $(( $(date +%s) - start )) s ($(du -sh "$LAB/base/root" | cut -f1), $(ls "$LAB/debs"/*.deb | wc -l) packages in the repository)"
