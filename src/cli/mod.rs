//! The command line, and only that: clap's definitions of every subcommand and its options.
//!
//! Nothing here runs anything. `main.rs` parses a [`Cli`], [`crate::commands`] turns each
//! subcommand's arguments into calls on the engines below, and the engines know nothing of
//! clap.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::scenario::behaviour::Playback;
use crate::terminal::{ColorChoice, Verbosity};

/// `interlock 0.1.0 (abc1234 2026-12-04)`: the version, git commit and build date, as
/// `build.rs` found them (`unknown` without git).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("INTERLOCK_GIT_COMMIT"),
    " ",
    env!("INTERLOCK_BUILD_DATE"),
    ")"
);

mod db;
mod reconcile;
pub use db::{DbArgs, DbCheckArgs, DbCommand, DbPullArgs};
pub use reconcile::ReconcileArgs;

/// Interlock: catch the contract change that breaks a neighbour before it ships.
#[derive(Debug, Parser)]
#[command(name = "interlock", version = VERSION, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Project file (default: interlock.toml in the current folder or the nearest parent
    /// holding one, else the embedded default).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// When to colour the output: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE or
    /// FORCE_COLOR force it), always, never.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorChoice::Auto
    )]
    pub color: ColorChoice,

    /// Say less: results, failures and errors only (no progress, no passing scenarios, no
    /// "done" lines).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more, on standard error: each exchange as it finishes (`run`), each file read
    /// (`check`), build details (`version`).
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Let contract `$ref`s read files outside the project root.
    #[arg(long, global = true)]
    pub allow_outside_refs: bool,
}

impl GlobalArgs {
    /// `-q` / `-v` as one value.
    pub fn verbosity(&self) -> Verbosity {
        Verbosity::from_flags(self.quiet, self.verbose)
    }
}

/// Where a run (or a merge of runs) writes its reports.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Write the JSON report here.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,

    /// Write JUnit XML here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// Write the self-contained HTML report here.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,

    /// Write the Markdown summary here (it is also appended to `$GITHUB_STEP_SUMMARY` when set).
    #[arg(long, value_name = "PATH")]
    pub summary_md: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay scenarios against their targets with mocked peers; check contracts and drift.
    Run(RunArgs),
    /// Classify contract changes between two versions: breaking or not, for whom.
    Diff(DiffArgs),
    /// Serve mocked peers on their ports until Ctrl-C, with request journal and fault injection.
    Mock(MockArgs),
    /// Work with reports: merge the JSON reports of a sharded run.
    Report(ReportArgs),
    /// Replay scenarios several times against the same target and add the fields that differ
    /// between runs to their `ignore:` lists.
    Learn(LearnArgs),
    /// Import a HAR capture as a recording, or an OpenAPI / Swagger document as contracts.
    Import(ImportArgs),
    /// Draft contracts from recorded traffic, for review.
    Infer(InferArgs),
    /// Learn what values contracted fields really take from recordings, into
    /// contracts/domains.yaml, for review; `run` then reports values outside them.
    Domains(DomainsArgs),
    /// Learn which values the target passes on to its peers from the scenarios' recordings, into
    /// contracts/lineage.yaml, for review; `run` then reports a mapping that no longer holds.
    Lineage(LineageArgs),
    /// Apply the project's redaction rules to an existing recording, in place.
    Redact(RedactArgs),
    /// Record real traffic: a reverse proxy appending every exchange, redacted, to a recording.
    Record(RecordArgs),
    /// Validate every contract, scenario and recording, and recordings against contracts; no network.
    Check(CheckArgs),
    /// Review pending snapshots interactively: diff, then accept, reject, skip or mark as noise.
    Review(ReviewArgs),
    /// Accept pending snapshots (`.snap.new` becomes `.snap`), for scripts.
    Accept(DecideArgs),
    /// Reject pending snapshots (`.snap.new` is deleted), for scripts.
    Reject(DecideArgs),
    /// Print a shell completion script on standard output.
    Completions(CompletionsArgs),
    /// Write man pages: interlock.1 and one page per subcommand (interlock-run.1, …).
    Man(ManArgs),
    /// Print the version, git commit and build date; with -v also the target, rustc and features.
    Version,
    /// Table contracts: pull them from a database, check a database and its migrations.
    Db(DbArgs),
    /// Reconcile two systems' records (`reconcile/NAME.yaml`): matched, missing, duplicate and
    /// mismatching keys, against thresholds.
    Reconcile(ReconcileArgs),
}

/// `interlock learn`.
#[derive(Debug, Args, Clone)]
pub struct LearnArgs {
    /// Scenarios to learn (folder names under the scenarios directory); all when none given.
    pub scenarios: Vec<String>,

    /// Profile of the project file whose target URLs to use.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Target URL override, `NAME=URL`.
    #[arg(long, value_name = "NAME=URL")]
    pub target: Vec<String>,

    /// How many times to replay each scenario (at least 2).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub runs: u32,

    /// Print the rules that would be learned; change no file.
    #[arg(long)]
    pub dry_run: bool,

    /// Send this header to every live target, as `run --header` does (curl style, repeatable;
    /// the value never appears in any output).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

/// `interlock completions SHELL`.
#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `interlock man --out DIR`.
#[derive(Debug, Args, Clone)]
pub struct ManArgs {
    /// Folder to write the pages into (created if needed; pages are replaced atomically).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Scenarios to run (folder names under the scenarios directory); all when none given.
    pub scenarios: Vec<String>,

    /// Profile of the project file whose target URLs to use.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Target URL override, `NAME=URL`; in ad-hoc mode (with --replay) a bare URL.
    #[arg(long, value_name = "NAME=URL")]
    pub target: Vec<String>,

    /// Ad-hoc mode: replay this recording into --target, without a scenario file.
    #[arg(long, value_name = "REC")]
    pub replay: Option<PathBuf>,

    /// Ad-hoc mode: serve a mocked peer `NAME` from recording REC on PORT.
    #[arg(long, value_name = "NAME=REC@PORT")]
    pub mock: Vec<String>,

    /// Inject a fault into mocked peer NAME (or `SCENARIO/NAME`), as `interlock mock --fault`:
    /// `NAME=KIND[:ARG][,route=METHOD /path][,calls=N|A..B|P%][,retry_after=S]`. Repeatable.
    #[arg(long, value_name = "NAME=FAULT")]
    pub fault: Vec<String>,

    /// Contract directory (repeatable); replaces the project file's list.
    #[arg(long, value_name = "DIR")]
    pub contracts: Vec<PathBuf>,

    /// Scenarios run in parallel.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Run only shard K of N (from 1): a stable share of the scenarios, by scenario id, for CI
    /// matrices; merge the shards' JSON reports with `interlock report merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// The CI run this belongs to, recorded in the JSON report so `report merge` only merges
    /// shards of one run (default: GITHUB_RUN_ID[-GITHUB_RUN_ATTEMPT], CI_PIPELINE_ID or
    /// BUILD_TAG, when set)
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,

    /// Learn noise first: replay the scenarios 3 times, add the fields that differ between runs
    /// to their `ignore:` lists (as `interlock learn` does), then run
    #[arg(long)]
    pub learn: bool,

    /// Per-request timeout in seconds (default 10).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,

    /// Send this header to every live target, curl style: `"Authorization: Bearer $TOKEN"`,
    /// `"Cookie: session=…"`; replaces the recorded header (and the profile's) of that name,
    /// `"NAME:"` removes it. Repeatable. The value never appears in any output.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Do not compare the value at this JSON pointer (`/updated_at`, `/items/*/id`) or header
    /// (`header:x-request-id`) in any exchange; its presence, type and format still count.
    /// Repeatable; adds to the scenarios' own `ignore:` rules.
    #[arg(long, value_name = "POINTER")]
    pub ignore: Vec<String>,

    /// Let scenarios run the commands of their `setup:` / `teardown:` steps (as
    /// `[run] allow_commands = true` does).
    #[arg(long)]
    pub allow_commands: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    /// When to write snapshot files: auto (no on CI, else new), new (`.snap.new` for review),
    /// unseen (new ones as `.snap`), always (accept everything), no. Default: the
    /// INTERLOCK_SNAPSHOTS or INSTA_UPDATE environment variable, else auto.
    #[arg(long, value_name = "MODE", value_enum)]
    pub snapshots: Option<crate::snapshot::Mode>,
}

#[derive(Debug, Args, Clone)]
pub struct MockArgs {
    /// Scenarios whose peers to serve (folder names); every scenario when none is given and
    /// no --recording.
    pub scenarios: Vec<String>,

    /// Serve peer NAME from recording REC on PORT (a free port without `@PORT`); repeatable.
    #[arg(long, value_name = "NAME=REC@PORT")]
    pub recording: Vec<String>,

    /// Inject a fault: `NAME=KIND[:ARG][,route=METHOD /path][,calls=N|A..B|P%][,retry_after=S]`,
    /// KIND one of delay:MS, delay:MIN-MAX, status:CODE, reset, close, hang, truncate,
    /// malformed; NAME is a peer name or `SCENARIO/PEER`. Repeatable.
    #[arg(long, value_name = "NAME=FAULT")]
    pub fault: Vec<String>,

    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,

    /// What identical requests get once their recorded replies are used up (overrides the
    /// scenarios' `playback`).
    #[arg(long, value_enum)]
    pub playback: Option<Playback>,

    /// Seed for percentage faults and random delays (overrides the scenarios' `seed`).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Which requests to log on stdout.
    #[arg(long, value_enum, default_value_t = LogArg::All)]
    pub log: LogArg,

    /// Switch the admin endpoint (`/__interlock/requests`) off; its paths are then served
    /// like any other request.
    #[arg(long)]
    pub no_admin: bool,

    /// Also answer admin requests whose `Host` is NAME (besides loopback names, this
    /// machine's name and --host), e.g. a container's service name; repeatable.
    #[arg(long, value_name = "NAME")]
    pub admin_allow_host: Vec<String>,

    /// The most each peer's request journal keeps, e.g. `64MiB`, `512KiB` or bytes; the
    /// oldest calls go first.
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = parse_size)]
    pub journal_bytes: usize,

    /// Contract directory (repeatable); replaces the project file's list.
    #[arg(long, value_name = "DIR")]
    pub contracts: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogArg {
    /// Every request.
    #[default]
    All,
    /// Requests that matched no recording, broke their contract or were faulted.
    Problems,
    /// Nothing per request.
    None,
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Debug, Subcommand, Clone)]
pub enum ReportCommand {
    /// Merge the JSON reports of sharded runs into one result and write its reports.
    Merge(MergeArgs),
}

#[derive(Debug, Args, Clone)]
pub struct MergeArgs {
    /// JSON reports of the shards (`interlock run --shard K/N --report-json PATH`).
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `interlock import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub command: ImportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Convert a HAR 1.2 capture into a recording (redacted on the way).
    Har(HarArgs),
    /// Convert an OpenAPI 3.0 / 3.1 or Swagger 2.0 document into contracts.
    Openapi(OpenApiArgs),
}

/// Arguments of `interlock import har`.
#[derive(Debug, Args)]
pub struct HarArgs {
    /// The HAR 1.2 file (browser devtools "Save all as HAR", Charles, mitmproxy).
    pub file: PathBuf,

    /// Keep only entries whose URL host is H (`api.example.com`, or `host:port`).
    #[arg(long, value_name = "H")]
    pub host: Option<String>,

    /// Keep only entries whose path is P or lies below it (`/api` keeps `/api/x`, not `/apix`).
    #[arg(long, value_name = "P")]
    pub path_prefix: Option<String>,

    /// Remove the --path-prefix from the recorded paths (`/gateway/api/x` → `/api/x`).
    #[arg(long, requires = "path_prefix")]
    pub strip_prefix: bool,

    /// Name of the peer that answered, stored in every exchange (`peer`).
    #[arg(long, value_name = "NAME")]
    pub peer: Option<String>,

    /// The recording to write (replaced atomically).
    #[arg(long, value_name = "REC")]
    pub out: PathBuf,
}

/// Arguments of `interlock import openapi`.
#[derive(Debug, Args)]
pub struct OpenApiArgs {
    /// The OpenAPI 3.0 / 3.1 or Swagger 2.0 document (YAML or JSON).
    pub spec: PathBuf,

    /// Folder to write the contracts into (created if needed; other files in it are kept).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The system that serves the API (default: a slug of `info.title`).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,

    /// A system that calls the API (repeatable).
    #[arg(long = "consumer", value_name = "NAME")]
    pub consumers: Vec<String>,

    /// Repair common spec quirks instead of failing: unknown type names (`int`, `double`),
    /// `$ref: '#components/…'` without the slash.
    #[arg(long)]
    pub lenient: bool,
}

/// Arguments of `interlock infer`.
#[derive(Debug, Args)]
pub struct InferArgs {
    /// Recordings to learn from (JSONL, as written by `record` or `import har`).
    #[arg(required = true, value_name = "REC")]
    pub recordings: Vec<PathBuf>,

    /// Folder to write the draft contracts into (created if needed; other files are kept).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// A string field with at most N distinct values (each seen at least twice on average)
    /// becomes an `enum`; 0 turns enums off.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub enum_threshold: usize,

    /// The system that serves the operations (default: the recordings' `peer`, else the
    /// recording's file name, `erp` for `erp.jsonl`).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
}

/// Arguments of `interlock lineage`.
#[derive(Debug, Args, Clone)]
pub struct LineageArgs {
    /// Where to write the lineage (`-` for standard output); default `lineage.yaml` in the
    /// first contracts folder, where `run` and `check` read it.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

/// Arguments of `interlock domains`.
#[derive(Debug, Args, Clone)]
pub struct DomainsArgs {
    /// Recordings to learn from (JSONL); default: every scenario's replay and peer recordings.
    #[arg(value_name = "REC")]
    pub recordings: Vec<PathBuf>,

    /// Where to write the domains (`-` for standard output); default `domains.yaml` in the
    /// first contracts folder, where `run` and `check` read it.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct RedactArgs {
    /// The recording (JSONL) to redact in place.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub struct RecordArgs {
    /// The system to record: base URL the client's path and query are appended to.
    #[arg(long, value_name = "URL")]
    pub upstream: String,

    /// Address to accept clients on (`127.0.0.1:0` picks a free port and prints it).
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: String,

    /// Recording to append exchanges to (created when missing).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Peer name stored in every exchange (`erp`), for recordings that serve mocked peers.
    #[arg(long, value_name = "NAME")]
    pub peer: Option<String>,

    /// Seconds the upstream gets to answer one request.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Do not fsync after each write: faster; an answered exchange still survives `kill -9`,
    /// but not a machine crash.
    #[arg(long)]
    pub no_fsync: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct CheckArgs {
    /// More recordings to check besides the project's (e.g. a fresh capture).
    #[arg(value_name = "REC")]
    pub recordings: Vec<PathBuf>,
}

/// `interlock review [SCENARIO…]`.
#[derive(Debug, Args, Clone, Default)]
pub struct ReviewArgs {
    /// Scenarios whose pending snapshots to review (folder names); all when none given.
    pub scenarios: Vec<String>,
}

/// `interlock accept|reject [--all | SCENARIO…]`.
#[derive(Debug, Args, Clone, Default)]
pub struct DecideArgs {
    /// Scenarios whose pending snapshots to decide (folder names).
    #[arg(conflicts_with = "all")]
    pub scenarios: Vec<String>,

    /// Every pending snapshot of every scenario.
    #[arg(long)]
    pub all: bool,
}

/// Arguments of `interlock diff`.
#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// The old version: a contracts directory, an OpenAPI document or a JSON Schema file
    /// (with `--base`: the path to compare with its state at REV; default the contracts directory)
    #[arg(value_name = "OLD")]
    pub old: Option<PathBuf>,
    /// The new version, of the same kind as OLD
    #[arg(value_name = "NEW")]
    pub new: Option<PathBuf>,
    /// Compare the contracts at this git revision with the working tree (no checkout)
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Direction of two bare JSON Schema files: who writes them
    #[arg(long, value_enum)]
    pub role: Option<crate::diff::Role>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::diff::Format,
    /// Exit 1 when a change is at or above this severity
    #[arg(long, value_enum, default_value = "breaking", value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// Directory compared with `--base`, and where the waivers file is looked up
    /// (default: the project's contracts directory)
    #[arg(long, value_name = "DIR")]
    pub contracts: Option<PathBuf>,
    /// Write the report to this file (atomically) instead of standard output
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Waivers file (default: `waivers.yaml` in the new contracts directory)
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Learned lineage weighing each change by the recorded use of its field (default:
    /// `lineage.yaml` of the working tree's contracts directory, whatever versions are compared)
    #[arg(long, value_name = "FILE")]
    pub lineage: Option<PathBuf>,
    /// Read invalid-but-repairable specs (unknown type names, `#components/…` references) with a
    /// warning instead of exit 2
    #[arg(long)]
    pub lenient: bool,
}

/// The `--fail-on` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Breaking,
    PotentiallyBreaking,
    /// Any change at all.
    Safe,
}

/// A size in bytes: a number, optionally followed by `KiB`, `MiB` or `GiB` (`K`, `M`, `G` and
/// `KB`, `MB`, `GB` mean the same powers of 1024).
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => {
            return Err(format!(
                "unknown unit `{other}` (expected a number of bytes, or KiB, MiB, GiB: e.g. 64MiB)"
            ));
        }
    };
    let number: usize = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 64MiB, 512KiB, 1048576)"))?;
    number
        .checked_mul(1 << shift)
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!(
                "`{text}` is out of range (more than 0, at most {}GiB)",
                usize::MAX >> 30
            )
        })
}

#[cfg(test)]
mod size_tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_units_and_refuse_anything_else() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("0").is_err());
        assert!(
            parse_size("12 parsecs")
                .expect_err("unit")
                .contains("unknown unit `parsecs`")
        );
        assert!(
            parse_size("MiB")
                .expect_err("number")
                .contains("not a size")
        );
    }
}
