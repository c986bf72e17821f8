//! `cargo run -p kubepath --example nodes`: the one-liner from the seeds that lists each
//! node with its InternalIP, on a small node list.

fn main() {
    let nodes = serde_json::json!({"items": [
        {"metadata": {"name": "worker01"}, "status": {"addresses": [
            {"type": "InternalIP", "address": "10.0.0.11"}, {"type": "Hostname", "address": "worker01"}]}},
        {"metadata": {"name": "worker02"}, "status": {"addresses": [
            {"type": "InternalIP", "address": "10.0.0.12"}, {"type": "Hostname", "address": "worker02"}]}}
    ]});
    let template = r#"{range .items[*]}{.metadata.name}{"\t"}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}"#;
    match kubepath::render(template, &nodes) {
        Ok(out) => print!("{out}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
