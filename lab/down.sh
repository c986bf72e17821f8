#!/usr/bin/env bash
# Tear the lab down: stop every process in the lab's namespaces (a machine's systemd with
# them, and so its systemd-nspawn), unmount the machines' root file systems, delete the
# namespaces, the veths and the bridge, and the per-host state. Idempotent. The base root
# and the package repository stay (lab/base.sh rebuilds them only when they change).
set -uo pipefail
LAB=${RB_LAB_DIR:-/var/tmp/rblab}
for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^rbh[0-9]+$/ {print $1}'); do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
done
for f in "$LAB"/hosts/*/nspawn.pid; do
    [ -f "$f" ] || continue
    for _ in $(seq 1 100); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$(cat "$f")" 2>/dev/null
done
for root in "$LAB"/hosts/*/root; do
    mountpoint -q "$root" 2>/dev/null && { umount "$root" 2>/dev/null || umount -l "$root"; }
done
for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^rbh[0-9]+$/ {print $1}'); do
    ip netns del "$ns" 2>/dev/null
done
for v in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^rbv-'); do
    ip link del "$v" 2>/dev/null
done
ip link del rblab0 2>/dev/null
# The machines' cgroup subtrees (lab/start-host.sh), deepest first; a busy one stays.
for c in $(awk '($3 == "cgroup2") || ($3 == "cgroup" && $4 ~ /name=systemd/) {print $2}' /proc/mounts); do
    [ -d "$c/rblab" ] && find "$c/rblab" -depth -type d -exec rmdir {} + 2>/dev/null
done
# Never delete through a root that is still mounted.
if ! grep -q " $LAB/hosts/" /proc/mounts; then rm -rf "$LAB/hosts"; fi
rm -f "$LAB/scale.ini" "$LAB/fqdn.ini"
exit 0
