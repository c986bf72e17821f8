#!/usr/bin/env bash
# 10 commands on each of 10 lab hosts: rb against a bash loop of `ssh` through warm
# ControlMasters (the floor for process-per-command tools), in one run, medians of 5.
#
#   sudo lab/up.sh 10 && cargo build --release && benches/ssh-loop.sh
#
# Prints a Markdown table (paste into docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=${RB_LAB_DIR:-/var/tmp/rblab}
N=${HOSTS:-10}
RB=${RB:-target/release/rb}
CFG=$LAB/ssh_config
work=$(mktemp -d /tmp/rbbench.XXXXXX)
trap 'for i in $(seq 1 $N); do ssh -F $CFG -o ControlPath=$work/cm-%h -O exit rbh$i 2>/dev/null; done; rm -rf $work' EXIT

hosts=$(seq -f 'rbh%g' 1 "$N" | paste -sd:)
cat > "$work/ten.rhai" <<RHAI
on(hosts("$hosts"), |h| { for i in 0..10 { h.sh("true"); } });
RHAI
cat > "$work/loop.sh" <<SH
#!/usr/bin/env bash
for h in \$(seq -f 'rbh%g' 1 $N); do
  ( for i in \$(seq 1 10); do ssh -F $CFG -o ControlPath=$work/cm-%h \$h true; done ) &
done
wait
SH
chmod +x "$work/loop.sh"
# Warm masters for the loop.
for i in $(seq 1 "$N"); do
  ssh -F "$CFG" -o ControlMaster=yes -o ControlPath="$work/cm-%h" -o ControlPersist=300 -fN "rbh$i"
done

hyperfine --style none --warmup 1 --runs 5 --export-json "$work/r.json" \
  -n "bash ssh loop (warm ControlMaster)" "$work/loop.sh" \
  -n "rb run (cold: opens and closes its masters)" "$RB run $work/ten.rhai -i $LAB/inventory.ini --ssh-config $CFG" \
  -n "rb run --ssh-persist 60 (warm masters, like the loop)" "$RB run $work/ten.rhai -i $LAB/inventory.ini --ssh-config $CFG --ssh-persist 60" \
  >/dev/null

python3 - "$work/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
floor = r[0]["median"]
print("| tool | median (s) | min (s) | max (s) | ratio to the ssh loop |")
print("|---|---|---|---|---|")
for x in r:
    print(f"| {x['command']} | {x['median']:.3f} | {x['min']:.3f} | {x['max']:.3f} | {x['median']/floor:.2f}x |")
PY
