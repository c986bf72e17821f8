//! The one source of every function's documentation: docs/reference.md is generated from
//! this table (a test keeps them equal), and a test runs every example and compares its
//! result with `output`.
//!
//! `output` is what the example produces: its `log`/`print` lines (each ending in a newline)
//! followed by the final value (strings as they are, other values as Rhai prints them;
//! nothing for `()`). An output starting with `error: ` expects the example to fail with
//! that message; a trailing `…` makes it a prefix match.

/// One function's entry in docs/reference.md and `:help`.
pub struct FnDoc {
    /// The name runbooks call it by.
    pub name: &'static str,
    /// The section it is listed under (a key of [`GROUPS`]).
    pub group: &'static str,
    /// How it is called, with argument and result types.
    pub signature: &'static str,
    /// What it does, in Markdown.
    pub doc: &'static str,
    /// A runbook line that uses it; the reference test runs it.
    pub example: &'static str,
    /// What the example gives (a trailing `…` makes it a prefix, `error: ` an error).
    pub output: &'static str,
}

/// The reference's sections: key and title, in order.
pub const GROUPS: &[(&str, &str)] = &[
    ("commands", "Commands"),
    ("results", "Command results (CmdResult)"),
    ("regex", "Regular expressions"),
    ("json", "JSON, JSONPath and addresses"),
    ("waiting", "Waiting and retrying"),
    ("runbook", "Runbook essentials"),
    ("hosts", "Hosts"),
    ("fanout", "Fan-out"),
    ("files", "Files on hosts"),
    ("stdlib-net", "stdlib: net"),
];

/// Every function rb registers, documented.
pub const FUNCTIONS: &[FnDoc] = &[
    FnDoc {
        name: "sh",
        group: "commands",
        signature: "sh(cmd) / sh(cmd, opts) -> CmdResult",
        doc: "Run a command on the controller. A string runs through `/bin/sh -c` (option `shell` to change); an array runs as argv with no shell, so no value is ever re-split or expanded. A non-zero rc raises an error naming the host, the command, the rc and the tail of stderr, unless `check: false`. Options: `timeout` (seconds; the whole process group is killed), `env` (map), `cwd`, `stdin` (string), `become` (run through sudo as root, or as `become_user`; the host's `ansible_become*` variables and `--become`/`-K` give the defaults, see the guide's \"Privilege\"; `sudo` is the old name of `become`), `become_user`, `check` (default true), `no_log` (the command and its output are never printed), `changed_if` / `failed_if` (closures given the CmdResult), `changed` (bool), `check_mode` (true: the command is read-only and also runs under `--check`), `shell`. A command counts as changed unless it is read-only (`check_mode: true`), or `changed`/`changed_if` says otherwise.",
        example: r#"sh(["printf", "%s", "a b; $HOME"]).stdout"#,
        output: "a b; $HOME",
    },
    FnDoc {
        name: "sh (options)",
        group: "commands",
        signature: "sh(cmd, #{timeout, env, cwd, stdin, check, failed_if, changed_if, ...})",
        doc: "The options at work: environment, working directory and stdin are passed to the command; `check: false` returns a failing result instead of raising.",
        example: r#"let r = sh("cat; echo \" $GREETING from $(pwd)\"; exit 3", #{stdin: "hi", env: #{GREETING: "hello"}, cwd: "/tmp", check: false}); `${r.rc}: ${r.out}`"#,
        output: "3: hi hello from /tmp",
    },
    FnDoc {
        name: "sh (timeout)",
        group: "commands",
        signature: "sh(cmd, #{timeout: seconds})",
        doc: "A command that runs past its timeout is killed with its whole process group, and the runbook gets an error.",
        example: r#"sh("sleep 5", #{timeout: 0.2})"#,
        output: "error: command timed out after 0.2s on local and was killed: sleep 5",
    },
    FnDoc {
        name: "sh (failed_if, changed_if)",
        group: "commands",
        signature: "sh(cmd, #{failed_if: |r| ..., changed_if: |r| ...})",
        doc: "Decide failure and change from the result instead of the rc alone (Ansible's failed_when / changed_when).",
        example: r#"let r = sh("echo updated 2 files", #{changed_if: |r| !r.stdout.contains("0 files")}); r.changed"#,
        output: "true",
    },
    FnDoc {
        name: "local.sh",
        group: "commands",
        signature: "local.sh(cmd) / local.sh(cmd, opts) -> CmdResult",
        doc: "The same on the controller as a Host value; `host.sh` has the same signature on every host.",
        example: r#"local.sh("echo $((6 * 7))").out"#,
        output: "42",
    },
    FnDoc {
        name: "quote",
        group: "commands",
        signature: "quote(s) -> string",
        doc: "Quote a value for a POSIX shell, for the rare command that must be a string. Prefer an argument array.",
        example: r#"quote("it's $(here)")"#,
        output: r#"'it'\''s $(here)'"#,
    },
    FnDoc {
        name: "env_line",
        group: "commands",
        signature: "env_line(key, value) -> string",
        doc: "A `KEY=\"value\"` line for an env file that `sh` sources and systemd's `EnvironmentFile=` reads: both read back exactly `value` (`\"`, `\\`, `` ` `` and `$` are escaped, nothing runs). A key that is not a variable name, or a value with a newline, is an error. A secret gives its real value. `files::env_file` writes its lines with it.",
        example: r#"env_line("OPTS", "say \"hi\" $(reboot)")"#,
        output: r#"OPTS="say \"hi\" \$(reboot)""#,
    },
    FnDoc {
        name: "stdout / stderr / out",
        group: "results",
        signature: "r.stdout, r.stderr -> string; r.out -> string (stdout trimmed)",
        doc: "What the command printed. Invalid UTF-8 is replaced, never an error. `out` is stdout without surrounding whitespace (Rhai's own `trim()` works in place and returns nothing).",
        example: r#"let r = sh("echo ' hi '; echo oops >&2"); `[${r.out}] [${r.stderr}]`"#,
        output: "[hi] [oops\n]",
    },
    FnDoc {
        name: "rc / ok / changed / skipped / duration / cmd",
        group: "results",
        signature: "r.rc -> int, r.ok -> bool, r.changed -> bool, r.skipped -> bool, r.duration -> float (s), r.cmd -> string",
        doc: "Exit status (128+N when killed by signal N), success (rc 0 unless `failed_if` decided), whether it counts as a change, whether `--check` skipped it, how long it took, and the command as shown in output.",
        example: r#"let r = sh("exit 4", #{check: false}); `${r.rc} ${r.ok} ${r.cmd} ${r.duration < 5.0}`"#,
        output: "4 false exit 4 true",
    },
    FnDoc {
        name: "stdout_bytes",
        group: "results",
        signature: "r.stdout_bytes -> blob",
        doc: "stdout exactly as received, for binary output (`stdout` replaces invalid UTF-8).",
        example: r#"sh("printf 'a\\377b'").stdout_bytes.len()"#,
        output: "3",
    },
    FnDoc {
        name: "lines",
        group: "results",
        signature: "r.lines() -> array of strings",
        doc: "stdout split into lines.",
        example: r#"sh("printf 'a\nb\n'").lines()"#,
        output: r#"["a", "b"]"#,
    },
    FnDoc {
        name: "json",
        group: "results",
        signature: "r.json() -> map / array / value",
        doc: "stdout parsed as JSON; an error names the command when it is not JSON.",
        example: r#"sh("echo '{\"ready\": true}'").json().ready"#,
        output: "true",
    },
    FnDoc {
        name: "matches",
        group: "regex",
        signature: "text.matches(re) -> bool",
        doc: "Does the regex match anywhere in the text? This is bash's `[[ $text =~ re ]]` (Rhai reserves `~`, so there is no `=~` operator). `(?i)` makes it case-insensitive. A bad pattern is an error at the call, showing the pattern and the problem.",
        example: r#"["This is a string".matches("is a"), "This Is A string".matches("is a"), "This Is A string".matches("(?i)is a")]"#,
        output: "[true, false, true]",
    },
    FnDoc {
        name: "re_captures",
        group: "regex",
        signature: "re_captures(text, re) -> map or ()",
        doc: "The first match's groups: named groups by name, and every group by number (\"0\" is the whole match). `()` when there is no match.",
        example: r#"let m = re_captures("kubelet v1.29.3", "v(?P<major>\\d+)\\.(?P<minor>\\d+)"); `${m.major}.${m.minor}`"#,
        output: "1.29",
    },
    FnDoc {
        name: "re_find_all",
        group: "regex",
        signature: "re_find_all(text, re) -> array of strings",
        doc: "Every match; with exactly one capture group, what that group captured.",
        example: r#"re_find_all("10.1.4.0/24 via 192.168.2.44", "(\\d+\\.\\d+\\.\\d+\\.\\d+)")"#,
        output: r#"["10.1.4.0", "192.168.2.44"]"#,
    },
    FnDoc {
        name: "re_replace",
        group: "regex",
        signature: "re_replace(text, re, with) -> string",
        doc: "Replace every match; `$1` / `${name}` refer to groups.",
        example: r#"re_replace("ETCD_NAME=old", "^ETCD_NAME=.*", "ETCD_NAME=etcd1")"#,
        output: "ETCD_NAME=etcd1",
    },
    FnDoc {
        name: "ip_in_cidr",
        group: "json",
        signature: "ip_in_cidr(ip, cidr) -> bool",
        doc: "Is an address inside a network (IPv4 or IPv6)? A malformed address or CIDR is an error; an address of the other family is simply outside.",
        example: r#"[ip_in_cidr("10.240.3.0", "10.240.0.0/16"), ip_in_cidr("10.241.0.1", "10.240.0.0/16")]"#,
        output: "[true, false]",
    },
    FnDoc {
        name: "parse_json",
        group: "json",
        signature: "parse_json(text) -> map / array / value",
        doc: "Parse JSON; objects become maps, integers `int`, other numbers `float` (the nearest one, as Python reads it), null `()`. Errors give line and column.",
        example: r#"let doc = parse_json(`{"items": [{"name": "a", "load": 123456789.12345679}]}`); [doc.items[0].name, doc.items[0].load]"#,
        output: r#"["a", 123456789.12345679]"#,
    },
    FnDoc {
        name: "to_json",
        group: "json",
        signature: "to_json(v) / to_json(v, pretty) -> string",
        doc: "Serialize a value as JSON (keys sorted). Secrets are written as their real value, for config files; printing the result still redacts them.",
        example: r#"to_json(#{b: [1, 2.5], a: "x"})"#,
        output: r#"{"a":"x","b":[1,2.5]}"#,
    },
    FnDoc {
        name: "query",
        group: "json",
        signature: "v.query(path) -> array",
        doc: "RFC 9535 JSONPath (filters, slices, `..`, functions such as `length()` and `match()`). The document may be a map/array, JSON text or a CmdResult. No match is an empty array; a bad path is an error showing the path and column.",
        example: r#"let nodes = parse_json(`{"items": [{"a": [{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "Hostname", "address": "n1"}]}]}`); nodes.query(`$.items[*].a[?@.type == "InternalIP"].address`)"#,
        output: r#"["10.0.0.1"]"#,
    },
    FnDoc {
        name: "query_one",
        group: "json",
        signature: "v.query_one(path) -> value",
        doc: "Like `query`, but exactly one match is required; zero or several is an error saying how many.",
        example: r#"parse_json(`{"spec": {"podCIDR": "10.200.1.0/24"}}`).query_one("$.spec.podCIDR")"#,
        output: "10.200.1.0/24",
    },
    FnDoc {
        name: "kube_jsonpath",
        group: "json",
        signature: "kube_jsonpath(v, template) -> string",
        doc: "kubectl's JSONPath template dialect, printing exactly what `kubectl get -o jsonpath=...` prints: `{range}`/`{end}`, `{\"\\n\"}` literals, filters, `..`, `[*]`, slices, unions; missing keys print nothing, maps and arrays print as Go's JSON. Where kubectl iterates a map with `*` or `..` in Go's random order, rb uses sorted key order.",
        example: r#"let nodes = parse_json(`{"items": [{"spec": {"podCIDR": "10.1.4.0/24"}, "status": {"addresses": [{"type": "InternalIP", "address": "192.168.2.44"}]}}]}`); kube_jsonpath(nodes, `{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address} {.spec.podCIDR}{"\n"}{end}`)"#,
        output: "192.168.2.44 10.1.4.0/24\n",
    },
    FnDoc {
        name: "retry",
        group: "waiting",
        signature: "retry(#{retries, delay}, action) / retry(opts, action, condition) -> the action's value",
        doc: "Ansible's until loop. The action runs once, then up to `retries` more times (so `retries: 5` makes at most 6 attempts, as in ansible-core), sleeping `delay` seconds between attempts and not after the last. An attempt fails when the action raises an error (a failing command counts) or `condition(value)` is false. Defaults: retries 3, delay 5. Giving up raises an error listing every attempt's outcome. An error inside the condition itself is a runbook bug and stops at once.",
        example: r#"let n = 0; let r = retry(#{retries: 5, delay: 0}, || { n += 1; n }, |v| v == 3); `value ${r} after ${n} attempts`"#,
        output: "value 3 after 3 attempts",
    },
    FnDoc {
        name: "retry (giving up)",
        group: "waiting",
        signature: "retry(opts, action, condition)",
        doc: "When every attempt fails the error shows each one.",
        example: r#"retry(#{retries: 1, delay: 0}, || sh("echo starting; exit 1"), |r| r.stdout.contains("is healthy"))"#,
        output: "error: gave up after 2 attempts (retries: 1, delay: 0s):\n  attempt 1: error: command failed on local (rc 1): echo starting; exit 1\n  attempt 2: error: command failed on local (rc 1): echo starting; exit 1",
    },
    FnDoc {
        name: "wait_http",
        group: "waiting",
        signature: "wait_http(url) / wait_http(url, #{status, retries, delay, timeout, contains, insecure}) -> #{status, body, attempts}",
        doc: "Poll a URL until it answers with `status` (default 200) and, if given, a body containing `contains`. Counting as `retry` (defaults retries 3, delay 5); `timeout` is per request (default 5 s); `insecure: true` skips TLS verification.",
        example: r#"wait_http("http://127.0.0.1:9/healthz", #{retries: 0, timeout: 1})"#,
        output: "error: http://127.0.0.1:9/healthz not ready after 1 attempts:\n  attempt 1: error: …",
    },
    FnDoc {
        name: "wait_port",
        group: "waiting",
        signature: "wait_port(host, port, timeout_seconds) -> true",
        doc: "Wait until a TCP port accepts connections, or fail after the timeout with the last connection error.",
        example: r#"wait_port("127.0.0.1", 9, 0.3)"#,
        output: "error: 127.0.0.1:9 did not accept connections within 0.3s (last error: Connection refused (os error 111))",
    },
    FnDoc {
        name: "sleep",
        group: "waiting",
        signature: "sleep(seconds)",
        doc: "Pause (int or float seconds). Ctrl-C interrupts it.",
        example: r#"sleep(0.01); "rested""#,
        output: "rested",
    },
    FnDoc {
        name: "vars",
        group: "runbook",
        signature: "vars.NAME",
        doc: "Variables from `--vars file.json` and `-e key=value` (ints and true/false typed, `{...}`/`[...]` parsed as JSON, the rest strings). A missing one is `()`, so defaults read `vars.port ?? 2379`. Visible inside functions and modules too.",
        example: r#"vars.etcd_port ?? 2379"#,
        output: "2379",
    },
    FnDoc {
        name: "env",
        group: "runbook",
        signature: "env(name) -> string or (); env(name, default)",
        doc: "An environment variable of the rb process on the controller.",
        example: r#"env("RB_SURELY_UNSET", "fallback")"#,
        output: "fallback",
    },
    FnDoc {
        name: "log",
        group: "runbook",
        signature: "log(value)",
        doc: "Print a line for the operator (stdout; a `log` event with `--json`). `print` does the same.",
        example: r#"log("etcd is healthy")"#,
        output: "etcd is healthy\n",
    },
    FnDoc {
        name: "print",
        group: "runbook",
        signature: "print(value), debug(value)",
        doc: "Print a value as Rhai shows it (`debug` with strings quoted). Arrays and maps print, and compare with `==`, up to 128 levels deep; deeper ones are an error, not a crash.",
        example: r#"print([1, "a", #{k: [2]}]); debug("a")"#,
        output: "[1, \"a\", #{\"k\": [2]}]\n\"a\"\n",
    },
    FnDoc {
        name: "warn",
        group: "runbook",
        signature: "warn(value)",
        doc: "Print a warning (stderr, prefixed `warning:`; a `log` event with level `warn`).",
        example: r#"warn("swap is on"); "went on""#,
        output: "swap is on\nwent on",
    },
    FnDoc {
        name: "fail",
        group: "runbook",
        signature: "fail(message)",
        doc: "Stop with an error at this line.",
        example: r#"fail("kernel too old")"#,
        output: "error: kernel too old",
    },
    FnDoc {
        name: "secret",
        group: "runbook",
        signature: "secret(value) -> Secret; s.reveal() -> string; s.len() -> int",
        doc: "Mark a value secret: it prints as `********`, and its text is redacted from every log line, event and error message, in every escaped form rb writes (shell, JSON, Python and YAML quoting, Go's HTML-safe JSON), even after being joined into a command — with `+`, `+=` or `${}`, which all carry the real value. Commands, files and `to_json` receive the real value. `secret(())` and `secret(\"\")` are errors (a variable that was never set); a secret of 1–3 characters is hidden only where it stands as a word, with a warning.",
        example: r#"let pw = secret("hunter2"); log("password: " + pw); sh(["echo", pw]).out.len()"#,
        output: "password: ********\n7",
    },
    FnDoc {
        name: "task",
        group: "runbook",
        signature: "task(name, || { ... }) / task(name, #{tags: [...]}, || { ... }) -> the closure's value",
        doc: "Name a group of steps: progress lines, events and errors read `host › name › ...`. Tasks nest. `tags` choose which tasks `rb run --tags/--skip-tags` runs, by Ansible's rules (`always` runs unless skipped by name, `never` only when asked for, `tagged`/`untagged`/`all`); a task's tags reach the tasks inside it, and a task left out skips everything in it and gives `()` (tag a task whose value later steps need `always`). `--start-at-task NAME` skips, host by host, the tasks before the first one named NAME (a glob, or a path `outer › inner`). `rb run --list-tasks` lists them without running anything.",
        example: r#"task("configure etcd", #{tags: ["etcd", "config"]}, || { sh("true"); "configured" })"#,
        output: "configured",
    },
    FnDoc {
        name: "check_mode",
        group: "runbook",
        signature: "check_mode() -> bool",
        doc: "Is this a `--check` run? For steps that only make sense when changes were really made (waiting for a service to become healthy).",
        example: "// --check\n[check_mode(), sh(\"touch /tmp/rb-check-example\").changed, sh(\"test -e /tmp/rb-check-example\", #{check: false, check_mode: true}).rc]",
        output: "[true, false, 1]",
    },
    FnDoc {
        name: "import",
        group: "runbook",
        signature: "import \"name\" as name;",
        doc: "Load `name.rhai` from the runbook's folder, else from rb's stdlib (embedded in the binary).",
        example: r#"import "net" as net; net::version_ge("4.9.17", "4.9")"#,
        output: "true",
    },
    FnDoc {
        name: "current_host",
        group: "hosts",
        signature: "current_host() -> string",
        doc: "The host whose steps are running on this thread (`local` outside any fan-out).",
        example: r#"current_host()"#,
        output: "local",
    },
    FnDoc {
        name: "local",
        group: "hosts",
        signature: "local -> Host; h.name, h.addr, h.vars",
        doc: "The controller as a Host. Every Host has a name, an address and its variables.",
        example: r#"`${local.name} ${local.addr}`"#,
        output: "local 127.0.0.1",
    },
    FnDoc {
        name: "inventory_hosts",
        group: "hosts",
        signature: "inventory_hosts(pattern) -> HostList",
        doc: "The hosts a pattern selects in the inventory, `--limit` or not (Ansible's `groups['name']`). For decisions about a whole group — which addresses are in use, which members a cluster has — never for running on them: hosts outside `--limit` must not be contacted.",
        example: "// --limit web1:db1\n[hosts(\"web\").names(), inventory_hosts(\"web\").names()]",
        output: r#"[["web1"], ["web3", "web1", "web2"]]"#,
    },
    FnDoc {
        name: "need_hosts",
        group: "hosts",
        signature: "need_hosts(pattern) -> HostList",
        doc: "Like `hosts`, for the hosts a runbook cannot do without: when the pattern selects none, the run stops before anything changes with a usage error (exit 2) that names the groups and says to pass `-i`. The bundled runbooks select their groups with it.",
        example: r#"need_hosts("workers:k8s_worker")"#,
        output: "error: this runbook needs hosts in workers:k8s_worker, and examples.ini has none: pass -i inventory.ini with a group named workers or k8s_worker",
    },
    FnDoc {
        name: "setting",
        group: "hosts",
        signature: "h.setting(name, default) -> value",
        doc: "A per-host setting, resolved as Ansible resolves a variable: `-e` first, then the host's own variables, then its groups' (child over parent; group_vars/ and host_vars/ files included, see docs/hosts.md), then `default`. The one way runbooks read a setting that can differ per host. (`var` is a reserved word in Rhai, hence the name.)",
        example: r#"[host("web2").setting("k8s_interface", "lo"), host("web1").setting("k8s_interface", "lo"), host("db1").setting("k8s_interface", "lo"), host("localhost").setting("ansible_connection", "ssh")]"#,
        output: r#"["wg0", "eth0", "lo", "local"]"#,
    },
    FnDoc {
        name: "hosts",
        group: "hosts",
        signature: "hosts(pattern) -> HostList",
        doc: "The inventory hosts a pattern selects, in inventory (file) order, narrowed by `--limit`. Patterns as Ansible's: `all`, a group, a host, `a:b` (union), `a:&b` (intersection), `a:!b` (exclusion), globs `worker0*`, `~regex`, and subscripts `group[0]`, `group[1:3]` (end included). A term matching nothing is a warning, not an error (runbooks accept either of two group names). Without `-i`, the inventory is just `localhost`.",
        example: r#"[hosts("all").names(), hosts("web:db:!web2").names(), hosts("k8s:&web[1:]").names()]"#,
        output: r#"[["web3", "web1", "web2", "db1"], ["web3", "web1", "db1"], ["web1", "web2"]]"#,
    },
    FnDoc {
        name: "host",
        group: "hosts",
        signature: "host(name) -> Host",
        doc: "One inventory host by name; an error names the inventory when there is none.",
        example: r#"host("localhost").addr"#,
        output: "127.0.0.1",
    },
    FnDoc {
        name: "order",
        group: "hosts",
        signature: "list.order(kind) / list.order(\"shuffle\", seed) -> HostList",
        doc: "Ansible's orders: `inventory` (file order, always), `reverse_inventory`, `sorted`, `reverse_sorted` (by name), `shuffle` (random; a seed, or `--seed`, makes it reproducible).",
        example: r#"let all = hosts("all"); [all.order("sorted").names(), all.order("reverse_inventory").names(), all.order("shuffle", 4).names()]"#,
        output: r#"[["db1", "web1", "web2", "web3"], ["db1", "web2", "web1", "web3"], ["db1", "web1", "web3", "web2"]]"#,
    },
    FnDoc {
        name: "HostList: len / is_empty / names / filter / list[i] / for",
        group: "hosts",
        signature: "list.len(), list.is_empty(), list.names(), list.filter(|h| ...), list[i], for h in list",
        doc: "A HostList is an ordered list of Hosts: count it, take names, keep the hosts a closure accepts, index it (a negative index counts from the end, as for arrays), or loop over it.",
        example: r#"let l = hosts("all").filter(|h| h.name.starts_with("web")); for h in l { log(h.name) } [l.len(), l[-1].name, l.is_empty()]"#,
        output: "web3\nweb1\nweb2\n[3, \"web2\", false]",
    },
    FnDoc {
        name: "groups",
        group: "hosts",
        signature: "h.groups -> array of group names",
        doc: "The inventory groups a host belongs to (directly or through `:children`), in ansible-core's variable order: shallowest first, then `ansible_group_priority`, then name. A host listed in no group is in `ungrouped`, and the implicit `localhost` (there when an inventory does not list it) in none, as in Ansible (checked with ansible-core 2.19's `group_names`).",
        example: r#"[host("web2").groups, host("db1").groups, host("localhost").groups]"#,
        output: r#"[["k8s", "web"], ["db"], []]"#,
    },
    FnDoc {
        name: "on",
        group: "fanout",
        signature: "on(list, |h| ...) / on(list, #{serial, order, forks, max_fail_percentage, any_errors_fatal, seed}, |h| ...) -> map",
        doc: "Run the closure for each host: the hosts of a batch in parallel (at most `forks` at a time; default the whole batch), batches one after another. `serial`: an int, a percentage of all hosts (`\"30%\"`, at least 1), or a list used in turn with the last repeating (`[1, \"50%\"]`); default one batch. A host whose closure raises leaves the play: later `on` calls skip it and the run ends with exit 1. `any_errors_fatal: true`: after a failure no further host starts and the run stops. `max_fail_percentage: P`: the run stops when more than P% of a batch failed (Ansible's rule). An unreachable host is reported as `unreachable` with ssh's reason. Returns host name → the closure's value, or `#{failed: true, unreachable, error}`. Closures should return values rather than assign captured variables (assignments from parallel hosts race).",
        example: r#"on(hosts("web"), #{serial: 1}, |h| { log(h.name); h.sh(["echo", "up on", h.name]).out })"#,
        output: "web3\nweb1\nweb2\n#{\"web1\": \"up on web1\", \"web2\": \"up on web2\", \"web3\": \"up on web3\"}",
    },
    FnDoc {
        name: "run_once",
        group: "fanout",
        signature: "run_once(list, |h| ...) -> the closure's value",
        doc: "Run the closure on the first host of the list (skipping failed ones) and return its value, e.g. to store cluster-wide config once.",
        example: r#"on(hosts("web"), |h| if h.name == "web3" { throw "disk full" }); log(run_once(hosts("web"), |h| h.name))"#,
        output: "web1\nerror: 1 host(s) failed: web3",
    },
    FnDoc {
        name: "render_template",
        group: "files",
        signature: "render_template(template, values) / h.render_template(template, values) -> string",
        doc: "Render a Jinja2 template as Ansible's `template` module does (ansible-core 2.19, compared byte for byte in tests/templates/): `{% if %}`/`{% for %}` blocks drop the newline after them, the template's trailing newlines are kept, values print as Python prints them (`True`, `['a', 1]`; `None` as nothing), Python's string and dict methods work (`d.items()`, `s.split(',')`), and Ansible's everyday filters: `default`/`d`, `join`, `to_json`, `to_nice_json`, `to_nice_yaml`, `regex_replace`, `bool`, `int`, besides Jinja's own (`length`, `first`, `last`, `upper`, `lower`, `map`, ...). `template` is the text, or a `.j2` file beside the runbook or in its `templates/` folder. `h.render_template` adds what an Ansible template sees for that host: its variables, `inventory_hostname`, `inventory_hostname_short`, `group_names`, `groups`, `hostvars`; `values` win over them. An undefined variable is an error naming the template and line. Secrets render as their value. Maps iterate in key order (Rhai's maps are sorted), where Python keeps insertion order.",
        example: r#"render_template("{% for m in members %}{{ m.name }}=https://{{ m.ip }}:2380{{ '' if loop.last else ',' }}{% endfor %} {{ opts | to_json }} {{ missing | default('none') }}", #{members: [#{name: "etcd1", ip: "10.0.0.1"}, #{name: "etcd2", ip: "10.0.0.2"}], opts: #{verbose: false}})"#,
        output: r#"etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380 {"verbose": false} none"#,
    },
    FnDoc {
        name: "put",
        group: "files",
        signature: "h.put(path, content) / h.put(path, content, #{mode, owner, group, become, become_user}) -> #{changed, path}",
        doc: "Make a file hold exactly `content`. Atomic (written to a temp file beside it, then renamed); `changed` only when content, mode or owner differ. An existing file keeps its mode and owner unless given (setuid and setgid bits too, when only the owner or group changes); a new one gets 0644. A symlink at the path is replaced by the file (its target is untouched), unless it leads to a directory, which is refused like a directory; a FIFO, socket or device is refused. `mode` as `\"0640\"` or `0o640`. `become`/`become_user` read and write the file through sudo, as for `sh` (the host's become settings apply to `put`, `line_in_file`, `read` and `exists` as to commands). Under `--check` nothing is written but the change is reported (with `--diff`, as a unified diff).",
        example: r#"let f = sh("mktemp -u").out; let a = local.put(f, "x=1\n", #{mode: "0600"}); let b = local.put(f, "x=1\n"); let m = sh(["stat", "-c", "%a", f]).out; sh(["rm", f]); [a.changed, b.changed, m]"#,
        output: r#"[true, false, "600"]"#,
    },
    FnDoc {
        name: "read",
        group: "files",
        signature: "h.read(path) -> string",
        doc: "A text file's content (links followed). An error when it does not exist, is a directory, a FIFO, socket or device, is not UTF-8 (use `read_bytes`), is larger than 64 MiB, or takes over 5 minutes to read.",
        example: r#"local.read("/proc/sys/kernel/ostype")"#,
        output: "Linux\n",
    },
    FnDoc {
        name: "read_bytes",
        group: "files",
        signature: "h.read_bytes(path) -> blob",
        doc: "A file's exact bytes, for files that are not UTF-8 text (Latin-1 configs, binaries); `put` writes a blob back byte for byte. The same limits as `read`.",
        example: r#"let f = sh("mktemp").out; sh(["sh", "-c", "printf 'caf\\351\\n' > \"$1\"", "rb", f]); let b = local.read_bytes(f); let again = local.put(f, b).changed; sh(["rm", f]); [b.len(), b[3], again]"#,
        output: "[5, 233, false]",
    },
    FnDoc {
        name: "exists",
        group: "files",
        signature: "h.exists(path) -> bool",
        doc: "Does anything exist at the path?",
        example: r#"[local.exists("/etc"), local.exists("/nonexistent/rb")]"#,
        output: "[true, false]",
    },
    FnDoc {
        name: "line_in_file",
        group: "files",
        signature: "h.line_in_file(path, regex, line) / (..., #{create, mode, owner, group, become, become_user}) -> bool (changed)",
        doc: "Ansible's lineinfile for `KEY=\"value\"` config files: the last line matching `regex` becomes `line`; with no match the line is appended (unless already present). Returns whether the file changed. A missing file is an error unless `create: true`.",
        example: r#"let f = sh("mktemp").out; local.put(f, "ETCD_NAME=old\nOTHER=1\n"); let c = local.line_in_file(f, "^ETCD_NAME=", "ETCD_NAME=\"etcd1\""); let again = local.line_in_file(f, "^ETCD_NAME=", "ETCD_NAME=\"etcd1\""); let t = local.read(f); sh(["rm", f]); `${c} ${again} ${t}`"#,
        output: "true false ETCD_NAME=\"etcd1\"\nOTHER=1\n",
    },
    FnDoc {
        name: "which",
        group: "files",
        signature: "h.which(cmd) -> path or ()",
        doc: "Where a command is on the host's PATH (`command -v`), or `()`.",
        example: r#"[local.which("sh") != (), local.which("no-such-command-rb")]"#,
        output: "[true, ()]",
    },
    FnDoc {
        name: "net::version_cmp",
        group: "stdlib-net",
        signature: "net::version_cmp(a, b) -> -1, 0 or 1",
        doc: "Compare dotted versions numerically; anything after the leading numbers (\"-amd64\") is ignored.",
        example: r#"import "net" as net; [net::version_cmp("4.9.17", "4.10"), net::version_cmp("6.1.0-13-amd64", "6.1")]"#,
        output: "[-1, 0]",
    },
    FnDoc {
        name: "net::version_ge",
        group: "stdlib-net",
        signature: "net::version_ge(version, min) -> bool",
        doc: "Is `version` at least `min`? The seeds' kernel check (>= 4.9.17).",
        example: r#"import "net" as net; net::version_ge(sh("uname -r").out, "4.9.17")"#,
        output: "true",
    },
];

/// The inventory the examples run with (`examples.ini`): hosts in groups, a child group, a
/// group variable and a host variable over it, all local so the examples need no lab.
pub const EXAMPLE_INVENTORY: &str = "\
[web]
web3 ansible_connection=local
web1 ansible_connection=local
web2 ansible_connection=local k8s_interface=wg0

[db]
db1 ansible_connection=local

[k8s:children]
web

[k8s:vars]
k8s_interface=eth0
";

/// docs/reference.md, generated.
pub fn reference_markdown() -> String {
    let mut s = String::from(
        "# rb language reference\n\n\
         Generated from `src/api/docs.rs` (the same text `rb repl`'s `:help` shows); \
         `cargo test --test reference` runs every example below and checks its output. \
         Regenerate with `RB_BLESS=1 cargo test --test reference`.\n\n\
         Values are Rhai values (see the Rhai book for the language itself); JSON maps to \
         maps and arrays. Functions that fail raise a runbook error reported as \
         `file:line:col: message`.\n\n\
         The examples run with this inventory, `examples.ini` (local-connection hosts, so \
         each example really runs on every host it names); an example whose first line is \
         `// --check` runs as `rb run --check` would:\n\n```ini\n",
    );
    s.push_str(EXAMPLE_INVENTORY);
    s.push_str("```\n");
    for (group, title) in GROUPS {
        s.push_str(&format!("\n## {title}\n"));
        for f in FUNCTIONS.iter().filter(|f| f.group == *group) {
            s.push_str(&format!(
                "\n### `{}`\n\n`{}`\n\n{}\n\n```rhai\n{}\n```\n",
                f.name, f.signature, f.doc, f.example
            ));
            let out = f.output.trim_end_matches('\n');
            if let Some(err) = out.strip_prefix("error: ") {
                s.push_str(&format!("fails with:\n\n```text\n{err}\n```\n"));
            } else {
                s.push_str(&format!("gives:\n\n```text\n{out}\n```\n"));
            }
        }
    }
    s
}

/// One documented stdlib function, read from the module's `///` comments: the text, then
/// `/// example: CODE` and `/// gives: OUTPUT` (as `FnDoc::output`).
#[derive(Debug, Clone)]
pub struct StdlibDoc {
    /// The module's name (`import "NAME"`).
    pub module: &'static str,
    /// The function's name.
    pub name: String,
    /// `name(arg, ...)` as written.
    pub signature: String,
    /// The text of its `///` comment, without the example lines.
    pub doc: String,
    /// The `/// example:` code.
    pub example: String,
    /// The `/// gives:` output.
    pub gives: String,
}

/// Every public function of the embedded stdlib, in file order.
pub fn stdlib_docs() -> Vec<StdlibDoc> {
    let mut out = Vec::new();
    for (module, text) in crate::stdlib::STDLIB {
        let mut block: Vec<&str> = Vec::new();
        for line in text.lines() {
            if let Some(d) = line.strip_prefix("///") {
                block.push(d.strip_prefix(' ').unwrap_or(d));
                continue;
            }
            if let Some(rest) = line.strip_prefix("fn ") {
                let sig = rest.trim_end_matches('{').trim();
                let name = sig.split('(').next().unwrap_or("").to_string();
                let field = |p: &str| {
                    block
                        .iter()
                        .find_map(|l| l.strip_prefix(p))
                        .unwrap_or("")
                        .to_string()
                };
                out.push(StdlibDoc {
                    module,
                    signature: format!("{module}::{sig}"),
                    doc: block
                        .iter()
                        .filter(|l| !l.starts_with("example: ") && !l.starts_with("gives: "))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" "),
                    example: field("example: "),
                    gives: field("gives: "),
                    name,
                });
            }
            block.clear();
        }
    }
    out
}

/// docs/stdlib.md, generated from the modules themselves.
pub fn stdlib_markdown() -> String {
    let mut s = String::from(
        "# rb stdlib\n\n\
         Rhai modules embedded in rb (`stdlib/*.rhai`), imported with `import \"NAME\" as NAME;`. \
         Generated from the modules' own comments; `cargo test --test stdlib` runs every example \
         on a lab host and checks what it gives (regenerate with `RB_BLESS=1`). In the examples `h` \
         is a Host (`host(\"rbh7\")`) and `ep` its etcd endpoint. Functions that change something \
         return whether they did, and probe with read-only commands, so runbooks built on them \
         are `--check` safe and report `changed=0` on a second run.\n",
    );
    for (module, text) in crate::stdlib::STDLIB {
        s.push_str(&format!("\n## {module}\n\n"));
        let intro: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("//!"))
            .map(|l| l.trim_start())
            .collect();
        if !intro.is_empty() {
            s.push_str(&format!("{}\n", intro.join(" ")));
        }
        for f in stdlib_docs().iter().filter(|f| f.module == *module) {
            s.push_str(&format!(
                "\n### `{}`\n\n{}\n\n```rhai\n{}\n```\n",
                f.signature, f.doc, f.example
            ));
            if !f.gives.is_empty() {
                s.push_str(&format!("gives `{}`\n", f.gives));
            }
        }
    }
    s
}
