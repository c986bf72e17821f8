#!/usr/bin/env python3
"""The benchmark suite behind benches/run: rb, ansible-core, pyinfra and a bash loop of ssh
through warm ControlMasters, on the same lab hosts, in one run. Medians of 5 (hyperfine).
Writes docs/benchmarks.md and docs/bench-*.svg."""
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LAB = os.environ.get("RB_LAB_DIR", "/var/tmp/rblab")
RB = os.path.join(ROOT, "target/release/rb")
CFG = f"{LAB}/ssh_config"
# The same hosts with the key exchange paramiko (pyinfra) negotiates, to show where cold
# connections spend their time (see Notes).
CFG_X25519 = None
INV = f"{LAB}/inventory.ini"
KEY = f"{LAB}/id_ed25519"
NS = [int(n) for n in os.environ.get("NS", "1,3,10,30").split(",")]
RUNS = int(os.environ.get("RUNS", "5"))
W = tempfile.mkdtemp(prefix="rbbench.")


def write(name, text):
    path = os.path.join(W, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, **kw)


def hyperfine(cmds, runs=RUNS, warmup=1):
    """{name: cmd} -> {name: {median, min, max}} (seconds)."""
    out = os.path.join(W, "hf.json")
    args = ["hyperfine", "--style", "none", "--runs", str(runs), "--warmup", str(warmup), "--export-json", out]
    for name, cmd in cmds.items():
        args += ["-n", name, cmd]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    res = json.load(open(out))["results"]
    return {r["command"]: {"median": r["median"], "min": r["min"], "max": r["max"]} for r in res}


def hosts(n):
    return [f"rbh{i}" for i in range(1, n + 1)]


# --- tools' inputs --------------------------------------------------------------------

write("ansible.cfg", f"""[defaults]
inventory = {INV}
host_key_checking = True
forks = 50
gathering = explicit
interpreter_python = /usr/bin/python3
stdout_callback = default
[ssh_connection]
pipelining = True
ssh_args = -F {CFG} -o ControlMaster=auto -o ControlPersist=120s
control_path_dir = {W}/cp
""")
ENV_ANSIBLE = f"ANSIBLE_CONFIG={W}/ansible.cfg"
write("ten.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n"
      + "".join(f"    - name: step {i}\n      command: \"true\"\n" for i in range(10)))
write("noop.yml", "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks: []\n")
write("ten.py", "from pyinfra.operations import server\n"
      + "".join(f"server.shell(name='step {i}', commands=['true'])\n" for i in range(10)))
write("noop.py", "# nothing to do\n")
for n in NS:
    data = (f'{{"ssh_user": "root", "ssh_key": "{KEY}", "ssh_known_hosts_file": "{LAB}/known_hosts", '
            f'"ssh_strict_host_key_checking": "yes"}}')
    write(f"inv{n}.py", "hosts = [\n" + "".join(
        f'    ("10.77.0.{10 + i}", {data}),\n' for i in range(1, n + 1)) + "]\n")
CFG_X25519 = write("ssh_config_x25519", "Host *\n    KexAlgorithms curve25519-sha256\n\n" + open(CFG).read())
# The user's own ControlMasters (the loop's, opened by warm_masters) named in their ssh config:
# rb rides on them instead of opening its own (docs/hosts.md), the loop's exact conditions.
CFG_CM = write("ssh_config_cm", f"Host *\n    ControlPath {W}/cm-%h\n\n" + open(CFG).read())
write("ten.rhai", 'on(hosts(vars.pattern), |h| { for i in 0..10 { h.sh("true"); } });\n')
write("noop.rhai", "let nothing = ();\n")


def rb(args):
    # Cold unless the command says --ssh-persist: rb's default keeps masters 60 s.
    return f"RB_SSH_PERSIST=0 {RB} {args} -i {INV} --ssh-config {CFG}"


def loop_script(n, cmds):
    return write(f"loop{n}x{cmds}.sh", "#!/usr/bin/env bash\n"
                 f"for h in {' '.join(hosts(n))}; do\n"
                 f"  ( for i in $(seq 1 {cmds}); do ssh -F {CFG} -o ControlPath={W}/cm-%h $h true; done ) &\n"
                 "done\nwait\n")


def warm_masters():
    for h in hosts(max(NS)):
        sh(f"ssh -F {CFG} -o ControlMaster=yes -o ControlPath={W}/cm-%h -o ControlPersist=900 -fN {h}")


# --- measurements -----------------------------------------------------------------------

def startup():
    return hyperfine({
        "rb": f"{RB} run {W}/noop.rhai",
        "ansible-playbook": f"{ENV_ANSIBLE} ansible-playbook -i localhost, {W}/noop.yml",
        "pyinfra": f"pyinfra -y @local {W}/noop.py",
    })


def per_n(kind):
    results = {}
    for n in NS:
        pattern = f"lab[0:{n - 1}]"
        if kind == "adhoc":
            cmds = {
                "bash ssh loop (warm)": f"bash {loop_script(n, 1)}",
                "rb exec": rb(f"exec '{pattern}' true"),
                "rb exec --ssh-persist": rb(f"exec '{pattern}' true --ssh-persist 120"),
                "rb exec, curve25519 KEX": rb(f"exec '{pattern}' true").replace(CFG, CFG_X25519),
                "rb exec, on the loop's masters": rb(f"exec '{pattern}' true").replace(CFG, CFG_CM),
                "ansible -m command": f"{ENV_ANSIBLE} ansible '{pattern}' -m command -a true -f 50",
                "pyinfra exec": f"pyinfra -y --parallel 50 {W}/inv{n}.py exec -- true",
            }
        else:
            cmds = {
                "bash ssh loop (warm)": f"bash {loop_script(n, 10)}",
                "rb run": rb(f"run {W}/ten.rhai -e 'pattern={pattern}'"),
                "rb run --ssh-persist": rb(f"run {W}/ten.rhai -e 'pattern={pattern}' --ssh-persist 120"),
                "rb run, curve25519 KEX": rb(f"run {W}/ten.rhai -e 'pattern={pattern}'").replace(CFG, CFG_X25519),
                "rb run, on the loop's masters": rb(f"run {W}/ten.rhai -e 'pattern={pattern}'").replace(CFG, CFG_CM),
                "ansible-playbook": f"{ENV_ANSIBLE} ansible-playbook -l '{pattern}' -f 50 {W}/ten.yml",
                "pyinfra": f"pyinfra -y --parallel 50 {W}/inv{n}.py {W}/ten.py",
            }
        print(f"  {kind} N={n}", file=sys.stderr, flush=True)
        results[n] = hyperfine(cmds)
    return results


def until_loop():
    counter = os.path.join(W, "attempts")
    book = write("until.rhai", f"""
sh(["rm", "-f", "{counter}"]);
let r = retry(#{{retries: 5, delay: 1}},
              || sh("echo x >> {counter}; test $(wc -l < {counter}) -ge 3"));
""")
    return hyperfine({"rb retry (3rd attempt, delay 1)": f"{RB} run {book}"})


def data():
    """kube_jsonpath and query over a 5,000-node document, against kubectl and jq."""
    fixture = json.load(open(os.path.join(ROOT, "tests/fixtures/nodes.json")))["items"]
    items = []
    for i in range(5000):
        n = json.loads(json.dumps(fixture[i % 4]))
        n["metadata"]["name"] = f"node{i:05d}.example"
        n["status"]["addresses"][0]["address"] = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
        n["spec"]["podCIDR"] = f"10.{200 + i // 65536}.{i // 256 % 256}.{i % 256}/32"
        items.append(n)
    doc = write("nodes5000.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": items,
                                               "metadata": {"resourceVersion": ""}}))
    size = os.path.getsize(doc)
    stub = subprocess.Popen(["python3", os.path.join(ROOT, "lab/kube-api-stub.py"), doc], stdout=subprocess.PIPE, text=True)
    port = stub.stdout.readline().strip()
    tmpl = '{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address} {.spec.podCIDR} {"\\n"}{end}'
    jq_t = write("tmpl.jq", '.items[] | "\\([.status.addresses[] | select(.type=="InternalIP") | .address] | join(" ")) '
                 '\\(.spec.podCIDR // "") \\n"\n')
    jq_qf = write("q.jq", '.items[].status.addresses[] | select(.type=="InternalIP") | .address\n')
    kj = write("kj.rhai", f'let t = local.read("{doc}");\nprint(kube_jsonpath(t, `{tmpl}`));\n')
    q = write("q.rhai", f'let t = local.read("{doc}");\n'
              'print(t.query(`$.items[*].status.addresses[?@.type == "InternalIP"].address`).reduce(|s, a| s + a + "\\n", ""));\n')
    kubectl = f"kubectl --server=http://127.0.0.1:{port} get nodes -o 'jsonpath={tmpl}'"
    jq_tmpl = f"jq -j -f {jq_t} {doc}"
    jq_q = f"jq -r -f {jq_qf} {doc}"
    # Same output, checked before timing.
    a = sh(kubectl).stdout
    b = sh(f"{RB} run {kj}").stdout
    c = sh(jq_tmpl).stdout
    assert b == a + "\n", "rb kube_jsonpath differs from kubectl"
    assert c == a, "jq differs from kubectl"
    assert sh(f"{RB} run {q}").stdout == sh(jq_q).stdout + "\n", "rb query differs from jq"
    try:
        r = hyperfine({
            "rb kube_jsonpath": f"{RB} run {kj}",
            "kubectl -o jsonpath (API stub)": kubectl,
            "jq (same template)": jq_tmpl,
            "rb query (RFC 9535)": f"{RB} run {q}",
            "jq (same query)": jq_q,
        })
    finally:
        stub.kill()
    return r, size


def peak_rss(cmd):
    out = subprocess.run(f"/usr/bin/time -f %M {cmd} >/dev/null 2>{W}/err; tail -1 {W}/err", shell=True,
                         capture_output=True, text=True).stdout.strip()
    return int(out) / 1024


def memory():
    inv = write("local1000.ini", "[many]\nlocal[0001:1000] ansible_connection=local\n")
    book = write("many.rhai", 'on(hosts("many"), #{forks: 50}, |h| h.sh("true"));\n')
    # Big data: a command printing 200 MB, read twice; a 61 MB JSON document parsed.
    big = write("big.rhai", 'let r = local.sh("head -c 200000000 /dev/zero | tr \'\\\\0\' a");\n'
                'let s = r.stdout; let t = r.stdout; print(s.len() + t.len());\n')
    sh(f"python3 -c 'import json; print(json.dumps({{\"items\": [{{\"name\": \"node-%d\" % i, "
       f"\"labels\": {{\"zone\": \"z%d\" % (i % 5), \"role\": \"worker\"}}, \"cap\": {{\"cpu\": i % 64, "
       f"\"mem\": \"%dGi\" % (i % 128)}}, \"ready\": i % 3 == 0, \"addrs\": [\"10.0.%d.%d\" % (i // 256 % 256, i % 256)]}} "
       f"for i in range(420000)]}}))' > {W}/big.json")
    pj = write("pj.rhai", f'let v = parse_json(local.sh("cat {W}/big.json").stdout);\nprint(v.items.len());\n')
    return {
        "rb driving 30 lab hosts (10 commands each)": peak_rss(rb(f"run {W}/ten.rhai -e 'pattern=lab'")),
        "rb, 1,000 local-transport hosts (forks 50)": peak_rss(f"{RB} run {book} -i {inv}"),
        "rb, a command printing 200 MB, its stdout read twice": peak_rss(f"{RB} run {big}"),
        "rb, parse_json of a 61 MB document (420,000 objects)": peak_rss(f"{RB} run {pj}"),
    }


# --- report ---------------------------------------------------------------------------------

# One colour and one marker per tool (Okabe-Ito, distinguishable with colour blindness),
# drawn on a white canvas so the legend reads in dark mode too.
COLORS = ["#000000", "#d55e00", "#e69f00", "#0072b2", "#009e73", "#cc79a7", "#56b4e9", "#8c6d31"]
MARKERS = ["circle", "square", "triangle", "diamond", "cross", "triangle-down", "plus", "star"]


def marker(kind, cx, cy, c):
    r = 4
    if kind == "circle":
        return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{c}"/>'
    if kind == "square":
        return f'<rect x="{cx - r:.1f}" y="{cy - r:.1f}" width="{2 * r}" height="{2 * r}" fill="{c}"/>'
    if kind == "triangle":
        return f'<polygon points="{cx:.1f},{cy - r - 1:.1f} {cx - r - 1:.1f},{cy + r:.1f} {cx + r + 1:.1f},{cy + r:.1f}" fill="{c}"/>'
    if kind == "triangle-down":
        return f'<polygon points="{cx:.1f},{cy + r + 1:.1f} {cx - r - 1:.1f},{cy - r:.1f} {cx + r + 1:.1f},{cy - r:.1f}" fill="{c}"/>'
    if kind == "diamond":
        return f'<polygon points="{cx:.1f},{cy - r - 1:.1f} {cx + r + 1:.1f},{cy:.1f} {cx:.1f},{cy + r + 1:.1f} {cx - r - 1:.1f},{cy:.1f}" fill="{c}"/>'
    if kind == "cross":
        return (f'<path d="M{cx - r:.1f},{cy - r:.1f} L{cx + r:.1f},{cy + r:.1f} M{cx - r:.1f},{cy + r:.1f} '
                f'L{cx + r:.1f},{cy - r:.1f}" stroke="{c}" stroke-width="2.5"/>')
    if kind == "plus":
        return (f'<path d="M{cx - r - 1:.1f},{cy:.1f} L{cx + r + 1:.1f},{cy:.1f} M{cx:.1f},{cy - r - 1:.1f} '
                f'L{cx:.1f},{cy + r + 1:.1f}" stroke="{c}" stroke-width="2.5"/>')
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r + 1}" fill="none" stroke="{c}" stroke-width="2"/>'


def svg_plot(results, title, path):
    """Seconds (log scale) against host count, one line per tool."""
    tools = list(results[NS[0]].keys())
    vals = [results[n][t]["median"] for n in NS for t in tools]
    lo, hi = math.log10(min(vals) / 1.5), math.log10(max(vals) * 1.5)
    w, h, l, r, t, b = 740, 420, 84, 230, 40, 50
    x = lambda i: l + i * (w - l - r) / (len(NS) - 1)
    y = lambda v: t + (hi - math.log10(v)) / (hi - lo) * (h - t - b)
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
         f'<rect width="{w}" height="{h}" fill="white"/>',
         f'<text x="{w / 2 - 100}" y="22" font-size="15">{title}</text>']
    for e in range(math.floor(lo), math.ceil(hi) + 1):
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= math.log10(v) <= hi:
                s.append(f'<line x1="{l}" x2="{w - r}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
                s.append(f'<text x="{l - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g} s</text>')
    for i, n in enumerate(NS):
        s.append(f'<text x="{x(i):.1f}" y="{h - b + 18}" text-anchor="middle">{n}</text>')
    s.append(f'<text x="{(l + w - r) / 2}" y="{h - 12}" text-anchor="middle">lab hosts (N)</text>')
    s.append(f'<text transform="translate(16,{(t + h - b) / 2}) rotate(-90)" text-anchor="middle">'
             'seconds, median (log scale)</text>')
    for k, tool in enumerate(tools):
        c, mk = COLORS[k % len(COLORS)], MARKERS[k % len(MARKERS)]
        pts = " ".join(f"{x(i):.1f},{y(results[n][tool]['median']):.1f}" for i, n in enumerate(NS))
        s.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        for i, n in enumerate(NS):
            s.append(marker(mk, x(i), y(results[n][tool]["median"]), c))
        s.append(f'<line x1="{w - r + 15}" x2="{w - r + 35}" y1="{t + 20 * k}" y2="{t + 20 * k}" stroke="{c}" stroke-width="2"/>')
        s.append(marker(mk, w - r + 25, t + 20 * k, c))
        s.append(f'<text x="{w - r + 40}" y="{t + 20 * k + 4}">{tool}</text>')
    s.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(s) + "\n")


def table(results, floor_name):
    tools = list(results[NS[0]].keys())
    lines = ["| tool | " + " | ".join(f"N={n}" for n in NS) + " |", "|---|" + "---|" * len(NS)]
    for tool in tools:
        cells = []
        for n in NS:
            v = results[n][tool]["median"]
            cells.append(f"{v:.3f} s ({v / results[n][floor_name]['median']:.2f}×)")
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def version(cmd):
    try:
        return sh(cmd).stdout.strip().splitlines()[0]
    except Exception:
        return "?"


def main():
    print("warming masters for the ssh loop", file=sys.stderr)
    warm_masters()
    print("start-up", file=sys.stderr)
    st = startup()
    print("ad hoc", file=sys.stderr)
    adhoc = per_n("adhoc")
    print("10-step runbook", file=sys.stderr)
    ten = per_n("ten")
    print("until loop", file=sys.stderr)
    until = until_loop()
    print("data", file=sys.stderr)
    dat, size = data()
    print("memory", file=sys.stderr)
    mem = memory()
    svg_plot(adhoc, "one command on N hosts", os.path.join(ROOT, "docs/bench-adhoc.svg"))
    svg_plot(ten, "10 commands on each of N hosts", os.path.join(ROOT, "docs/bench-runbook.svg"))

    floor = "bash ssh loop (warm)"
    t10 = ten[10]
    a10 = adhoc[10]
    ratio = lambda res, tool, other: res[other]["median"] / res[tool]["median"]
    u = until["rb retry (3rd attempt, delay 1)"]["median"]
    kj = dat["rb kube_jsonpath"]["median"]
    doc = f"""# Benchmarks

Made by `sudo benches/run` on {datetime.date.today()} on one machine of the project's kind (2 cores),
on the lab (`lab/up.sh 30`: real hosts in network namespaces, each with its own sshd and a
plain root shell start-up). Every figure is the median of {RUNS} runs by hyperfine after one
warm-up, all tools measured in the same run; ratios are to the bash ssh loop of the same row
(the floor: a process per command through masters opened before timing).

Versions: {version(RB + ' --version')}; {version('ansible --version')}; pyinfra {version('pyinfra --version')};
{version('ssh -V 2>&1')}; {version('kubectl version --client')}; {version('jq --version')}.

How each tool is set up: rb cold (`rb run`, `rb exec` with masters opened and closed per
run: `--ssh-persist 0`, rb's behaviour before masters persisted 60 s by default) and with `--ssh-persist 120` (masters kept between runs, as Ansible's ControlPersist
does), and with the loop's own ControlMasters named in the ssh config (`ControlPath`), which
rb rides on instead of opening its own; ansible-core with pipelining, ControlMaster=auto/ControlPersist=120s and forks 50,
`gather_facts: false`, the `command` module; pyinfra with `--parallel 50` and `server.shell`.

At 100 and 200 hosts, with memory: [benchmarks-scale.md](benchmarks-scale.md) (`sudo benches/run --scale`).

## Targets

| target | measured | |
|---|---|---|
| (3) 10 × 10: rb at or below the ssh loop | rb run {t10['rb run']['median']:.3f} s = {t10['rb run']['median'] / t10[floor]['median']:.2f}×; with --ssh-persist {t10['rb run --ssh-persist']['median']:.3f} s = {t10['rb run --ssh-persist']['median'] / t10[floor]['median']:.2f}×; on the loop's own masters {t10["rb run, on the loop's masters"]['median']:.3f} s = {t10["rb run, on the loop's masters"]['median'] / t10[floor]['median']:.2f}× | {'met (warm)' if t10['rb run --ssh-persist']['median'] <= t10[floor]['median'] else 'missed'} |
| (3) ≥ 3× faster than pyinfra | {ratio(t10, 'rb run', 'pyinfra'):.1f}× (cold), {ratio(t10, 'rb run, curve25519 KEX', 'pyinfra'):.1f}× (cold, pyinfra's key exchange), {ratio(t10, 'rb run --ssh-persist', 'pyinfra'):.1f}× (warm) | {'met' if ratio(t10, 'rb run', 'pyinfra') >= 3 else 'met warm only' if ratio(t10, 'rb run --ssh-persist', 'pyinfra') >= 3 else 'missed'} |
| (3) ≥ 25× faster than ansible-core | {ratio(t10, 'rb run', 'ansible-playbook'):.1f}× (cold), {ratio(t10, 'rb run --ssh-persist', 'ansible-playbook'):.1f}× (warm) | {'met' if ratio(t10, 'rb run', 'ansible-playbook') >= 25 else 'met warm only' if ratio(t10, 'rb run --ssh-persist', 'ansible-playbook') >= 25 else 'missed'} |
| (2) ad hoc at 10 hosts, likewise | rb exec {a10['rb exec']['median'] / a10[floor]['median']:.2f}× the loop ({a10['rb exec --ssh-persist']['median'] / a10[floor]['median']:.2f}× warm); {ratio(a10, 'rb exec', 'pyinfra exec'):.1f}× faster than pyinfra, {ratio(a10, 'rb exec', 'ansible -m command'):.1f}× faster than ansible | |
| (1) start-up under 10 ms | {st['rb']['median'] * 1000:.1f} ms | {'met' if st['rb']['median'] < 0.010 else 'missed'} |
| (4) until loop overhead under 50 ms | {(u - 2) * 1000:.0f} ms over the 2 s of delays | {'met' if u - 2 < 0.050 else 'missed'} |
| (5) faster than kubectl's jsonpath and jq | {kj:.3f} s against {dat['kubectl -o jsonpath (API stub)']['median']:.3f} s and {dat['jq (same template)']['median']:.3f} s | {'met' if kj < dat['kubectl -o jsonpath (API stub)']['median'] and kj < dat['jq (same template)']['median'] else 'missed'} |

## 1. Start-up (a do-nothing run on localhost)

| tool | median | min | max |
|---|---|---|---|
""" + "\n".join(f"| {k} | {v['median'] * 1000:.1f} ms | {v['min'] * 1000:.1f} ms | {v['max'] * 1000:.1f} ms |" for k, v in st.items()) + f"""

## 2. Ad hoc: one command on N hosts

![one command on N hosts](bench-adhoc.svg)

{table(adhoc, floor)}

## 3. A 10-step runbook: 10 commands on each of N hosts

![10 commands on each of N hosts](bench-runbook.svg)

{table(ten, floor)}

## 4. An until loop that succeeds on the 3rd attempt, delay 1

`retry(#{{retries: 5, delay: 1}}, || sh("...; test $(wc -l < counter) -ge 3"))` as a whole
`rb run`: {u:.3f} s, that is {(u - 2) * 1000:.0f} ms over the two 1-second delays (process
start, three local commands, and the sleeps' own granularity).

## 5. Data: a 5,000-node `kubectl get nodes -o json` document ({size / 1e6:.1f} MB)

The seed's template, `{{range .items[*]}}{{.status.addresses[?(@.type=="InternalIP")].address}} {{.spec.podCIDR}} {{"\\n"}}{{end}}`,
through rb's `kube_jsonpath`, kubectl (`-o jsonpath`, from the API stand-in on loopback,
so it includes kubectl's HTTP fetch and decoding) and jq (the same output); and an RFC 9535
query for the InternalIPs through rb's `query` and jq. Outputs were checked equal before
timing. rb's figures are whole `rb run` invocations, reading the file included.

| tool | median | min | max |
|---|---|---|---|
""" + "\n".join(f"| {k} | {v['median']:.3f} s | {v['min']:.3f} s | {v['max']:.3f} s |" for k, v in dat.items()) + """

## 6. Memory (peak RSS, `/usr/bin/time -f %M`)

| run | peak RSS |
|---|---|
""" + "\n".join(f"| {k} | {v:.1f} MiB |" for k, v in mem.items()) + """

## Notes

""" + NOTES
    with open(os.path.join(ROOT, "docs/benchmarks.md"), "w") as f:
        f.write(doc)
    print(doc)


NOTES = open(os.path.join(os.path.dirname(__file__), "notes.md")).read() if os.path.exists(
    os.path.join(os.path.dirname(__file__), "notes.md")) else ""

def replot():
    """Redraw the plots from the tables in docs/benchmarks.md (no new measurement)."""
    global NS
    text = open(os.path.join(ROOT, "docs/benchmarks.md")).read()
    for section, title, name in [("## 2.", "one command on N hosts", "bench-adhoc.svg"),
                                 ("## 3.", "10 commands on each of N hosts", "bench-runbook.svg")]:
        rows = [l for l in text[text.index(section):].split("\n## ")[0].splitlines() if l.startswith("| ")]
        NS = [int(c.strip()[2:]) for c in rows[0].strip("|").split("|")[1:]]
        results = {n: {} for n in NS}
        for row in rows[1:]:
            cells = [c.strip() for c in row.strip("|").split("|")]
            for n, c in zip(NS, cells[1:]):
                results[n][cells[0]] = {"median": float(c.split(" s")[0])}
        svg_plot(results, title, os.path.join(ROOT, "docs", name))


if __name__ == "__main__":
    if sys.argv[1:] == ["--replot"]:
        replot()
    else:
        main()
