//! The demo's cases: about 150 reports a month over the past year for the
//! demo services, by channel and agency in Bojonegoro's shares, placed in
//! its kecamatan and desa, each with a history that `layanan::case::transition`
//! allows (verified, dispositioned, in progress, answered, closed; some
//! rejected, merged, referred, reopened, auto-closed; some stalled and so
//! overdue now), some confidential or anonymous. All labelled demo data.
//!
//! Backdated, so written directly (many rows per statement, one
//! transaction) rather than through `cases::file` and `workflow::apply`,
//! which stamp the store's clock; the rows are the ones they would write:
//! a history row per step, the stage's deadline on the working-day
//! calendar, `verified_on`, `first_answer_at` and `closed_at` as theirs.

use kalender::{Calendar, Date};
use layanan::case::{Action, Channel, Kind, SlaSettings, Stage, State, transition};

use crate::kernel::identity::{new_id, random_secret};
use crate::store::{Store, StoreError, Value, sql, sql_built};

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// A small fixed-seed generator: the demo is the same every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|i| i.1).sum();
        let mut at = self.below(total);
        for (item, w) in items {
            if at < *w {
                return *item;
            }
            at -= w;
        }
        items[0].0
    }
}

/// How reports reach Bojonegoro, in percent.
const CHANNELS: [(Channel, u64); 7] = [
    (Channel::Web, 28),
    (Channel::Whatsapp, 24),
    (Channel::Sms, 12),
    (Channel::Lapor, 12),
    (Channel::Open311, 8),
    (Channel::DialogPublik, 9),
    (Channel::Radio, 7),
];

/// The services most reported on, and how much more than the others.
const BUSY: [(&str, u64); 10] = [
    ("JALAN-RUSAK", 14),
    ("PJU", 8),
    ("SAMPAH", 8),
    ("KTP-EL", 7),
    ("AIR-BERSIH", 5),
    ("RSUD-RAJAL", 5),
    ("DTKS", 5),
    ("PUPUK", 5),
    ("KK", 4),
    ("PBB", 3),
];

const TEXTS: [&str; 6] = [
    "Mohon segera ditindaklanjuti, sudah lebih dari seminggu belum ada perbaikan.",
    "Warga sekitar mengeluhkan hal ini sejak bulan lalu.",
    "Mohon informasi prosedur dan waktu penyelesaiannya.",
    "Petugas di lokasi belum memberi kepastian.",
    "Usulan perbaikan dari musyawarah warga dusun.",
    "Sudah dilaporkan ke kantor desa, disarankan melapor ke sini.",
];

/// A demo service: id, code, name, agency id, deadlines.
pub struct DemoService {
    pub id: String,
    pub code: String,
    pub name: String,
    pub org_id: String,
    pub sla: SlaSettings,
}

async fn services(store: &Store, tenant: &str) -> Result<Vec<DemoService>, StoreError> {
    let q = sql("SELECT id, code, name, org_id, verify_working_days, follow_up_working_days, auto_close_working_days, resolution_days
         FROM services WHERE tenant_id = $1 ORDER BY code")
    .bind(tenant);
    store
        .fetch_all(q)
        .await?
        .iter()
        .map(|r| {
            let days = |c: &str| r.get::<i64>(c).map(|v| v as u32);
            Ok(DemoService {
                id: r.get("id")?,
                code: r.get("code")?,
                name: r.get("name")?,
                org_id: r.get("org_id")?,
                sla: SlaSettings {
                    verify_working_days: days("verify_working_days")?,
                    follow_up_working_days: days("follow_up_working_days")?,
                    auto_close_working_days: days("auto_close_working_days")?,
                    resolution_days: days("resolution_days")?,
                },
            })
        })
        .collect()
}

/// One step of a generated history.
struct Step {
    at: i64,
    action: Action,
    from: State,
    to: State,
    /// A staff step (the demo's coordinator signs them), else the reporter's or the system's.
    staff: bool,
}

/// A generated case, ready to insert.
struct Case {
    id: String,
    number: String,
    service: usize,
    kind: Kind,
    channel: Channel,
    created_at: i64,
    description: String,
    place: Option<(f64, f64)>,
    desa: String,
    kecamatan: String,
    anonymous: bool,
    confidential: bool,
    steps: Vec<Step>,
    state: State,
    stage_due: Option<Date>,
    verified_on: Option<Date>,
    first_answer_at: Option<i64>,
    closed_at: Option<i64>,
    external_id: Option<String>,
}

fn day_of(ms: i64, offset_hours: i64) -> Date {
    Date::from_unix_millis(ms, offset_hours).expect("the demo's times are within the calendar")
}

/// The actions a case goes through, with the days (and hours) after the
/// previous one each is taken; the history stops at the first that would
/// be in the future.
fn plan(rng: &mut Rng, agency: &str) -> Vec<(Action, i64, bool)> {
    let days = |rng: &mut Rng, lo: u64, hi: u64| (lo + rng.below(hi - lo + 1)) as i64 * DAY_MS + rng.below(8) as i64 * HOUR_MS;
    let mut p = Vec::new();
    let roll = rng.below(100);
    if roll < 5 {
        p.push((Action::Reject { reason: "Di luar kewenangan pemerintah kabupaten (contoh data demo).".into() }, days(rng, 0, 2), true));
        return p;
    }
    if roll < 8 {
        p.push((Action::MarkDuplicate { of: String::new() }, days(rng, 0, 2), true));
        return p;
    }
    p.push((Action::Verify, days(rng, 0, 3), true));
    if roll < 12 {
        let body = ["PDAM Bojonegoro", "PLN UP3 Bojonegoro", "Dinas PU Bina Marga Provinsi Jawa Timur", "BBPJN Jawa Timur"];
        p.push((Action::Refer { body: body[rng.below(4) as usize].into() }, days(rng, 0, 2), true));
        if rng.chance(60) {
            p.push((Action::Close, days(rng, 5, 20), true));
        }
        return p;
    }
    // Some cases stall where someone forgot them: overdue now if old enough.
    let stall = if rng.chance(7) { Some(rng.below(3)) } else { None };
    if stall == Some(0) {
        return p;
    }
    p.push((Action::Disposition { agency: agency.into() }, days(rng, 0, 2), true));
    if stall == Some(1) {
        return p;
    }
    p.push((Action::Start, days(rng, 0, 6), true));
    if stall == Some(2) {
        // In progress past the resolution deadline.
        return p;
    }
    p.push((Action::Answer, days(rng, 1, 35), true));
    if rng.chance(6) {
        p.push((Action::NotResolved, days(rng, 1, 8), false));
        p.push((Action::Start, days(rng, 0, 4), true));
        p.push((Action::Answer, days(rng, 2, 15), true));
    }
    match rng.below(10) {
        0..=4 => p.push((Action::Rate { stars: 3 + rng.below(3) as u8 }, days(rng, 0, 6), false)),
        5..=7 => p.push((Action::AutoClose, 15 * DAY_MS, false)),
        _ => p.push((Action::Close, days(rng, 2, 10), true)),
    }
    p
}

/// Builds `case`'s history from its plan up to `now`, with the state, the
/// deadline and the times `workflow::apply` would have stored.
fn live(case: &mut Case, plan: Vec<(Action, i64, bool)>, sla: &SlaSettings, calendar: &Calendar, now: i64, offset: i64) {
    let mut at = case.created_at;
    let mut state = State::Received;
    let mut due = Some(sla.due(Stage::Verify, day_of(at, offset), calendar));
    for (action, after, staff) in plan {
        let when = at + after;
        if when >= now {
            break;
        }
        let Ok(next) = transition(state, &action) else { break };
        let today = day_of(when, offset);
        if matches!(action, Action::Verify) {
            case.verified_on = Some(today);
        }
        if matches!(action, Action::Answer) && case.first_answer_at.is_none() {
            case.first_answer_at = Some(when);
        }
        case.closed_at = next.is_done().then_some(when);
        // The deadline as workflow::next_due sets it.
        due = next.stage().map(|stage| {
            if state.stage() == Some(stage) && matches!(stage, Stage::Verify | Stage::Resolution) {
                return due.expect("a staged state has a deadline");
            }
            let since = if stage == Stage::Resolution { case.verified_on.unwrap_or(today) } else { today };
            sla.due(stage, since, calendar)
        });
        case.steps.push(Step { at: when, action, from: state, to: next, staff });
        state = next;
        at = when;
    }
    case.state = state;
    case.stage_due = due;
}

/// Columns of `service_cases` the demo writes, in order.
const CASE_COLUMNS: [&str; 28] = [
    "id",
    "number",
    "service_id",
    "kind",
    "channel",
    "state",
    "description",
    "lat",
    "lon",
    "address_id",
    "attributes",
    "reporter_name",
    "anonymous",
    "confidential",
    "token",
    "stage_due",
    "created_at",
    "updated_at",
    "desa_code",
    "kecamatan_code",
    "external_id",
    "first_answer_at",
    "closed_at",
    "agency_id",
    "duplicate_of",
    "referred_to",
    "verified_on",
    "media_url",
];
const HISTORY_COLUMNS: [&str; 8] = ["case_id", "seq", "at", "action", "from_state", "to_state", "actor", "note"];
/// Rows per INSERT: a few hundred parameters, as `ikm_store` measured best.
const ROWS_PER_STATEMENT: usize = 25;

fn insert_text(table: &str, columns: &[&str], rows: usize) -> String {
    let groups: Vec<String> = (0..rows)
        .map(|i| {
            let first = i * columns.len() + 2;
            let marks: Vec<String> = (first..first + columns.len()).map(|n| format!("${n}")).collect();
            format!("($1, {})", marks.join(", "))
        })
        .collect();
    format!("INSERT INTO {table} (tenant_id, {}) VALUES {}", columns.join(", "), groups.join(", "))
}

/// Loads `per_month` cases a month (give or take a fifth) for the `months`
/// before now. Returns how many.
pub async fn load(store: &Store, tenant: &str, admin_id: &str, per_month: u64, months: i64) -> Result<usize, StoreError> {
    let services = services(store, tenant).await?;
    if services.is_empty() {
        return Ok(0);
    }
    let region: wilayah::Code = tenant.parse().map_err(|_| StoreError::Other(format!("{tenant} is no region code")))?;
    let dir = wilayah::Directory::embedded();
    let desa: Vec<(String, String, String)> = dir
        .children_of(&region)
        .flat_map(|k| dir.children_of(&k.code).map(move |d| (d.code.to_string(), d.name.clone(), k.code.to_string())))
        .collect();
    if desa.is_empty() {
        return Ok(0);
    }
    let calendar = crate::kernel::holidays::calendar(store, tenant).await?;
    let offset = wilayah::TimeZone::of_province(region.province_number()).utc_offset_hours();
    let now = store.now_ms();
    let weights: Vec<(usize, u64)> =
        services.iter().enumerate().map(|(i, s)| (i, BUSY.iter().find(|b| b.0 == s.code).map_or(1, |b| b.1))).collect();
    let mut rng = Rng(112_026);
    let mut cases: Vec<Case> = Vec::new();
    let start = now - months * 30 * DAY_MS;
    let span = now - start;
    let total = (per_month * months as u64 * (97 + rng.below(7))) / 100;
    let mut times: Vec<i64> = (0..total).map(|_| start + ((rng.next() as i128 * span as i128) >> 31) as i64).collect();
    times.sort_unstable();
    let mut serial: (i32, u64) = (0, 0);
    for created_at in times {
        let year = day_of(created_at, offset).year();
        serial = if serial.0 == year { (year, serial.1 + 1) } else { (year, 1) };
        let service = rng.weighted(&weights);
        let (desa_code, desa_name, kecamatan) = desa[rng.below(desa.len() as u64) as usize].clone();
        let channel = rng.weighted(&CHANNELS);
        let kind = rng.weighted(&[(Kind::Pengaduan, 80), (Kind::Aspirasi, 12), (Kind::PermintaanInformasi, 8)]);
        let place = rng.chance(55).then(|| (-7.05 - rng.below(400) as f64 / 1000.0, 111.55 + rng.below(500) as f64 / 1000.0));
        let mut case = Case {
            id: new_id(),
            number: format!("{year}-{:06}", serial.1),
            service,
            kind,
            channel,
            created_at,
            description: format!(
                "{} di Desa {desa_name}. {} (Contoh data demo.)",
                services[service].name,
                TEXTS[rng.below(TEXTS.len() as u64) as usize]
            ),
            place,
            desa: desa_code,
            kecamatan,
            anonymous: rng.chance(10),
            confidential: rng.chance(5),
            steps: Vec::new(),
            state: State::Received,
            stage_due: None,
            verified_on: None,
            first_answer_at: None,
            closed_at: None,
            external_id: (channel == Channel::Lapor).then(|| format!("DEMO-LAPOR-{year}-{:06}", serial.1)),
        };
        let mut plan = plan(&mut rng, &services[service].org_id);
        if let Some((Action::MarkDuplicate { of }, _, _)) = plan.first_mut() {
            match cases.iter().rev().find(|c| c.service == service) {
                Some(original) => *of = original.number.clone(),
                None => plan = vec![(Action::Verify, DAY_MS, true)],
            }
        }
        live(&mut case, plan, &services[service].sla, &calendar, now, offset);
        cases.push(case);
    }
    insert(store, tenant, admin_id, &services, &cases).await?;
    Ok(cases.len())
}

async fn insert(store: &Store, tenant: &str, admin_id: &str, services: &[DemoService], cases: &[Case]) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    for chunk in cases.chunks(ROWS_PER_STATEMENT) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * CASE_COLUMNS.len());
        for c in chunk {
            let s = &services[c.service];
            let disposed = c.steps.iter().any(|st| matches!(st.action, Action::Disposition { .. }));
            let of = c.steps.iter().find_map(|st| if let Action::MarkDuplicate { of } = &st.action { Some(of.clone()) } else { None });
            let referred = c.steps.iter().find_map(|st| if let Action::Refer { body } = &st.action { Some(body.clone()) } else { None });
            let updated = c.steps.last().map_or(c.created_at, |st| st.at);
            let name = (!c.anonymous).then(|| format!("Warga demo {}", c.number));
            values.extend([
                c.id.as_str().into(),
                c.number.as_str().into(),
                s.id.as_str().into(),
                c.kind.code().into(),
                c.channel.code().into(),
                c.state.code().into(),
                c.description.as_str().into(),
                c.place.map(|p| p.0).into(),
                c.place.map(|p| p.1).into(),
                Value::from(Some(c.desa.clone())),
                "[]".into(),
                name.into(),
                c.anonymous.into(),
                c.confidential.into(),
                random_secret().into(),
                c.stage_due.map(|d| d.to_string()).into(),
                c.created_at.into(),
                updated.into(),
                Value::from(Some(c.desa.clone())),
                Value::from(Some(c.kecamatan.clone())),
                c.external_id.clone().into(),
                c.first_answer_at.into(),
                c.closed_at.into(),
                disposed.then(|| s.org_id.clone()).into(),
                of.into(),
                referred.into(),
                c.verified_on.map(|d| d.to_string()).into(),
                Option::<String>::None.into(),
            ]);
        }
        tx.execute(sql_built(insert_text("service_cases", &CASE_COLUMNS, chunk.len())).bind(tenant).bind_all(values)).await?;
    }
    let mut rows: Vec<[Value; 8]> = Vec::new();
    for c in cases {
        rows.push([
            c.id.as_str().into(),
            1i64.into(),
            c.created_at.into(),
            "file".into(),
            Option::<String>::None.into(),
            State::Received.code().into(),
            Option::<String>::None.into(),
            c.channel.code().into(),
        ]);
        for (i, st) in c.steps.iter().enumerate() {
            let note = match &st.action {
                Action::Reject { reason } => reason.clone(),
                Action::MarkDuplicate { of } => of.clone(),
                Action::Disposition { agency } => agency.clone(),
                Action::Refer { body } => body.clone(),
                Action::Answer => "Sudah ditindaklanjuti oleh petugas di lapangan. (Contoh data demo.)".into(),
                _ => String::new(),
            };
            rows.push([
                c.id.as_str().into(),
                (i as i64 + 2).into(),
                st.at.into(),
                st.action.kind().code().into(),
                Value::from(Some(st.from.code().to_string())),
                st.to.code().into(),
                st.staff.then(|| admin_id.to_string()).into(),
                note.into(),
            ]);
        }
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT * 3) {
        let values: Vec<Value> = chunk.iter().flat_map(|r| r.iter().cloned()).collect();
        tx.execute(sql_built(insert_text("service_case_history", &HISTORY_COLUMNS, chunk.len())).bind(tenant).bind_all(values)).await?;
    }
    tx.commit().await
}
