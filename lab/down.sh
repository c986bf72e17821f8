#!/usr/bin/env bash
# Tear the lab down: stop every process in the lab's namespaces, delete the namespaces, the
# veths and the bridge, and the per-host state. Idempotent.
set -uo pipefail
LAB=${RB_LAB_DIR:-/var/tmp/rblab}
for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^rbh[0-9]+$/ {print $1}'); do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    ip netns del "$ns" 2>/dev/null
done
for v in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^rbv-'); do
    ip link del "$v" 2>/dev/null
done
ip link del rblab0 2>/dev/null
rm -rf "$LAB/hosts" "$LAB/scale.ini"
exit 0
