//! The command line. Every flag that is also a configuration key overrides the file and the
//! environment (see `rekindle serve --help`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "rekindle",
    version,
    about = "回流 Rekindle — retention and re-engagement for private-domain live-stream commerce",
    long_about = "Rekindle turns a store's event stream (Segment-compatible) into one identity per person,\n\
live profiles and segments, timely low-disturbance touches, and honest measurement.\n\n\
Storage is an embedded SQLite database under --data-dir unless --database-url names PostgreSQL.\n\
Configuration layers: defaults, then --config FILE (TOML), then REKINDLE__SECTION__KEY\n\
environment variables, then flags."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct Global {
    /// TOML configuration file.
    #[arg(long, global = true, env = "REKINDLE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory of the embedded store [default: ./rekindle-data; `demo` uses ./rekindle-demo].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded store: postgres://user@host/db.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Workspace (store) slug the command works on.
    #[arg(long, short = 'w', global = true, default_value = "default")]
    pub workspace: String,
}

#[derive(Subcommand)]
pub enum Command {
    /// The one-command demo: simulate a store (20k people, 180 days), load it into a fresh
    /// embedded data dir (./rekindle-demo unless --data-dir), and serve it.
    Demo(DemoArgs),
    /// Serve ingestion (/v1), the REST API (/api/v1), health and metrics.
    Serve(ServeArgs),
    /// Import Segment JSONL (.jsonl) or an orders CSV (.csv); safe to re-run.
    Import(ImportArgs),
    /// Manage write keys: the credentials ingestion clients send.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Evaluate segment rules against the store (docs/segments.md).
    Segment {
        #[command(subcommand)]
        command: SegmentCommand,
    },
    /// Fit the predictive models and score every buyer (docs/models.md): P(alive), expected
    /// orders, CLV, churn risk, run-out dates; the scores are stored on the profiles (not with
    /// --as-of). `serve` does this on its own, hourly.
    Score(ScoreArgs),
    /// Reports (docs/reports.md): cohort retention, repurchase, churn, wake-up, LTV, referral
    /// share, after-sales resolution and the funnel, over the store's local days.
    /// Example: rekindle report cohorts --grain month --from 2026-01-01 --csv
    Report(ReportArgs),
    /// Manage operator accounts: who signs in to the console and with which role.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Manage workspaces: the stores one deployment hosts; data never crosses between them.
    Workspaces {
        #[command(subcommand)]
        command: WorkspacesCommand,
    },
    /// Generate a simulated store: events (Segment JSONL), catalogue, live sessions and the
    /// ground truth per person (docs/simulator.md).
    #[command(after_help = "Writes files only: the store options (--data-dir, --database-url, --workspace, \
--config) do not apply. Load the files with `rekindle import`, or run `rekindle demo`.")]
    Generate(GenerateArgs),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Copy the store into a new directory while the server runs (docs/deploy.md).
    #[command(after_help = "SQLite: a consistent snapshot of the store and its inbox (VACUUM INTO). \
PostgreSQL: pg_dump --format=custom, which must be on PATH and match the server's version.")]
    Backup(BackupArgs),
    /// Put a backup made by `rekindle backup` into an empty data dir or database.
    Restore(RestoreArgs),
    /// Look people up.
    People {
        #[command(subcommand)]
        command: PeopleCommand,
    },
    /// The FAQ assistant (docs/service.md): ask the knowledge base, or measure it on
    /// labelled questions.
    Faq {
        #[command(subcommand)]
        command: FaqCommand,
    },
    /// Measure performance (see docs/benchmarks.md).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// The simulated store, for `generate` and `demo`.
#[derive(Args)]
pub struct SimArgs {
    /// People to simulate.
    #[arg(long, default_value_t = 20_000)]
    pub people: u64,
    /// Days in the window.
    #[arg(long, default_value_t = 180)]
    pub days: u32,
    /// Seed: the same seed gives the same store, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First day of the window (local date, YYYY-MM-DD) [default: `--days` before today, so
    /// the history ends at the present and new events carry it on].
    #[arg(long)]
    pub start: Option<chrono::NaiveDate>,
}

impl SimArgs {
    pub fn config(&self) -> rekindle_sim::SimConfig {
        // The simulator's times are China's (+08:00), like the demo store's time zone.
        let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let start = self.start.unwrap_or(today - chrono::Days::new(u64::from(self.days)));
        rekindle_sim::SimConfig { people: self.people, days: self.days, seed: self.seed, start, ..Default::default() }
    }
}

#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub sim: SimArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7700")]
    pub listen: SocketAddr,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:7700].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
}

#[derive(Args)]
pub struct BackupArgs {
    /// Directory to write the backup into; created, and refused unless empty.
    pub to: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A directory written by `rekindle backup`.
    pub from: PathBuf,
}

#[derive(Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub sim: SimArgs,
    /// Directory to write events.jsonl, truth.jsonl, products.jsonl and sessions.jsonl to.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct ImportArgs {
    /// Files to import. `.jsonl`/`.ndjson`: one Segment message per line. `.csv`: orders, one
    /// line item per row (columns in docs/import.md).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write refused lines as JSON (file, line, field, reason) to this file.
    #[arg(long)]
    pub errors: Option<PathBuf>,
    /// Messages per transaction.
    #[arg(long, default_value_t = 2000)]
    pub batch: usize,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a write key and print it (it is shown only this once).
    Create {
        /// What the key is for, e.g. `mini-program` or `live-platform`.
        name: String,
    },
    /// List the workspace's write keys.
    List,
    /// Revoke a write key by id; clients using it are refused within seconds.
    Revoke {
        /// The key's id, as `rekindle keys list` shows it.
        id: i64,
    },
}

#[derive(Args)]
pub struct ScoreArgs {
    /// Score the store as it stood at the end of this day (YYYY-MM-DD, store time zone) or at
    /// this moment (RFC 3339), leaving later events out: for back-tests.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Print every scored person as CSV: person, p_alive, expected_orders_30d, clv_fen,
    /// churn_risk, next_category, next_run_out_category, next_run_out.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    /// cohorts, repurchase, churn, wakeup, ltv, referral, tickets, funnel, journeys or
    /// experiments.
    pub kind: String,
    /// First local day (YYYY-MM-DD); default 89 days before --to.
    #[arg(long)]
    pub from: Option<String>,
    /// Last local day (YYYY-MM-DD); default today, or the --as-of day.
    #[arg(long)]
    pub to: Option<String>,
    /// day, week or month.
    #[arg(long, default_value = "week")]
    pub grain: String,
    /// For cohorts and ltv: first_order, source, first_live or first_category.
    #[arg(long, default_value = "first_order")]
    pub by: String,
    /// N of N-day churn and of waking up within N days (default 30), or a journey's
    /// conversion window (default 7).
    #[arg(long)]
    pub days: Option<i64>,
    /// Judge the store as it stood at the end of this day (YYYY-MM-DD) or this moment.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Write CSV instead of a table.
    #[arg(long)]
    pub csv: bool,
    /// Language of the headers: zh-CN or en.
    #[arg(long, default_value = "zh-CN")]
    pub lang: String,
}

#[derive(Subcommand)]
pub enum SegmentCommand {
    /// Who a rule selects now: a count and the first people, or every one of them as CSV.
    /// Example: rekindle segment eval 'bought "草莓" and not bought "草莓" within 30d'
    Eval {
        /// The rule, e.g. `lifecycle = silent and tier = high` (quote it for the shell).
        rule: String,
        /// Print only the number of people.
        #[arg(long, conflicts_with = "csv")]
        count: bool,
        /// Print every person as CSV: person, nickname, phone, stage, tier, orders, spend_fen, last_order.
        #[arg(long)]
        csv: bool,
        /// Evaluate as of this moment (RFC 3339 or YYYY-MM-DD, store time zone) instead of now;
        /// events after it are left out. Useful on a simulated store whose window has passed.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Give an operator a role in the workspace (--workspace), creating their account if
    /// needed. Without --password-stdin a password is generated and printed once.
    Create {
        /// Sign-in email.
        email: String,
        /// Display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// owner, operator, host, service or analyst (docs/access.md). Required: an account
        /// is never an owner by default.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the workspace's operators and their roles.
    List,
    /// Create an API token for an operator and print it (shown only this once). It acts as
    /// the operator, with their role in each workspace.
    Token {
        /// The operator's sign-in email.
        email: String,
        /// What the token is for, e.g. `bi-export`.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand)]
pub enum WorkspacesCommand {
    /// Create a workspace.
    Create {
        /// Short name used in URLs and flags (`--workspace`), e.g. `hangzhou-west`.
        slug: String,
        /// Display name, e.g. 鲜果社·杭州西湖店.
        #[arg(long)]
        name: Option<String>,
        /// IANA time zone for calendars, quiet hours and reports.
        #[arg(long, default_value = "Asia/Shanghai")]
        time_zone: String,
    },
    /// List workspaces.
    List,
}

#[derive(Subcommand)]
pub enum PeopleCommand {
    /// A person, all their identifiers and recent events. IDENTIFIER is a person id,
    /// `kind:value` (phone:13812345678, user_id:42, wechat_openid:o…) or a bare value.
    Show {
        identifier: String,
        /// How many recent events to show.
        #[arg(long, default_value_t = 20)]
        events: u32,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Erase a person and everyone merged into them, irreversibly, on their request (PIPL;
    /// docs/privacy.md). Their orders stay in the store's totals, anonymised. Asks to type the
    /// person's id unless --yes. Recorded in the workspace's audit log.
    Erase {
        /// Person id, `kind:value` or a bare value, as for `show`.
        identifier: String,
        /// Do not ask for confirmation (for scripts).
        #[arg(long)]
        yes: bool,
    },
    /// Everything held about a person as one JSON document on stdout (PIPL; docs/privacy.md).
    /// Recorded in the workspace's audit log.
    Export {
        /// Person id, `kind:value` or a bare value, as for `show`.
        identifier: String,
    },
}

#[derive(Subcommand)]
pub enum FaqCommand {
    /// The best entries for a question, with their confidence, and whether it is answered or
    /// handed to a person. Example: rekindle faq ask "牛奶能放几天"
    Ask(FaqAskArgs),
    /// Top-1 accuracy, precision and hand-off rate on labelled questions (one JSON object a
    /// line: {"question": "…", "entry": "id" or "none"}), beside a character-bigram baseline;
    /// the threshold is chosen on --tune.
    Eval(FaqEvalArgs),
}

#[derive(Args)]
pub struct FaqAskArgs {
    pub question: String,
    /// A knowledge base (JSON array of entries) instead of the demo store's starter one.
    #[arg(long)]
    pub kb: Option<std::path::PathBuf>,
    /// Answer at or above this confidence; hand off below it.
    #[arg(long, default_value_t = rekindle_faq::DEFAULT_THRESHOLD)]
    pub threshold: f64,
    /// How many entries to show.
    #[arg(long, default_value_t = 3)]
    pub top: usize,
}

#[derive(Args)]
pub struct FaqEvalArgs {
    /// The held-out questions the figures are reported on.
    pub file: std::path::PathBuf,
    /// The questions the threshold is chosen on (never the held-out ones).
    #[arg(long)]
    pub tune: std::path::PathBuf,
    #[arg(long)]
    pub kb: Option<std::path::PathBuf>,
}

#[derive(Args)]
pub struct BenchFaqArgs {
    /// Entries in the knowledge base: the starter entries, varied, until there are this many.
    #[arg(long, default_value_t = 10_000)]
    pub entries: usize,
    /// Questions asked.
    #[arg(long, default_value_t = 5_000)]
    pub questions: usize,
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Ingest throughput through /v1/batch (or Sensors' /sa) over loopback HTTP, into a fresh store.
    Ingest(BenchIngestArgs),
    /// Segment evaluation over many profiles, and DuckDB running the same rule as SQL over the
    /// same profiles (when Python can import duckdb).
    Segments(BenchSegmentsArgs),
    /// A refresh of many profiles against many saved segments: from scratch, then built from
    /// the previous audience after a small share of people changed; both must agree.
    Refresh(BenchRefreshArgs),
    /// BG/NBD fitted on customers drawn from the model itself (known parameters), and the
    /// Python `lifetimes` package fitting the same customers (when Python can import it).
    Models(BenchModelsArgs),
    /// Event → outbox latency with fifty live journeys over many profiles, through /v1/batch.
    Journeys(BenchJourneysArgs),
    /// The live monitor under a full room: viewers' heartbeats, comments and orders through
    /// /v1/batch; event → monitor (Server-Sent Events) latency and monitor build time.
    Live(BenchLiveArgs),
    /// The monthly first-order cohort matrix over simulated events, and DuckDB running the same
    /// cohort SQL over the same events (when Python can import duckdb); both must agree.
    Reports(BenchReportsArgs),
    /// FAQ retrieval latency over a knowledge base of many entries (tokenizing included).
    Faq(BenchFaqArgs),
}

#[derive(Args)]
pub struct BenchReportsArgs {
    /// Events to simulate: whole people are added until there are at least this many.
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The Python that runs DuckDB (needs `pip install duckdb`); skipped when it cannot.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Keep the events written for DuckDB in this CSV file (a temporary file otherwise).
    #[arg(long)]
    pub csv: Option<std::path::PathBuf>,
}

#[derive(Args)]
pub struct BenchLiveArgs {
    /// Viewers in the room.
    #[arg(long, default_value_t = 20_000)]
    pub viewers: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Seconds between a viewer's heartbeats.
    #[arg(long, default_value_t = 10)]
    pub heartbeat: u64,
}

#[derive(Args)]
pub struct BenchJourneysArgs {
    /// People in the store, each with one or two orders.
    #[arg(long, default_value_t = 1_000_000)]
    pub profiles: usize,
    /// Orders to post and measure.
    #[arg(long, default_value_t = 2000)]
    pub events: usize,
    /// Orders posted per second.
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Simulated store traffic posted beside the orders, in events per second (`/v1/batch`
    /// requests of 100, paced); 0 posts none.
    #[arg(long, default_value_t = 0.0)]
    pub ingest_rate: f64,
    /// Whether that traffic keeps its own orders and the other events the bench's journeys
    /// trigger on (`--load-triggers false`: browsing, live-room and contact events only).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub load_triggers: bool,
}

#[derive(Args)]
pub struct BenchModelsArgs {
    /// Customers to draw and fit.
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: usize,
    /// Seed of the draw.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The Python that runs lifetimes (needs `pip install lifetimes`); skipped when it cannot.
    #[arg(long, default_value = "python3")]
    pub python: String,
}

#[derive(Args)]
pub struct BenchRefreshArgs {
    /// Profiles judged: simulated people, repeated with distinct ids until there are this many.
    #[arg(long, default_value_t = 1_000_000)]
    pub profiles: usize,
    /// Distinct simulated people the profiles are made from.
    #[arg(long, default_value_t = 20_000)]
    pub people: u64,
    /// Saved segments, with generated rules.
    #[arg(long, default_value_t = 100)]
    pub segments: usize,
    /// The share of people given a new order before each incremental refresh.
    #[arg(long, default_value_t = 0.01)]
    pub changed_share: f64,
    /// Incremental refreshes timed.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Seed of the simulation and of the rules.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Args)]
pub struct BenchSegmentsArgs {
    /// Profiles to evaluate over: simulated people, repeated until there are this many.
    #[arg(long, default_value_t = 1_000_000)]
    pub profiles: usize,
    /// Distinct simulated people the profiles are made from.
    #[arg(long, default_value_t = 20_000)]
    pub people: u64,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The Python that runs DuckDB (needs `pip install duckdb`); skipped when it cannot.
    #[arg(long, default_value = "python3")]
    pub python: String,
}

#[derive(Args)]
pub struct BenchIngestArgs {
    /// Events to send.
    #[arg(long, default_value_t = 200_000)]
    pub events: usize,
    /// Messages per /v1/batch request.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Simulated people to draw events from (60 days each, about ten events a person).
    #[arg(long, default_value_t = 200_000)]
    pub people: u64,
    /// Seed of the simulated store.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Keep the simulator's timestamps (60 days of history) instead of stamping each message
    /// as it is sent: a backfill through the live endpoints.
    #[arg(long)]
    pub historical: bool,
    /// The wire format: Segment's /v1/batch, or Sensors Data's /sa (gzipped data_list).
    #[arg(long, value_enum, default_value = "segment")]
    pub format: crate::commands::bench::traffic::Format,
}
