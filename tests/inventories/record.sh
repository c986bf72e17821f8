#!/usr/bin/env bash
# Record what ansible-core says about each inventory in this folder, for tests/inventory_compat.rs.
# Needs ansible-core 2.19 (a throwaway venv is fine):
#   python3 -m venv /tmp/ans && /tmp/ans/bin/pip install 'ansible-core>=2.19,<2.20'
#   ANSIBLE_BIN=/tmp/ans/bin tests/inventories/record.sh [CASE...]   (default: every case)
# Each case folder has `sources` (one -i value a line, relative to the folder) and
# `patterns` (one host pattern a line); this writes expected/list.json (ansible-inventory
# --list) and expected/hosts.json (pattern -> hosts from `ansible PATTERN --list-hosts`,
# sorted, or "ERROR" when ansible refuses the pattern).
set -euo pipefail
bin=${ANSIBLE_BIN:-}
here=$(cd "$(dirname "$0")" && pwd)
export ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_HOME=$(mktemp -d)
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("$here"/*/)
for case in "${cases[@]}"; do
    case=$(cd "$here" && cd "$case" && pwd)
    [ -f "$case/sources" ] || continue
    cd "$case"
    args=()
    while read -r s; do args+=(-i "$s"); done < sources
    mkdir -p expected
    "$bin${bin:+/}ansible-inventory" "${args[@]}" --list > expected/list.json
    python3 - "$bin" "${args[@]}" > expected/hosts.json <<'PY'
import json, subprocess, sys
bin = sys.argv[1]
args = sys.argv[2:]
out = {}
for pat in open("patterns").read().splitlines():
    if not pat:
        continue
    p = subprocess.run([(bin + "/" if bin else "") + "ansible", *args, pat, "--list-hosts"], capture_output=True, text=True)
    if p.returncode != 0:
        out[pat] = "ERROR"
        continue
    lines = [l.strip() for l in p.stdout.splitlines()[1:] if l.strip()]
    out[pat] = sorted(lines)
print(json.dumps(out, indent=2, sort_keys=True))
PY
    cd "$here"
done
