#!/bin/sh
# Record what ansible-core's blockinfile writes for each case of cases.json into
# expected/NAME (the test compares files::block's output with these files).
#   python3 -m venv /tmp/ansvenv && /tmp/ansvenv/bin/pip install 'ansible-core==2.19.*'
#   sh tests/data/blockinfile/record.sh /tmp/ansvenv
set -eu
venv=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$here/expected"
"$venv/bin/python" - "$here" "$work" <<'PY'
import json, os, sys
here, work = sys.argv[1], sys.argv[2]
cases = json.load(open(os.path.join(here, "cases.json")))
tasks = []
for c in cases:
    path = os.path.join(work, c["name"])
    open(path, "w").write(c["before"])
    args = {"path": path, "block": c["block"]}
    args.update(c["opts"])
    tasks.append({"ansible.builtin.blockinfile": args})
play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
json.dump(play, open(os.path.join(work, "play.yml"), "w"))
PY
"$venv/bin/ansible-playbook" -i localhost, -c local -e "ansible_python_interpreter=$venv/bin/python" "$work/play.yml" >/dev/null
for f in "$work"/*; do
    n=$(basename "$f")
    [ "$n" = play.yml ] || cp "$f" "$here/expected/$n"
done
