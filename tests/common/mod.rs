//! Helpers shared by the integration tests: the rb binary, and the kube API stub.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn rb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rb"))
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

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The kube-apiserver stand-in (lab/kube-api-stub.py) serving a nodes file on loopback.
pub struct KubeStub {
    child: Child,
    pub port: u16,
}

impl KubeStub {
    pub fn start(nodes: &Path) -> KubeStub {
        let mut child = Command::new("python3")
            .arg(root().join("lab/kube-api-stub.py"))
            .arg(nodes)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the kube API stub");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the stub prints its port");
        KubeStub { child, port }
    }

    pub fn server(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `kubectl --server=STUB ARGS...`
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .arg(format!("--server={}", self.server()))
            .args(args)
            .output()
            .expect("kubectl is installed")
    }
}

impl Drop for KubeStub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
