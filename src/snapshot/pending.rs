//! Finding pending snapshots: the `.snap.new` files under each scenario's `snapshots/` folder.

use std::path::{Path, PathBuf};

use crate::error::{Error, InputError, did_you_mean};
use crate::scenario::SCENARIO_FILE;

use super::SNAPSHOT_DIR;

/// One `.snap.new` waiting for a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The scenario's folder name.
    pub scenario: String,
    /// The scenario's `scenario.yaml`.
    pub scenario_file: PathBuf,
    /// The accepted snapshot it would replace (may not exist yet).
    pub snap: PathBuf,
    /// The pending file itself.
    pub new: PathBuf,
}

impl Pending {
    /// The snapshot's file name without `.snap`, for messages.
    pub(crate) fn name(&self) -> String {
        self.snap
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".snap").to_string())
            .unwrap_or_default()
    }

    /// Makes the pending snapshot the accepted one.
    pub(crate) fn accept(&self) -> Result<(), Error> {
        std::fs::rename(&self.new, &self.snap)
            .map_err(|err| Error::io("accept (rename)", &self.new, &err))
    }

    /// Drops the pending snapshot; the accepted one stays.
    pub(crate) fn reject(&self) -> Result<(), Error> {
        super::remove_if_present(&self.new)
    }
}

/// The scenario folders under `dir` (those holding a `scenario.yaml`), sorted by name.
pub(crate) fn scenario_folders(dir: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|err| Error::io("read", dir, &err))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Error::io("read", dir, &err))?;
        let path = entry.path();
        if path.join(SCENARIO_FILE).is_file() {
            out.push((entry.file_name().to_string_lossy().into_owned(), path));
        }
    }
    out.sort();
    Ok(out)
}

/// Every pending snapshot of the named scenarios (all when `names` is empty), in name order.
/// An unknown scenario name is an input error with a suggestion.
pub(crate) fn find(scenarios_dir: &Path, names: &[String]) -> Result<Vec<Pending>, Error> {
    if !scenarios_dir.is_dir() {
        return Err(
            InputError::in_file(scenarios_dir, "scenarios directory does not exist")
                .with_hint("run inside the project (the folder holding interlock.toml, or one below it) or pass --config")
                .into(),
        );
    }
    let folders = scenario_folders(scenarios_dir)?;
    let unknown: Vec<InputError> = names
        .iter()
        .filter(|name| !folders.iter().any(|(n, _)| n == *name))
        .map(|name| {
            InputError::usage(format!("no scenario named `{name}`"))
                .with_hint_opt(did_you_mean(name, folders.iter().map(|(n, _)| n.as_str())))
        })
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Input(unknown));
    }
    let mut out = Vec::new();
    for (name, folder) in folders {
        if !names.is_empty() && !names.contains(&name) {
            continue;
        }
        out.extend(in_folder(&name, &folder)?);
    }
    Ok(out)
}

fn in_folder(name: &str, folder: &Path) -> Result<Vec<Pending>, Error> {
    let dir = folder.join(SNAPSHOT_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(&dir).map_err(|err| Error::io("read", &dir, &err))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| Error::io("read", &dir, &err))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(snap) = file.strip_suffix(".new").filter(|s| s.ends_with(".snap")) {
            out.push(Pending {
                scenario: name.to_string(),
                scenario_file: folder.join(SCENARIO_FILE),
                snap: dir.join(snap),
                new: entry.path(),
            });
        }
    }
    out.sort_by(|a, b| a.new.cmp(&b.new));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pending_files_per_scenario_and_suggests_names() {
        let dir = tempfile::tempdir().unwrap();
        for scenario in ["alpha", "beta"] {
            let folder = dir.path().join(scenario);
            std::fs::create_dir_all(folder.join(SNAPSHOT_DIR)).unwrap();
            std::fs::write(folder.join(SCENARIO_FILE), "target: crm\n").unwrap();
        }
        let snaps = dir.path().join("beta").join(SNAPSHOT_DIR);
        std::fs::write(snaps.join("beta__002_get_x.snap.new"), "---\n---\n").unwrap();
        std::fs::write(snaps.join("beta__001_get_y.snap.new"), "---\n---\n").unwrap();
        std::fs::write(snaps.join("beta__003_get_z.snap"), "---\n---\n").unwrap();
        let all = find(dir.path(), &[]).unwrap();
        let names: Vec<String> = all.iter().map(Pending::name).collect();
        assert_eq!(names, ["beta__001_get_y", "beta__002_get_x"]);
        assert!(find(dir.path(), &["alpha".into()]).unwrap().is_empty());
        let Err(Error::Input(errors)) = find(dir.path(), &["betta".into()]) else {
            panic!("unknown scenario must be an input error");
        };
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `beta`?"));
    }
}
