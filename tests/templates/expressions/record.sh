#!/usr/bin/env bash
# Record what ansible-core 2.19 prints for each expression of expressions.txt (one a line,
# rendered as `{{ EXPR }}` with ../vars.json): expected.txt holds one JSON string per line.
# crates/lang/tests/templates.rs compares rb's output for each. Needs ansible-core 2.19:
#   ANSIBLE_BIN=/tmp/ans/bin tests/templates/expressions/record.sh
set -euo pipefail
bin=${ANSIBLE_BIN:-}
here=$(cd "$(dirname "$0")" && pwd)
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_HOME=$(mktemp -d)
py=$(command -v "$bin${bin:+/}python" || command -v python3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$here/expected.txt"
while IFS= read -r expr; do
    printf '{{ %s }}' "$expr" >"$tmp/t.j2"
    if "$bin${bin:+/}ansible" localhost -c local -m template -e "@$here/../vars.json" \
        -e ansible_python_interpreter="$py" -a "src=$tmp/t.j2 dest=$tmp/out" >/dev/null 2>&1; then
        "$py" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$tmp/out" >>"$here/expected.txt"
    else
        echo "ansible-core refuses: $expr" >&2
        echo '{"error": true}' >>"$here/expected.txt"
    fi
done <"$here/expressions.txt"
