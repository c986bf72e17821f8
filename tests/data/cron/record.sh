#!/bin/sh
# Record what ansible-core's cron module (with cron_file) leaves after the tasks of
# cases.json, in order: expected/FILE (absent when Ansible removed the file) and
# expected/changed (one line per task, true or false).
#   python3 -m venv /tmp/ansvenv && /tmp/ansvenv/bin/pip install 'ansible-core==2.19.*'
#   sh tests/data/cron/record.sh /tmp/ansvenv
# The module looks for a `crontab` binary even with cron_file (it never runs it there): a
# machine without cron gets a stand-in on PATH for the recording.
set -eu
venv=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/out"
command -v crontab >/dev/null || { printf '#!/bin/sh\nexit 0\n' > "$work/bin/crontab"; chmod +x "$work/bin/crontab"; }
"$venv/bin/python" - "$here" "$work" <<'PY'
import json, os, sys
here, work = sys.argv[1], sys.argv[2]
tasks = []
for i, c in enumerate(json.load(open(os.path.join(here, "cases.json")))):
    args = {"name": c["name"], "job": c["job"], "cron_file": os.path.join(work, "out", c["file"])}
    args.update(c["opts"])
    tasks.append({"ansible.builtin.cron": args, "register": f"r{i}"})
    tasks.append({"ansible.builtin.shell": f"echo {{{{ r{i}.changed | lower }}}} >> {work}/changed"})
json.dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], open(os.path.join(work, "play.yml"), "w"))
PY
PATH="$work/bin:$PATH" "$venv/bin/ansible-playbook" -i localhost, -c local -e "ansible_python_interpreter=$venv/bin/python" "$work/play.yml" >/dev/null
rm -rf "$here/expected"
mkdir -p "$here/expected"
cp "$work"/out/* "$here/expected/"
cp "$work/changed" "$here/expected/changed"
