//! Messages from devices (MQTT or HTTP) to stored measures: each message's
//! source looked up, its payload mapped, the batch stored per tenant through
//! `measures::store` (the broker's one door), refusals counted.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::mapping;
use super::registry::{self, Source};
use super::rejections::{Reason, Tally};
use crate::slices::sensors::flood;
use crate::slices::sensors::measures::{self, Measure, Stored};
use crate::store::{Store, StoreError};

/// One message as received.
pub struct Message<'a> {
    pub apikey: &'a str,
    pub device_id: &'a str,
    pub payload: &'a [u8],
    pub received_ms: i64,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    Stored,
    Refused(Reason, String),
}

/// Known devices, remembered for a moment: at thousands of messages a
/// second, a lookup per message would cost more than the store. Only
/// found devices are kept, so a device provisioned after a refusal is
/// known at once; a deleted one is accepted for at most [`KEEP_FOR`].
#[derive(Default)]
pub struct Sources(HashMap<(String, String), (Instant, Source)>);

pub const KEEP_FOR: Duration = Duration::from_secs(2);

impl Sources {
    async fn get(&mut self, store: &Store, apikey: &str, device_id: &str) -> Result<Source, StoreError> {
        let key = (apikey.to_string(), device_id.to_string());
        if let Some((at, source)) = self.0.get(&key)
            && at.elapsed() < KEEP_FOR
        {
            return Ok(source.clone());
        }
        let source = registry::source(store, apikey, device_id).await?;
        if matches!(source, Source::Device { .. }) {
            if self.0.len() > 100_000 {
                self.0.clear();
            }
            self.0.insert(key, (Instant::now(), source.clone()));
        }
        Ok(source)
    }
}

/// Stores a batch of messages; refused ones are counted, not stored. An
/// `Err` means nothing may be acknowledged (the store failed).
pub async fn ingest(store: &Store, default_tenant: &str, sources: &mut Sources, batch: &[Message<'_>]) -> Result<Vec<Fate>, StoreError> {
    let mut fates = Vec::with_capacity(batch.len());
    let mut tally = Tally::default();
    let mut per_tenant: BTreeMap<String, Vec<Measure>> = BTreeMap::new();
    // Per (tenant, device): measures stored and the newest reception.
    let mut per_device: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for m in batch {
        let fate = match sources.get(store, m.apikey, m.device_id).await? {
            Source::WrongApikey { tenant } => {
                tally.add(tenant.as_deref().unwrap_or(default_tenant), Reason::Apikey, m.apikey, m.device_id);
                Fate::Refused(Reason::Apikey, "wrong apikey".into())
            }
            Source::UnknownDevice { tenant } => {
                tally.add(&tenant, Reason::Device, m.apikey, m.device_id);
                Fate::Refused(Reason::Device, format!("no device {}", m.device_id))
            }
            Source::Device { tenant, device } => match mapping::measures(&device, m.payload, m.received_ms) {
                Ok(found) => {
                    let counted = per_device.entry((tenant.clone(), device.device_id.clone())).or_default();
                    counted.0 += found.len() as i64;
                    counted.1 = counted.1.max(m.received_ms);
                    per_tenant.entry(tenant).or_default().extend(found);
                    Fate::Stored
                }
                Err(bad) => {
                    tally.add(&tenant, Reason::Payload, m.apikey, m.device_id);
                    Fate::Refused(Reason::Payload, bad.describe())
                }
            },
        };
        fates.push(fate);
    }
    for (tenant, found) in &per_tenant {
        let _: Stored = measures::store(store, tenant, found).await?;
        // A river gauge's reading may change the flood status: checked by a job.
        let mut water: Vec<&str> =
            found.iter().filter(|m| m.entity_type == flood::reading::ENTITY_TYPE).map(|m| m.entity_id.as_str()).collect();
        water.sort_unstable();
        water.dedup();
        flood::notify::readings_arrived(store, tenant, &water).await?;
    }
    // The counts follow the store: a crash in between loses a count, never
    // a measure. Refusals first, so a device's count that took a message
    // means every message before it is counted too.
    if !tally.is_empty() {
        tally.write(store).await?;
    }
    for ((tenant, device), (n, last)) in per_device {
        registry::count_measures(store, &tenant, &device, n, last).await?;
    }
    Ok(fates)
}
