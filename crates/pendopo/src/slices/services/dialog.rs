//! Dialog Publik sessions in the database: what staff entered of the
//! regent's Friday meeting (or of a radio programme, or of the SMS to the
//! regent) and its items, each filed as a case through `cases::file_in`
//! with its channel, service and place. A session and its items, or the
//! items added later, are stored in one transaction: all or nothing.

use kalender::Date;
use layanan::case::{Channel, Kind};
use serde::{Deserialize, Serialize};

use super::cases::{self, NewCase, Place};
use super::model::{FieldErrors, Service};
use crate::kernel::identity::new_id;
use crate::kernel::msg::Msg;
use crate::store::{Store, StoreError, Tx, sql};

/// The channels a session's items come through.
pub const CHANNELS: [Channel; 3] = [Channel::DialogPublik, Channel::Radio, Channel::Sms];

/// A session as sent (the API's body, the form's fields).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SessionInput {
    /// `YYYY-MM-DD`.
    pub held_on: String,
    pub place: String,
    /// Who answered: officials' names and offices, as written.
    pub officials: String,
    pub notes: String,
    pub items: Vec<ItemInput>,
}

/// One matter raised, as sent.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ItemInput {
    pub service: String,
    /// `dialog_publik` (the default), `radio` or `sms`.
    pub channel: String,
    /// A `layanan::case::Kind` code; empty: the service's usual kind.
    pub kind: String,
    pub text: String,
    /// A kecamatan or desa code of the region; may be empty.
    pub place: String,
    /// The citizen who raised it: kept for staff, never shown in public.
    pub reporter_name: String,
    /// *Rahasia*: the case never appears in public (nor on the session's page).
    pub confidential: bool,
}

impl ItemInput {
    /// A row of the form left empty.
    pub fn is_blank(&self) -> bool {
        [&self.service, &self.text, &self.place, &self.reporter_name].iter().all(|f| f.trim().is_empty())
    }
}

/// A checked item: ready to file.
pub struct Item {
    pub service: Service,
    pub channel: Channel,
    pub kind: Kind,
    pub text: String,
    pub place: Option<Place>,
    pub reporter_name: Option<String>,
    pub confidential: bool,
}

/// A checked session.
pub struct Checked {
    pub held_on: Date,
    pub place: String,
    pub officials: String,
    pub notes: String,
}

fn line(errors: &mut FieldErrors, field: &str, text: &str, max: usize, required: bool) -> String {
    let text = text.trim();
    if required && text.is_empty() {
        errors.push((field.into(), Msg::new("layanan.required")));
    } else if text.chars().count() > max || !crate::kernel::text::is_plain(text) {
        errors.push((field.into(), Msg::new("layanan.line_invalid").arg("max", max)));
    }
    text.to_string()
}

/// The session's own fields, checked; problems under `held_on`, `place`,
/// `officials`, `notes`.
pub fn check_session(input: &SessionInput, errors: &mut FieldErrors) -> Option<Checked> {
    let held_on =
        input.held_on.trim().parse::<Date>().map_err(|_| errors.push(("held_on".into(), Msg::new("layanan.channel.date_invalid"))));
    let place = line(errors, "place", &input.place, 200, true);
    let officials = line(errors, "officials", &input.officials, 1000, true);
    let notes = input.notes.trim().to_string();
    if notes.chars().count() > 4000 {
        errors.push(("notes".into(), Msg::new("layanan.channel.text_too_long").arg("max", 4000)));
    }
    Some(Checked { held_on: held_on.ok()?, place, officials, notes })
}

/// The items, checked against the region's services and places; problems
/// under `items.{i}.{field}` (rows numbered as sent, blank rows skipped).
pub fn check_items(input: &[ItemInput], services: &[Service], region: &wilayah::Code, errors: &mut FieldErrors) -> Vec<Item> {
    let mut items = Vec::new();
    for (i, item) in input.iter().enumerate().filter(|(_, it)| !it.is_blank()) {
        let field = |name: &str| format!("items.{i}.{name}");
        let code = item.service.trim();
        let service = services.iter().find(|s| s.code == code);
        if service.is_none() {
            let msg = if code.is_empty() { Msg::new("layanan.required") } else { Msg::new("layanan.not_found").arg("code", code) };
            errors.push((field("service"), msg));
        }
        let channel = match item.channel.trim() {
            "" => Some(Channel::DialogPublik),
            c => Channel::from_code(c).filter(|c| CHANNELS.contains(c)),
        };
        if channel.is_none() {
            errors.push((field("channel"), Msg::new("layanan.channel.channel_unknown").arg("channel", item.channel.trim())));
        }
        let kind = match (item.kind.trim(), service) {
            ("", Some(s)) => Some(cases::usual_kind(s)),
            (k, Some(s)) => Kind::from_code(k).filter(|k| s.kinds.contains(k)),
            _ => None,
        };
        if service.is_some() && kind.is_none() {
            errors.push((field("kind"), Msg::new("layanan.kind_unknown").arg("kind", item.kind.trim())));
        }
        let text = cases::checked_text(&item.text).map_err(|m| errors.push((field("text"), m))).ok();
        let place = match item.place.trim() {
            "" => Some(None),
            code => Place::within(region, code).map(Some),
        };
        if place.is_none() {
            errors.push((field("place"), Msg::new("layanan.channel.place_unknown").arg("code", item.place.trim())));
        }
        let name = line(errors, &field("reporter_name"), &item.reporter_name, 200, false);
        if let (Some(service), Some(channel), Some(kind), Some(text), Some(place)) = (service, channel, kind, text, place) {
            let reporter_name = Some(name).filter(|n| !n.is_empty());
            let confidential = item.confidential;
            items.push(Item { service: service.clone(), channel, kind, text, place, reporter_name, confidential });
        }
    }
    items
}

/// A session as lists and pages show it.
#[derive(Serialize, Clone)]
pub struct Session {
    pub id: String,
    pub held_on: String,
    pub place: String,
    pub officials: String,
    pub notes: String,
    pub items: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "SELECT d.id, d.held_on, d.place, d.officials, d.notes, d.created_at,
        (SELECT COUNT(*) FROM dialog_items i WHERE i.tenant_id = d.tenant_id AND i.session_id = d.id) AS items
    FROM dialog_sessions d";

fn from_row(r: &crate::store::Row) -> Result<Session, StoreError> {
    Ok(Session {
        id: r.get("id")?,
        held_on: r.get("held_on")?,
        place: r.get("place")?,
        officials: r.get("officials")?,
        notes: r.get("notes")?,
        items: r.get("items")?,
        created_at: r.get("created_at")?,
    })
}

/// The region's sessions, newest first.
pub async fn list(store: &Store, tenant: &str) -> Result<Vec<Session>, StoreError> {
    let q = crate::store::sql_built(format!("{COLUMNS} WHERE d.tenant_id = $1 ORDER BY d.held_on DESC, d.created_at DESC"));
    store.fetch_all(q.bind(tenant)).await?.iter().map(from_row).collect()
}

pub async fn get(store: &Store, tenant: &str, id: &str) -> Result<Option<Session>, StoreError> {
    let q = crate::store::sql_built(format!("{COLUMNS} WHERE d.tenant_id = $1 AND d.id = $2"));
    store.fetch_optional(q.bind(tenant).bind(id)).await?.as_ref().map(from_row).transpose()
}

/// The numbers of a session's cases, in the order they were raised. Public
/// pages read the cases themselves through `cases::list`, which leaves out
/// the confidential ones.
pub async fn numbers(store: &Store, tenant: &str, session_id: &str) -> Result<Vec<String>, StoreError> {
    let q = sql("SELECT c.number FROM dialog_items i JOIN service_cases c ON c.tenant_id = i.tenant_id AND c.id = i.case_id
                 WHERE i.tenant_id = $1 AND i.session_id = $2 ORDER BY i.seq")
    .bind(tenant)
    .bind(session_id);
    store.fetch_all(q).await?.iter().map(|r| r.get("number")).collect()
}

/// What filing a batch of items needs besides the items.
struct Filing<'a> {
    tenant: &'a str,
    by: Option<&'a str>,
    today: Date,
    calendar: kalender::Calendar,
    now: i64,
}

impl<'a> Filing<'a> {
    async fn new(store: &Store, tenant: &'a str, by: Option<&'a str>, today: Date) -> Result<Filing<'a>, StoreError> {
        let calendar = crate::kernel::holidays::calendar(store, tenant).await?;
        Ok(Filing { tenant, by, today, calendar, now: store.now_ms() })
    }

    /// Files the items as cases of the session, after its last item.
    async fn items(&self, tx: &mut Tx, session_id: &str, items: &[Item]) -> Result<Vec<String>, StoreError> {
        let tenant = self.tenant;
        // Taken before the last item is read, so two staff adding at once
        // cannot both take the next place (filing takes it again: no harm).
        tx.serialize_on(&format!("service_cases:{tenant}")).await?;
        let q = sql("SELECT MAX(seq) AS last FROM dialog_items WHERE tenant_id = $1 AND session_id = $2").bind(tenant).bind(session_id);
        let last: Option<i64> = tx.fetch_one(q).await?.get("last")?;
        let mut numbers = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let case = NewCase {
                reporter_name: item.reporter_name.clone(),
                desa_code: item.place.as_ref().and_then(|p| p.desa_code.clone()),
                kecamatan_code: item.place.as_ref().map(|p| p.kecamatan_code.clone()),
                address_id: item.place.as_ref().map(|p| p.desa_code.clone().unwrap_or_else(|| p.kecamatan_code.clone())),
                filed_by: self.by.map(str::to_string),
                confidential: item.confidential,
                ..NewCase::new(&item.service, item.kind, item.channel, item.text.clone())
            };
            let filed = cases::file_in(tx, tenant, &case, self.today, &self.calendar, self.now).await?;
            tx.execute(
                sql("INSERT INTO dialog_items (tenant_id, session_id, seq, case_id) VALUES ($1, $2, $3, $4)")
                    .bind(tenant)
                    .bind(session_id)
                    .bind(last.unwrap_or(0) + 1 + n as i64)
                    .bind(&filed.id),
            )
            .await?;
            numbers.push(filed.number);
        }
        Ok(numbers)
    }
}

/// Stores a new session with its items: its id and the items' numbers.
pub async fn create(
    store: &Store,
    tenant: &str,
    session: &Checked,
    items: &[Item],
    by: Option<&str>,
    today: Date,
) -> Result<(String, Vec<String>), StoreError> {
    let filing = Filing::new(store, tenant, by, today).await?;
    let id = new_id();
    let mut tx = store.begin().await?;
    tx.execute(
        sql("INSERT INTO dialog_sessions (tenant_id, id, held_on, place, officials, notes, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(tenant)
        .bind(&id)
        .bind(session.held_on.to_string())
        .bind(&session.place)
        .bind(&session.officials)
        .bind(&session.notes)
        .bind(by.map(str::to_string))
        .bind(filing.now),
    )
    .await?;
    let numbers = filing.items(&mut tx, &id, items).await?;
    tx.commit().await?;
    Ok((id, numbers))
}

/// Adds items to a stored session: the new items' numbers.
pub async fn add(
    store: &Store,
    tenant: &str,
    session_id: &str,
    items: &[Item],
    by: Option<&str>,
    today: Date,
) -> Result<Vec<String>, StoreError> {
    let filing = Filing::new(store, tenant, by, today).await?;
    let mut tx = store.begin().await?;
    let numbers = filing.items(&mut tx, session_id, items).await?;
    tx.commit().await?;
    Ok(numbers)
}
