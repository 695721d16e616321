//! The app never reaches for the network: no HTTP or TLS client is linked into it.
//!
//! walkers 0.65 always links one (reqwest, hyper, rustls); Lamppost uses a copy without it
//! (`vendor/walkers/README.lamppost.md`). This test walks the resolved dependency graph in
//! `Cargo.lock` from this package, so a dependency that brings a client back (a walkers upgrade
//! without the patch, a crate with an `http` default feature) fails here, before it ships.

use std::collections::{HashMap, HashSet};

/// Crates whose only job is to speak HTTP or TLS to another machine.
const NETWORK_CLIENTS: &[&str] = &[
    "reqwest",
    "hyper",
    "ureq",
    "curl",
    "isahc",
    "attohttpc",
    "rustls",
    "native-tls",
    "openssl",
    "http-cache-reqwest",
];

/// `Cargo.lock`'s packages: name → the names of their dependencies (every platform, every kind
/// but dev, which the lock file does not separate: so the check is stricter than the build).
fn lock_graph(lock: &str) -> HashMap<String, Vec<String>> {
    let mut graph: HashMap<String, Vec<String>> = HashMap::new();
    let mut name = String::new();
    let mut in_deps = false;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name.clear();
            in_deps = false;
        } else if let Some(n) = line.strip_prefix("name = ") {
            name = n.trim_matches('"').to_owned();
            graph.entry(name.clone()).or_default();
        } else if line == "dependencies = [" {
            in_deps = true;
        } else if in_deps && line == "]" {
            in_deps = false;
        } else if in_deps {
            let dep = line.trim_end_matches(',').trim_matches('"');
            let dep = dep.split(' ').next().unwrap_or(dep);
            graph.entry(name.clone()).or_default().push(dep.to_owned());
        }
    }
    graph
}

/// Every crate reachable from `root`.
fn reachable(graph: &HashMap<String, Vec<String>>, root: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut todo = vec![root.to_owned()];
    while let Some(n) = todo.pop() {
        if seen.insert(n.clone()) {
            todo.extend(graph.get(&n).into_iter().flatten().cloned());
        }
    }
    seen
}

#[test]
fn no_http_or_tls_client_is_linked_into_the_app() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock beside Cargo.toml");
    let graph = lock_graph(&lock);
    let linked = reachable(&graph, "lamppost");
    assert!(
        linked.contains("walkers") && linked.contains("rusqlite"),
        "graph not read: {linked:?}"
    );
    let clients: Vec<_> = NETWORK_CLIENTS
        .iter()
        .filter(|c| linked.contains(**c))
        .collect();
    assert!(
        clients.is_empty(),
        "network clients linked into lamppost: {clients:?}"
    );
}

#[test]
fn the_check_finds_a_client_that_comes_in_through_walkers() {
    // The lock file of the crates.io walkers: the walk must reach reqwest through it.
    let lock = r#"
[[package]]
name = "lamppost"
version = "0.1.0"
dependencies = [
 "walkers",
]

[[package]]
name = "walkers"
version = "0.65.0"
dependencies = [
 "egui",
 "reqwest 0.13.5",
]

[[package]]
name = "reqwest"
version = "0.13.5"
"#;
    let linked = reachable(&lock_graph(lock), "lamppost");
    assert!(linked.contains("reqwest"));
}
