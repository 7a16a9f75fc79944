//! The module map stays one-way: no cycle between the top-level modules of `src/`, no engine
//! that reaches up into the command line, no reporter that knows the runner. Read from the
//! source text (`crate::x` paths, `use crate::{x, …}` groups); test modules do not count, and
//! neither does a module's reference to its own children.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::harness::repo_root;

/// The modules that may refer to everything: the command line and its glue.
const TOP: &[&str] = &["cli", "commands"];

/// Top-level module → the top-level modules it refers to.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo_root().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative
            .components()
            .next()
            .expect("a path")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if first == "lib" || first == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file");
        let refs = graph.entry(first.clone()).or_default();
        for target in references(&text) {
            if target != first {
                refs.insert(target);
            }
        }
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The top-level modules a file's code (not its tests, not its comments) refers to.
fn references(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .take_while(|line| line.trim() != "#[cfg(test)]")
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                found.extend(module_name(item.trim()));
            }
        } else {
            found.extend(module_name(rest));
        }
    }
    found.remove("self");
    found
}

fn module_name(path: &str) -> Option<String> {
    let name: String = path
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Every cycle's members, found as strongly connected components (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, node: &'g str) {
            let i = self.index.len();
            self.index.insert(node, i);
            self.low.insert(node, i);
            self.stack.push(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    component.push(member.to_string());
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let graph = module_graph();
    assert!(graph.contains_key("run") && graph.contains_key("report"));
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "modules that depend on each other in a cycle: {found:?}\nthe graph: {graph:#?}"
    );
}

#[test]
fn no_engine_refers_to_the_command_line() {
    let graph = module_graph();
    let upward: Vec<String> = graph
        .iter()
        .filter(|(module, _)| !TOP.contains(&module.as_str()))
        .flat_map(|(module, refs)| {
            refs.iter()
                .filter(|r| TOP.contains(&r.as_str()))
                .map(move |r| format!("{module} → {r}"))
        })
        .collect();
    assert!(upward.is_empty(), "engines reaching up: {upward:?}");
}

#[test]
fn no_reporter_refers_to_the_runner() {
    let graph = module_graph();
    let report = &graph["report"];
    assert!(
        !report.contains("run") && !report.contains("peers"),
        "report refers to {report:?}"
    );
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["c".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
        ("d".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"]]);
    let code = "use crate::{json::x, model};\n// crate::nothing\nlet y = crate::error::Error;\n#[cfg(test)]\nuse crate::tested;";
    assert_eq!(
        references(code),
        BTreeSet::from(["error", "json", "model"].map(String::from))
    );
}
