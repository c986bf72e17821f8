//! Embedding rb in your own tool: run a runbook from a string with your variables, receive
//! its events through a channel, add your own function, and use rb's functions in an
//! engine you own.
//!
//! cargo run --example embed

use rb::rhai::Engine;
use rb::{Event, Runtime};

fn main() {
    // 1. A runtime with variables and an event channel.
    let (builder, events) = Runtime::builder()
        .var("cluster", "lab")
        .var("replicas", 3_i64)
        .events_channel();
    let mut rt = builder.build().expect("runtime starts");

    // 2. Your own functions sit beside rb's.
    rt.engine_mut()
        .register_fn("ticket", |id: i64| format!("OPS-{id}"));

    // 3. Run a script; the value of its last expression comes back.
    let script = r#"
        let kernel = sh(["uname", "-s"]).out;
        task("report", || log(`${ticket(42)}: ${vars.cluster} x${vars.replicas} on ${kernel}`));
        kernel.len()
    "#;
    let value = rt.run_script("embedded.rhai", script).unwrap_or_else(|d| {
        eprintln!("runbook failed: {d}");
        std::process::exit(1);
    });
    println!("value: {value}");

    // Events arrive in order; here is what the host application saw.
    for e in events.try_iter() {
        match e {
            Event::Log { msg, .. } => println!("log: {msg}"),
            Event::CmdResult { cmd, rc, .. } => println!("command: {cmd} (rc {rc})"),
            Event::TaskStart { task, .. } => println!("task: {}", task.join(" › ")),
            _ => {}
        }
    }

    // 4. rb's functions in an engine you already have.
    let mut engine = Engine::new();
    let _rb = Runtime::builder()
        .register_into(&mut engine)
        .expect("registered");
    let n: bool = engine
        .eval(r#""Ready=True".matches("Ready=(True|False)")"#)
        .expect("evaluates");
    println!("own engine: {n}");
}
