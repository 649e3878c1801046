//! The `pendopo` command line: one binary for serving and for operating.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::demo;
use crate::kernel::{db_copy, identity, tenancy};
use crate::store::Store;
use crate::{slices, web};

#[derive(Parser)]
#[command(name = "pendopo", version, about = "Smart city and open government platform for Indonesian regencies and cities")]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct DbArgs {
    /// Where the embedded database and uploaded files live.
    #[arg(long, global = true, env = "PENDOPO_DATA_DIR", default_value = "./pendopo-data")]
    pub data_dir: PathBuf,
    /// Use this database instead of the embedded one (postgres://user@host/db or sqlite://path).
    #[arg(long, global = true, env = "PENDOPO_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web pages and the API.
    Serve(ServeArgs),
    /// Set up a regency or city (e.g. 35.22) with all its kecamatan and villages.
    Init {
        /// The Kemendagri code of the regency or city.
        #[arg(long)]
        region: String,
        /// Host names that select this region (repeatable).
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// Make this region the one served to unknown host names.
        #[arg(long)]
        default: bool,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Apply the embedded database migrations and exit.
    Migrate,
    /// Copy the embedded database consistently, even while the server runs.
    Backup {
        /// The file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Whole-database operations.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PENDOPO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Load the Kabupaten Bojonegoro demo into an empty store.
    #[arg(long)]
    pub demo: bool,
    /// Largest request body accepted; larger ones get 413.
    #[arg(long, env = "PENDOPO_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest uploaded file (dataset resources); larger ones get 413.
    #[arg(long, env = "PENDOPO_MAX_UPLOAD_BYTES", default_value_t = 200 * 1024 * 1024)]
    pub max_upload_bytes: u64,
    /// A folder of templates that replace the built-in ones of the same name.
    #[arg(long, env = "PENDOPO_TEMPLATE_DIR")]
    pub templates: Option<PathBuf>,
    /// Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed
    /// (addresses separated by commas); anyone else's are ignored.
    #[arg(long, env = "PENDOPO_TRUSTED_PROXY", default_value = "127.0.0.1,::1", value_parser = web::client::parse_proxies)]
    pub trusted_proxy: std::vec::Vec<std::net::IpAddr>,
    /// Cookies with `Secure`: auto (when the client came over TLS), always or never.
    #[arg(long, env = "PENDOPO_SECURE_COOKIES", value_enum, default_value_t = web::client::SecureCookies::Auto)]
    pub secure_cookies: web::client::SecureCookies,
    /// Send notifications by email through this SMTP server:
    /// smtp://[user:password@]host[:port][?from=address]. Without it they
    /// are kept and shown on the staff pages.
    #[arg(long, env = "PENDOPO_SMTP_URL", value_parser = crate::kernel::mail::Smtp::parse)]
    pub smtp_url: Option<crate::kernel::mail::Smtp>,
    /// The region's MQTT broker, where devices publish their measures
    /// (FIWARE IoT Agent JSON topics) and flood status changes are
    /// announced: mqtt://[user:password@]host[:port][?client_id=&prefix=].
    #[arg(long, env = "PENDOPO_MQTT_URL", value_parser = crate::kernel::mqtt::MqttUrl::parse)]
    pub mqtt_url: Option<crate::kernel::mqtt::MqttUrl>,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user (asks for the password when --password is not given).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
        /// sysadmin, walidata, org_admin, editor, village_operator or sensor_operator.
        #[arg(long)]
        role: String,
        /// The organisation's slug (org_admin, editor).
        #[arg(long)]
        org: Option<String>,
        /// The desa/kelurahan code (village_operator).
        #[arg(long)]
        desa: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
        /// The region (tenant); default: the default region.
        #[arg(long)]
        region: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print only the token.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        expires_in_days: Option<i64>,
        #[arg(long)]
        region: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Copy everything into another, empty database and check the row counts.
    Copy {
        /// The target database URL.
        #[arg(long)]
        to: String,
    },
}

use crate::kernel::AnyError;

pub fn main() -> ExitCode {
    let matches = command().get_matches();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(matches)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The command line: the platform's own subcommands, then each slice's.
pub fn command() -> clap::Command {
    slices::commands().fold(Cli::command(), |command, cli| command.subcommand((cli.command)()))
}

/// Runs a slice's subcommand, or one of the platform's.
async fn dispatch(matches: clap::ArgMatches) -> Result<(), AnyError> {
    if let Some((name, sub)) = matches.subcommand()
        && let Some(cli) = slices::commands().find(|cli| (cli.command)().get_name() == name)
    {
        return (cli.run)(sub, &DbArgs::from_arg_matches(&matches)?).await;
    }
    run(Cli::from_arg_matches(&matches)?).await
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    // Colour codes only for a person at a terminal, not in journald or a file.
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal());
    if std::env::var("PENDOPO_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

impl DbArgs {
    pub fn url(&self) -> Result<String, AnyError> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => {
                std::fs::create_dir_all(&self.data_dir)
                    .map_err(|e| format!("cannot create the data directory {}: {e}", self.data_dir.display()))?;
                Ok(Store::sqlite_url(&self.data_dir))
            }
        }
    }

    pub async fn open(&self) -> Result<Store, AnyError> {
        Ok(Store::open(&self.url()?).await?)
    }
}

/// The region a command names, or the default one.
pub async fn tenant_id(store: &Store, region: Option<&str>) -> Result<String, AnyError> {
    let tenants = tenancy::list_tenants(store).await?;
    let found = match region {
        Some(r) => tenants.into_iter().find(|t| t.id == r.trim()),
        None => tenants.into_iter().find(|t| t.is_default),
    };
    found.map(|t| t.id).ok_or_else(|| "no such region here: set one up with `pendopo init --region CODE`".into())
}

async fn run(cli: Cli) -> Result<(), AnyError> {
    match cli.command {
        Command::Serve(args) => serve(&cli.db, args).await,
        Command::Init { region, hosts, default } => {
            let store = cli.db.open().await?;
            let started = std::time::Instant::now();
            let report = tenancy::init_region(&store, &region, &hosts, default).await?;
            slices::setup_tenant(&store, &report.tenant.id).await?;
            let t = report.tenant;
            if report.created {
                println!("Created region {} {} with {} regions in {:.2?}.", t.id, t.name, report.regions_loaded, started.elapsed());
            } else {
                println!("Region {} {} was already set up; host names: {}.", t.id, t.name, t.hostnames.join(", "));
            }
            Ok(())
        }
        Command::User(UserCommand::Add { email, password, role, org, desa, name, region }) => {
            let store = cli.db.open().await?;
            let tenant = tenant_id(&store, region.as_deref()).await?;
            let password = match password {
                Some(p) => p,
                None => ask_password()?,
            };
            let new = identity::NewUser { email, name, password, role, org, desa };
            match identity::create_user(&store, &tenant, &new).await {
                Ok(user) => {
                    println!("Added {} ({}) to region {tenant}.", user.email, user.role.as_str());
                    Ok(())
                }
                Err(identity::IdentityError::Invalid(msg)) => Err(web::ui::Catalog::embedded().msg(web::ui::Lang::En, &msg).into()),
                Err(identity::IdentityError::Fields(problems)) => {
                    let said = problems
                        .iter()
                        .map(|(field, msg)| format!("{field}: {}", web::ui::Catalog::embedded().msg(web::ui::Lang::En, msg)));
                    Err(said.collect::<Vec<_>>().join("\n").into())
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Token(TokenCommand::Create { email, name, expires_in_days, region }) => {
            let store = cli.db.open().await?;
            let tenant = tenant_id(&store, region.as_deref()).await?;
            let user = identity::find_user_by_email(&store, &tenant, &email)
                .await?
                .ok_or_else(|| format!("no user {email} in region {tenant}"))?;
            let (_, raw) = identity::create_token(&store, &tenant, &user.id, &name, expires_in_days).await?;
            println!("{raw}");
            Ok(())
        }
        Command::Migrate => {
            let store = Store::connect(&cli.db.url()?).await?;
            let applied = store.migrate().await?;
            println!("Applied {} migration(s).", applied.len());
            Ok(())
        }
        Command::Backup { to } => {
            if to.exists() {
                return Err(format!("{} exists already: choose a new file", to.display()).into());
            }
            let store = cli.db.open().await?;
            store.backup_sqlite(&to).await?;
            println!("Backed up to {}.", to.display());
            Ok(())
        }
        Command::Db(DbCommand::Copy { to }) => {
            let from = cli.db.open().await?;
            let target = Store::connect(&to).await?;
            let report = db_copy::copy(&from, &target, &slices::copied_tables(), |table, done, total| {
                eprint!("\r{table}: {done}/{total} rows          ");
                let _ = std::io::stderr().flush();
            })
            .await?;
            eprintln!();
            slices::rebuild_derived(&from, &target, &crate::kernel::files::FileStore::new(cli.db.data_dir.join("files"))).await?;
            for (table, n) in report.tables {
                println!("{table}: {n} rows copied and checked");
            }
            Ok(())
        }
    }
}

fn ask_password() -> Result<String, AnyError> {
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Again: ")?;
    if first != again {
        return Err("the two passwords differ".into());
    }
    Ok(first)
}

async fn serve(db: &DbArgs, args: ServeArgs) -> Result<(), AnyError> {
    let started = std::time::Instant::now();
    // Parse the region table while the database opens, off the async threads.
    let table = tokio::task::spawn_blocking(|| wilayah::Directory::embedded().len());
    let store = db.open().await?;
    let config = web::WebConfig {
        max_body_bytes: args.max_body_bytes,
        max_upload_bytes: args.max_upload_bytes,
        template_dir: args.templates,
        trusted_proxies: args.trusted_proxy,
        secure_cookies: args.secure_cookies,
        smtp: args.smtp_url,
        mqtt: args.mqtt_url,
        ..web::WebConfig::new(db.data_dir.clone())
    };
    let state = web::state(store.clone(), config);
    if args.demo {
        match demo::load(&store, &state.files).await? {
            Some(report) => {
                // Its flags and column indexes before the first visitor.
                crate::worker::drain(&state).await?;
                println!(
                    "Demo loaded: Kabupaten Bojonegoro (35.22) with {} organisations, {}.",
                    report.organizations,
                    report.loaded.join(", ")
                );
                println!("Admin account (shown only this once): {} / {}", report.admin_email, report.admin_password);
            }
            None => println!("The store already has a region: demo data not loaded again."),
        }
    }
    let listener = tokio::net::TcpListener::bind(&args.listen).await.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    table.await?;
    let shutdown = web::shutdown_signal()?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, engine = store.engine().name(), ms = started.elapsed().as_millis() as u64, "serving");
    println!("Pendopo is serving on http://{addr}");
    let _ = std::io::stdout().flush();
    web::serve_until(state, listener, shutdown).await?;
    store.close().await;
    Ok(())
}
