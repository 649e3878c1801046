//! `pendopo ocds ...`: the OCDS tools on files from any publisher, with no
//! database. Input is a file or `-` (standard input); output goes to standard
//! output as it is produced; progress goes to standard error.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Subcommand;
use ocds::merge::{Grouping, Kind};
use serde_json::Value;

mod compile;
mod ordered;

#[derive(Subcommand)]
pub enum OcdsCommand {
    /// Merge releases into compiled (or versioned) releases, one ocid a line.
    Compile {
        /// Release packages (one a line, or an array), or releases as JSON Lines; `-` for standard input.
        file: PathBuf,
        /// Versioned releases instead of compiled ones.
        #[arg(long)]
        versioned: bool,
        /// One record package instead of JSON Lines.
        #[arg(long)]
        package: bool,
        /// The input is sorted by ocid: hold one process in memory, not the whole file.
        #[arg(long)]
        sorted: bool,
    },
    /// Check a release or record package against OCDS 1.1.5 (schema, codelists, fields, dates); JSON report on standard output.
    Validate {
        /// The package; `-` for standard input.
        file: PathBuf,
    },
    /// Store releases (packages or JSON Lines, like compile's input) as the region's publication; all or nothing.
    Import {
        /// The file; `-` for standard input.
        file: PathBuf,
        /// The region (tenant); default: the default region.
        #[arg(long)]
        region: Option<String>,
    },
    /// Red-flag indicators (Cardinal's definitions) over compiled releases, one a line.
    Flags {
        /// Compiled releases as JSON Lines; `-` for standard input.
        file: PathBuf,
        /// Settings in Cardinal's INI format; without it, every indicator runs with its defaults.
        #[arg(short, long)]
        settings: Option<PathBuf>,
        /// Also the Indonesian flags (HPS, ICW durations, splitting, December, penunjukan langsung, repeat winners), under
        /// "Indonesia", with their defaults; a settings file's `[indonesia]` section turns them on with its thresholds.
        #[arg(long)]
        indonesia: bool,
    },
}

use crate::kernel::AnyError;

/// `pendopo ocds`, as the slice gives it to the command line.
pub const CLI: crate::slices::SliceCli = crate::slices::SliceCli { command, run: |matches, db| Box::pin(dispatch(matches, db)) };

fn command() -> clap::Command {
    let ocds = clap::Command::new("ocds")
        .about("Open Contracting Data Standard tools for files from any publisher (no database needed, except to import)")
        .subcommand_required(true)
        .arg_required_else_help(true);
    OcdsCommand::augment_subcommands(ocds)
}

async fn dispatch(matches: &clap::ArgMatches, db: &crate::cli::DbArgs) -> Result<(), AnyError> {
    match <OcdsCommand as clap::FromArgMatches>::from_arg_matches(matches)? {
        OcdsCommand::Import { file, region } => import(db, file, region).await,
        cmd => tokio::task::spawn_blocking(move || run(cmd)).await?,
    }
}

/// `pendopo ocds import`: the file becomes the region's publication, all or nothing.
async fn import(db: &crate::cli::DbArgs, file: PathBuf, region: Option<String>) -> Result<(), AnyError> {
    let store = db.open().await?;
    let tenant = crate::cli::tenant_id(&store, region.as_deref()).await?;
    // Read and check the whole input before storing any of it; each
    // release is checked as it is read and kept as text, not parsed.
    let prepared = tokio::task::spawn_blocking(move || -> Result<super::Prepared, AnyError> {
        let reader = BufReader::new(open_counted(&file)?);
        let mut unreadable = None;
        let releases = ocds::merge::read_releases(reader).map_while(|r| r.map_err(|e| unreadable = Some(e)).ok());
        let prepared = super::prepare(releases, super::Mode::AllOrNothing);
        match unreadable {
            Some(e) => Err(e.into()),
            None => Ok(prepared?),
        }
    })
    .await??;
    let report = super::store_prepared(&store, &tenant, prepared).await?;
    // The region's flags now, not when a server next runs its jobs.
    let state = crate::web::state(store.clone(), crate::web::WebConfig::new(db.data_dir.clone()));
    crate::worker::drain(&state).await?;
    println!("Stored {} releases of {} processes in region {tenant}.", report.releases, report.processes);
    Ok(())
}

/// Read and write buffers: large ones keep system calls out of the profile.
const INPUT_BUFFER: usize = 1 << 20;
const OUTPUT_BUFFER: usize = 1 << 20;

pub fn open(path: &PathBuf) -> Result<Box<dyn Read>, AnyError> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    let f = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(Box::new(f))
}

/// Counts work on standard error, at most four times a second, and says
/// how much was done in how long at the end of a run of a second or more.
pub(super) struct Progress {
    label: &'static str,
    count: u64,
    /// Units shown as one (a million bytes show as one MB).
    scale: u64,
    /// The clock is looked at once this many units, not at every one.
    check: u64,
    started: Instant,
    last: Instant,
    every: Duration,
    summary_after: Duration,
    out: Box<dyn Write + Send>,
}

impl Progress {
    /// Counts items (`tick`).
    pub(super) fn new(label: &'static str) -> Progress {
        Progress::to(label, 1, 1000, Box::new(io::stderr()))
    }

    /// Counts bytes (`add`), shown in megabytes.
    fn bytes(label: &'static str) -> Progress {
        Progress::to(label, 1_000_000, 1 << 20, Box::new(io::stderr()))
    }

    fn to(label: &'static str, scale: u64, check: u64, out: Box<dyn Write + Send>) -> Progress {
        let now = Instant::now();
        let (every, summary_after) = (Duration::from_millis(250), Duration::from_secs(1));
        Progress { label, count: 0, scale, check, started: now, last: now, every, summary_after, out }
    }

    pub(super) fn tick(&mut self) {
        self.add(1);
    }

    fn add(&mut self, n: u64) {
        let before = self.count;
        self.count += n;
        if before / self.check != self.count / self.check && self.last.elapsed() >= self.every {
            self.last = Instant::now();
            // Progress is a courtesy: a closed standard error does not stop the work.
            let _ = write!(self.out, "\r{} {}…", self.count / self.scale, self.label);
        }
    }

    pub(super) fn done(&mut self) {
        if self.started.elapsed() >= self.summary_after {
            let _ = writeln!(self.out, "\r{} {} in {:.1?}", self.count / self.scale, self.label, self.started.elapsed());
        }
    }
}

/// A reader that shows how much of the input was read (the validator and
/// the import read it whole before saying anything).
struct Counted<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

impl<R> Drop for Counted<R> {
    fn drop(&mut self) {
        self.progress.done();
    }
}

/// The input, counted on standard error as it is read.
pub fn open_counted(path: &PathBuf) -> Result<impl Read + use<>, AnyError> {
    Ok(Counted { inner: open(path)?, progress: Progress::bytes("MB read") })
}

fn run(cmd: OcdsCommand) -> Result<(), AnyError> {
    let stdout = io::stdout();
    // Large writes: stdout is line-buffered underneath, and compile writes megabytes.
    let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, stdout.lock());
    match cmd {
        OcdsCommand::Compile { file, versioned, package, sorted } => {
            let kind = if versioned { Kind::Versioned } else { Kind::Compiled };
            let grouping = if sorted { Grouping::Sorted } else { Grouping::Buffered };
            compile::compile(open(&file)?, grouping, compile::Output { kind, package }, &mut out)
        }
        OcdsCommand::Import { .. } => unreachable!("import needs the store: dispatch handles it"),
        OcdsCommand::Validate { file } => {
            // Streamed: memory follows the largest process, not the file.
            let validator = ocds::validate::Validator::ocds_1_1_5();
            let mut opened = 0;
            let report = validator.validate_reader(|| {
                opened += 1;
                if opened > 1 && file.as_os_str() == "-" {
                    let why = "this package's releases are not grouped by ocid (or it repeats `releases` or `records`), so it must be read \
                               twice, which standard input cannot be: pass it as a file";
                    return Err(io::Error::other(why));
                }
                open_counted(&file).map(|input| BufReader::with_capacity(INPUT_BUFFER, input)).map_err(io::Error::other)
            })?;
            serde_json::to_writer_pretty(&mut out, &report)?;
            out.write_all(b"\n")?;
            out.flush()?;
            if report.valid {
                Ok(())
            } else {
                Err(format!("the package is not valid: {} error type(s), see the report", report.errors.len()).into())
            }
        }
        OcdsCommand::Flags { file, settings, indonesia } => {
            let mut settings = match settings {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    ocds::flags::Settings::parse(&text)?
                }
                None => ocds::flags::Settings::all(),
            };
            if indonesia {
                settings.indonesia.get_or_insert_default();
            }
            let (indicators, local) = flags_in_parallel(open(&file)?, settings)?;
            let mut result = indicators.finish();
            if let Some(local) = local {
                result["Indonesia"] = local.finish();
            }
            serde_json::to_writer(&mut out, &result)?;
            out.write_all(b"\n")?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Lines per batch handed to a worker: big enough that the channel costs
/// nothing, small enough that memory stays flat.
const BATCH_LINES: usize = 2000;

/// Parses and scores compiled releases on every core: one thread reads
/// lines, workers parse them into their own `Indicators`, and the halves are
/// merged at the end (the indicators are defined over the whole input, so
/// only the final step needs all of it).
type Flagged = (ocds::flags::Indicators, Option<ocds::flags::IndonesianFlags>);

fn flags_in_parallel(input: Box<dyn Read>, settings: ocds::flags::Settings) -> Result<Flagged, AnyError> {
    use std::sync::{Arc, Mutex, mpsc};
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(1);
    let (tx, rx) = mpsc::sync_channel::<(usize, Vec<String>)>(workers * 2);
    let rx = Arc::new(Mutex::new(rx));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let rx = rx.clone();
                let settings = settings.clone();
                scope.spawn(move || -> Result<(Flagged, u64), String> {
                    let mut part = ocds::flags::Indicators::new(settings.clone());
                    let mut local = settings.indonesia.clone().map(ocds::flags::IndonesianFlags::new);
                    let mut count = 0;
                    loop {
                        let next = rx.lock().expect("channel lock").recv();
                        let Ok((first_line, lines)) = next else { break };
                        for (i, line) in lines.iter().enumerate() {
                            if line.trim().is_empty() {
                                continue;
                            }
                            let release: Value =
                                serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", first_line + i))?;
                            part.add(&release);
                            if let Some(l) = &mut local {
                                l.add(&release);
                            }
                            count += 1;
                        }
                    }
                    Ok(((part, local), count))
                })
            })
            .collect();
        let mut progress = Progress::new("releases");
        let mut batch = Vec::with_capacity(BATCH_LINES);
        let mut first = 1;
        let mut read_error = None;
        for (i, line) in BufReader::new(input).lines().enumerate() {
            match line {
                Ok(l) => batch.push(l),
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
            progress.tick();
            if batch.len() == BATCH_LINES {
                if tx.send((first, std::mem::take(&mut batch))).is_err() {
                    break;
                }
                first = i + 2;
            }
        }
        if !batch.is_empty() {
            let _ = tx.send((first, batch));
        }
        drop(tx);
        let mut total: Option<Flagged> = None;
        for h in handles {
            let ((part, local), _) = h.join().map_err(|_| "a worker thread failed")??;
            match &mut total {
                Some((t, l)) => {
                    t.merge(part);
                    if let (Some(l), Some(local)) = (l, local) {
                        l.merge(local);
                    }
                }
                None => total = Some((part, local)),
            }
        }
        progress.done();
        if let Some(e) = read_error {
            return Err(e.into());
        }
        Ok(total.unwrap_or_else(|| {
            (ocds::flags::Indicators::new(settings.clone()), settings.indonesia.clone().map(ocds::flags::IndonesianFlags::new))
        }))
    })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::{Counted, Progress};

    /// Standard error, as a test sees it.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<u8>>>);

    impl Write for Seen {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Seen {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// A progress that speaks at every check, as a long run would.
    fn eager(label: &'static str, scale: u64, check: u64, seen: &Seen) -> Progress {
        let mut progress = Progress::to(label, scale, check, Box::new(seen.clone()));
        (progress.every, progress.summary_after) = (Duration::ZERO, Duration::ZERO);
        progress
    }

    #[test]
    fn long_runs_show_their_count_and_a_summary() {
        let seen = Seen::default();
        let mut progress = eager("processes", 1, 1000, &seen);
        (0..2500).for_each(|_| progress.tick());
        progress.done();
        let text = seen.text();
        assert!(text.starts_with("\r1000 processes…\r2000 processes…"), "{text:?}");
        assert!(text.contains("\r2500 processes in "), "{text:?}");

        // A short run says nothing.
        let quiet = Seen::default();
        let mut progress = Progress::to("processes", 1, 1000, Box::new(quiet.clone()));
        (0..2500).for_each(|_| progress.tick());
        progress.done();
        assert_eq!(quiet.text(), "");
    }

    #[test]
    fn reading_shows_megabytes_read() {
        let seen = Seen::default();
        let input = vec![b' '; 3 << 20];
        let mut reader = Counted { inner: &input[..], progress: eager("MB read", 1_000_000, 1 << 20, &seen) };
        let mut sink = Vec::new();
        reader.read_to_end(&mut sink).unwrap();
        drop(reader);
        let text = seen.text();
        assert!(text.contains("\r1 MB read…") && text.contains("\r3 MB read in "), "{text:?}");
    }
}
