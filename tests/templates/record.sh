#!/usr/bin/env bash
# Record what ansible-core's template module writes for each template here, for
# crates/lang tests (tests/templates.rs compares rb's output byte for byte; no Python needed
# there). Needs ansible-core 2.19 (a throwaway venv is fine):
#   python3 -m venv /tmp/ans && /tmp/ans/bin/pip install 'ansible-core>=2.19,<2.20'
#   ANSIBLE_BIN=/tmp/ans/bin tests/templates/record.sh
# Templates render with vars.json on localhost, except hosts.j2, rendered for two hosts of
# inventory.ini (it reads groups, hostvars and inventory_hostname).
set -euo pipefail
bin=${ANSIBLE_BIN:-}
here=$(cd "$(dirname "$0")" && pwd)
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_HOME=$(mktemp -d)
py=$(command -v "$bin${bin:+/}python" || command -v python3)
mkdir -p "$here/expected"
for t in "$here"/*.j2; do
    name=$(basename "$t" .j2)
    [ "$name" = hosts ] && continue
    "$bin${bin:+/}ansible" localhost -c local -m template \
        -e ansible_python_interpreter="$py" \
        -a "src=$t dest=$here/expected/$name.out" -e "@$here/vars.json" >/dev/null
done
for h in etcd1 w1.example.com; do
    "$bin${bin:+/}ansible" -i "$here/inventory.ini" "$h" -c local -m template \
        -e ansible_python_interpreter="$py" \
        -a "src=$here/hosts.j2 dest=$here/expected/hosts-$h.out" >/dev/null
done
# Variable order: order/group_vars.j2 for node1 of order/inventory.yml.
"$bin${bin:+/}ansible" -i "$here/order/inventory.yml" node1 -c local -m template \
    -e ansible_python_interpreter="$py" \
    -a "src=$here/order/group_vars.j2 dest=$here/expected/order-node1.out" >/dev/null
