//! Helpers shared by the integration tests: the rb binary, the lab, the kube API stub.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The rb binary, closing its SSH masters at exit: each test starts from no connections
/// (a master kept by one test would serve the next, even after its host was killed). The
/// tests of the default (60 s) remove `RB_SSH_PERSIST`.
pub fn rb() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rb"));
    c.env("RB_SSH_PERSIST", "0");
    c
}

/// Start `cmd` with stderr captured, send it SIGINT (Ctrl-C) after `after`, and return its
/// output and how long it took to exit once signalled.
pub fn interrupt_after(
    mut cmd: Command,
    after: std::time::Duration,
) -> (Output, std::time::Duration) {
    let child = cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(after);
    let started = std::time::Instant::now();
    // SAFETY: kill only sends a signal to the child we started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    (out, started.elapsed())
}

/// `rb repl ARGS` fed `input` on a pipe (the scripted REPL: no prompts, results on stdout).
pub fn repl_piped(args: &[&str], input: &str) -> Output {
    repl_piped_in(Path::new("."), args, input)
}

/// `repl_piped` in the folder `dir` (where relative paths in `args` and `:load` resolve).
pub fn repl_piped_in(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rb"))
        .current_dir(dir)
        .arg("repl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Run `rb run` on a runbook given as text, in a fresh temporary directory.
pub fn run_script(text: &str, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("test.rhai");
    std::fs::write(&file, text).unwrap();
    let out = rb()
        .arg("run")
        .arg(&file)
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    (out, dir)
}

/// `rb run` on a runbook given as text against `web1`..`webN`, local-connection hosts of
/// group `web`: fan-out without the lab. The runbook is `test.rhai` in a fresh folder.
pub fn run_on_web_hosts(n: usize, text: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("web.ini");
    let hosts: String = (1..=n)
        .map(|i| format!("web{i} ansible_connection=local\n"))
        .collect();
    std::fs::write(&inv, format!("[web]\n{hosts}")).unwrap();
    let file = dir.path().join("test.rhai");
    std::fs::write(&file, text).unwrap();
    rb().arg("run")
        .arg(&file)
        .arg("-i")
        .arg(&inv)
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `--json` output: one event per line.
pub fn json_events(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The `event` field of each event, in order.
pub fn event_kinds(events: &[serde_json::Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

/// The kube-apiserver stand-in (lab/kube-api-stub.py) serving a nodes file on loopback.
pub struct KubeStub {
    child: Child,
    pub port: u16,
    addr: String,
    /// With TLS: the lab's PKI folder (lab/pki.sh): the stub serves apiserver.crt, checks
    /// client certificates against ca.crt, and kubectl speaks as admin.crt.
    pki: Option<PathBuf>,
}

impl KubeStub {
    pub fn start(nodes: &Path) -> KubeStub {
        Self::start_on(nodes, "127.0.0.1")
    }

    /// Listening on `addr` (the lab bridge 10.77.0.1: kubelets on the lab hosts register).
    pub fn start_on(nodes: &Path, addr: &str) -> KubeStub {
        Self::spawn(nodes, addr, None)
    }

    /// Over HTTPS with client-certificate authentication, as kube-apiserver: the serving
    /// certificate and the CA from the lab's PKI folder `pki`.
    pub fn start_tls(nodes: &Path, addr: &str, pki: &Path) -> KubeStub {
        Self::spawn(nodes, addr, Some(pki.to_path_buf()))
    }

    fn spawn(nodes: &Path, addr: &str, pki: Option<PathBuf>) -> KubeStub {
        let mut cmd = Command::new("python3");
        cmd.arg(root().join("lab/kube-api-stub.py"))
            .arg(nodes)
            .args(["0", addr]);
        if let Some(p) = &pki {
            cmd.arg("--tls")
                .arg(p.join("apiserver.crt"))
                .arg(p.join("apiserver.key"))
                .arg(p.join("ca.crt"));
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the kube API stub");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the stub prints its port");
        KubeStub {
            child,
            port,
            addr: addr.to_string(),
            pki,
        }
    }

    pub fn server(&self) -> String {
        let scheme = if self.pki.is_some() { "https" } else { "http" };
        format!("{scheme}://{}:{}", self.addr, self.port)
    }

    /// A kubeconfig that points at the stub (as the lab's admin, with TLS).
    pub fn kubeconfig(&self) -> String {
        let (ca, user) = match &self.pki {
            Some(p) => (
                format!(
                    "\n    certificate-authority: {}",
                    p.join("ca.crt").display()
                ),
                format!(
                    "\n    client-certificate: {}\n    client-key: {}",
                    p.join("admin.crt").display(),
                    p.join("admin.key").display()
                ),
            ),
            None => (String::new(), " {}".to_string()),
        };
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: {}{ca}\ncontexts:\n- name: lab\n  context:\n    cluster: lab\n    user: lab\ncurrent-context: lab\nusers:\n- name: lab\n  user:{user}\n",
            self.server()
        )
    }

    /// `kubectl --server=STUB ARGS...` (as the lab's admin, with TLS)
    pub fn kubectl(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("kubectl");
        cmd.arg(format!("--server={}", self.server()));
        if let Some(p) = &self.pki {
            cmd.arg(format!(
                "--certificate-authority={}",
                p.join("ca.crt").display()
            ))
            .arg(format!(
                "--client-certificate={}",
                p.join("admin.crt").display()
            ))
            .arg(format!("--client-key={}", p.join("admin.key").display()));
        }
        cmd.args(args).output().expect("kubectl is installed")
    }
}

impl Drop for KubeStub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lab (lab/up.sh): real hosts rbh1..rbhN in network namespaces, each with its sshd.
pub struct Lab {
    pub dir: PathBuf,
}

static LAB_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The lab, locked for this test: tests that stop hosts or time things must not overlap.
/// `None` when the lab is down and CI is unset: the test is skipped, and one line says why.
/// Under CI a missing lab fails the test.
pub fn lab_if_up() -> Option<(Lab, std::sync::MutexGuard<'static, ()>)> {
    let guard = LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir =
        PathBuf::from(std::env::var("RB_LAB_DIR").unwrap_or_else(|_| "/var/tmp/rblab".into()));
    // lab/down.sh leaves inventory.ini behind but removes the hosts' state: both must be there.
    if !dir.join("inventory.ini").exists() || !dir.join("hosts").is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the lab is not up: run `sudo lab/up.sh 10` (or .ci/run) first"
        );
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            use std::io::Write;
            // Straight to the terminal: the test harness hides what passing tests print.
            let _ = writeln!(
                std::io::stderr(),
                "lab is not up: sudo lab/up.sh 10 (skipping the tests that need it)"
            );
        });
        return None;
    }
    Some((Lab { dir }, guard))
}

/// `let (lab, _g) = lab!();` — the lab, or return from the test (skipped) when it is down.
#[macro_export]
macro_rules! lab {
    () => {
        match $crate::common::lab_if_up() {
            Some(l) => l,
            None => return,
        }
    };
}

impl Lab {
    pub fn inventory(&self) -> PathBuf {
        self.dir.join("inventory.ini")
    }

    pub fn ssh_config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }

    /// A copy of the lab inventory in `dir`, with `before` put first and `after` appended
    /// (extra hosts and groups for one test).
    pub fn inventory_with(&self, before: &str, after: &str, dir: &Path) -> PathBuf {
        let inv = dir.join("inventory.ini");
        let lab = std::fs::read_to_string(self.inventory()).unwrap();
        std::fs::write(&inv, format!("{before}{lab}\n{after}")).unwrap();
        inv
    }

    /// A copy of the lab's ssh config in `dir` with `first` put before it (ssh takes the
    /// first value it reads for each option, so `first` wins).
    pub fn ssh_config_with(&self, first: &str, dir: &Path) -> PathBuf {
        let cfg = dir.join("ssh_config");
        let lab = std::fs::read_to_string(self.ssh_config()).unwrap();
        std::fs::write(&cfg, format!("{first}\n{lab}")).unwrap();
        cfg
    }

    /// `rb ARGS... -i INVENTORY --ssh-config CONFIG`
    pub fn rb(&self, args: &[&str]) -> Command {
        self.rb_with(&self.inventory(), args)
    }

    /// `rb ARGS... -i INV --ssh-config CONFIG`, with another inventory (see `inventory_with`).
    pub fn rb_with(&self, inv: &Path, args: &[&str]) -> Command {
        let mut c = rb();
        c.args(args)
            .arg("-i")
            .arg(inv)
            .arg("--ssh-config")
            .arg(self.ssh_config());
        c
    }

    /// `rb run` on a runbook given as text, against the lab.
    pub fn run(&self, script: &str, args: &[&str]) -> Output {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lab.rhai");
        std::fs::write(&file, script).unwrap();
        self.rb(&["run", file.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap()
    }

    /// A command on a lab host through plain ssh: the independent view of the host.
    pub fn ssh(&self, host: &str, cmd: &str) -> String {
        let out = Command::new("ssh")
            .arg("-F")
            .arg(self.ssh_config())
            .arg("-o")
            .arg("BatchMode=yes")
            .arg(host)
            .arg(cmd)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A self-signed certificate and key with `subject` on `host`, at /tmp/rogue.crt and
    /// /tmp/rogue.key: a certificate the lab's CA did not sign.
    pub fn rogue_cert(&self, host: &str, subject: &str) {
        self.ssh(
            host,
            &format!(
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /tmp/rogue.key \
                 -out /tmp/rogue.crt -subj {subject} -days 1 2>/dev/null"
            ),
        );
    }

    /// Kill everything in a host's namespace: its sshd and every session (a dead host).
    pub fn kill_host(&self, host: &str) {
        let pids = Command::new("ip")
            .args(["netns", "pids", host])
            .output()
            .unwrap();
        for pid in String::from_utf8_lossy(&pids.stdout).split_whitespace() {
            let _ = Command::new("kill").args(["-9", pid]).status();
        }
    }

    /// Bring a killed host back and wait until it answers.
    pub fn restart_host(&self, host: &str) {
        let st = Command::new(root().join("lab/start-host.sh"))
            .arg(host)
            .status()
            .unwrap();
        assert!(st.success());
        for _ in 0..50 {
            if self.ssh(host, "echo up").trim() == "up" {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("{host} did not come back");
    }
}

/// `out` exited with `code` and its stderr says `needle` (the whole stderr shown if not).
pub fn assert_fails(out: &Output, code: i32, needle: &str) {
    out.code(code).stderr_has(needle);
}

/// What a test asserts about a finished `rb`, fluently (just's `Test` is the model):
/// `out.code(2).stderr_has("file:1:1").stdout_is("")`. A failed check shows both streams.
pub trait Ran {
    /// It exited with `code`.
    fn code(&self, code: i32) -> &Self;
    /// Its stderr contains `needle`.
    fn stderr_has(&self, needle: &str) -> &Self;
    /// Its stdout contains `needle`.
    fn stdout_has(&self, needle: &str) -> &Self;
}

impl Ran for Output {
    fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.status.code(),
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            stdout(self),
            stderr(self)
        );
        self
    }

    fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            stderr(self).contains(needle),
            "wanted {needle:?} in stderr:\n{}",
            stderr(self)
        );
        self
    }

    fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            stdout(self).contains(needle),
            "wanted {needle:?} in stdout:\n{}",
            stdout(self)
        );
        self
    }
}

/// A real terminal for a test: tmux runs a command in a pseudo-terminal of a given size,
/// keys go in with send-keys, the screen is read with capture-pane. The one tmux harness of
/// the suite (the REPL's tests, progress lines, password prompts).
pub struct Term {
    socket: String,
    /// The REPL's history folder, kept across a restart.
    pub state: Option<tempfile::TempDir>,
    /// One terminal at a time: a line editor drops keys typed before its prompt is up, and
    /// nine terminals starting at once on two cores make that likely.
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
}

static TERM_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Term {
    /// Run the shell command line `cmd` in a fresh tmux server named after `name`, in a
    /// terminal of `(columns, rows)`.
    pub fn spawn(name: &str, cmd: &str, (columns, rows): (u16, u16)) -> Term {
        let guard = TERM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let socket = format!("{name}-{}", std::process::id());
        let (x, y) = (columns.to_string(), rows.to_string());
        let st = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-x", &x, "-y", &y, cmd])
            .status()
            .expect("tmux is installed");
        assert!(st.success());
        Term {
            socket,
            state: None,
            _one_at_a_time: guard,
        }
    }

    /// Send keys as tmux's send-keys takes them (`"Enter"`, `"C-c"`, `"-l", text`).
    pub fn keys(&self, keys: &[&str]) {
        let st = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// What the terminal shows now.
    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// What the terminal shows now, with its colours as escape sequences.
    pub fn screen_with_colors(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-e", "-p", "-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen once it shows `text`; the test fails (showing the screen) after `limit`.
    pub fn wait_for(&self, text: &str, limit: std::time::Duration) -> String {
        let started = std::time::Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            if started.elapsed() > limit {
                panic!(
                    "waited {limit:?} for {text:?} (terminal {}); the screen:\n{s}",
                    if self.alive() {
                        "open"
                    } else {
                        "gone: the command exited"
                    }
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
    }

    /// Whether the terminal is still open.
    pub fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["-L", &self.socket, "has-session"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Close the terminal (its command gets SIGHUP).
    pub fn close(&self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        self.close();
    }
}
