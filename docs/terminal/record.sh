#!/usr/bin/env bash
# Record the README's pictures of a real run: rb runs demo.rhai against the lab in tmux
# (a real terminal, 100x24), the screen is captured with its colours mid-run (finished
# lines, the header, one spinner per host in flight) and at the end (the recap), and rich
# turns each capture into an SVG.
#
#   sudo lab/up.sh 10 && docs/terminal/record.sh     (needs tmux and python3; installs rich
#                                                     into target/svg-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
LAB=${RB_LAB_DIR:-/var/tmp/rblab}
venv=target/svg-venv
[ -x $venv/bin/python ] || { python3 -m venv $venv && $venv/bin/pip install -q rich; }
cargo build -q --release
sock=rb-record-$$
cmd="target/release/rb run docs/terminal/demo.rhai -i $LAB/inventory.ini --ssh-config $LAB/ssh_config; sleep 60"
tmux -L $sock new-session -d -x 100 -y 24 "$cmd"
trap 'tmux -L $sock kill-server 2>/dev/null || true' EXIT
# Mid-run: while the second batch of four is in flight.
for _ in $(seq 1 200); do
    screen=$(tmux -L $sock capture-pane -p -t 0)
    if grep -q "batch 2/3" <<<"$screen" && grep -Eq "rbh[3-6] restart › sleep" <<<"$screen"; then break; fi
    sleep 0.05
done
tmux -L $sock capture-pane -e -p -t 0 > target/terminal-run.ansi
for _ in $(seq 1 300); do
    tmux -L $sock capture-pane -p -t 0 | grep -q RECAP && break
    sleep 0.1
done
tmux -L $sock capture-pane -e -p -t 0 > target/terminal-recap.ansi
$venv/bin/python - <<'PY'
from rich.console import Console
from rich.text import Text
for name, title in [("terminal-run", "rb run: mid-run"), ("terminal-recap", "rb run: done")]:
    text = open(f"target/{name}.ansi", encoding="utf-8").read().rstrip("\n")
    console = Console(record=True, width=100, file=open("/dev/null", "w"))
    console.print(Text.from_ansi(text))
    console.save_svg(f"docs/terminal/{name}.svg", title=title)
    print(f"docs/terminal/{name}.svg")
PY
