//! `pendopo ocds ...`: the OCDS tools on files from any publisher, with no
//! database. Input is a file or `-` (standard input); output goes to standard
//! output as it is produced; progress goes to standard error.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

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

type AnyError = Box<dyn std::error::Error + Send + Sync>;

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

/// Counts work on standard error, at most a few times a second.
struct Progress {
    label: &'static str,
    count: u64,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(label: &'static str) -> Progress {
        let now = Instant::now();
        Progress { label, count: 0, started: now, last: now }
    }

    fn tick(&mut self) {
        self.count += 1;
        if self.count.is_multiple_of(1000) && self.last.elapsed().as_millis() >= 250 {
            self.last = Instant::now();
            eprint!("\r{} {}…", self.count, self.label);
        }
    }

    fn done(&self) {
        if self.started.elapsed().as_secs() >= 1 {
            eprintln!("\r{} {} in {:.1?}", self.count, self.label, self.started.elapsed());
        }
    }
}

pub fn run(cmd: OcdsCommand) -> Result<(), AnyError> {
    let stdout = io::stdout();
    // Large writes: stdout is line-buffered underneath, and compile writes megabytes.
    let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, stdout.lock());
    match cmd {
        OcdsCommand::Compile { file, versioned, package, sorted } => {
            let kind = if versioned { Kind::Versioned } else { Kind::Compiled };
            let grouping = if sorted { Grouping::Sorted } else { Grouping::Buffered };
            compile::compile(open(&file)?, grouping, compile::Output { kind, package }, &mut out)
        }
        OcdsCommand::Import { .. } => unreachable!("import needs the store: cli::run handles it"),
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
                open(&file).map(|input| BufReader::with_capacity(INPUT_BUFFER, input)).map_err(io::Error::other)
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
