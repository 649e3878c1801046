//! `pendopo sensors simulate`: live measures over MQTT for the demo devices
//! (the two Bengawan Solo gauges, rainfall stations, traffic counters), as
//! the devices themselves would publish them (IoT Agent JSON topics, QoS 1),
//! for trying the ingestion out. The demo provisions these devices under
//! [`DEMO_APIKEY`].

use std::time::{Duration, Instant};

use clap::Subcommand;
use rand::{Rng, SeedableRng};
use rumqttc::{AsyncClient, Event, Packet, QoS};
use serde_json::{Value as Json, json};

use crate::kernel::AnyError;
use crate::kernel::mqtt::MqttUrl;

/// The demo's service group: the apikey its devices publish under.
pub const DEMO_APIKEY: &str = "bojonegoro-demo";

/// A demo device: its id, entity type and name, and its measure's keys
/// with the attribute each maps to and its type.
pub struct DemoDevice {
    pub device_id: &'static str,
    pub entity_type: &'static str,
    pub entity_name: &'static str,
    pub attributes: &'static [(&'static str, &'static str, &'static str)],
    /// Where it stands: "lat,lon".
    pub place: &'static str,
}

const GAUGE: &[(&str, &str, &str)] = &[("l", "waterLevel", "Number")];
const RAIN: &[(&str, &str, &str)] = &[("p", "precipitation", "Number"), ("t", "temperature", "Number")];
const TRAFFIC: &[(&str, &str, &str)] = &[("i", "intensity", "Number"), ("s", "averageVehicleSpeed", "Number")];

pub const DEMO_DEVICES: &[DemoDevice] = &[
    DemoDevice {
        device_id: "awlr-bojonegoro",
        entity_type: "WaterObserved",
        entity_name: "bojonegoro",
        attributes: GAUGE,
        place: "-7.1502,111.8817",
    },
    DemoDevice {
        device_id: "awlr-karangnongko",
        entity_type: "WaterObserved",
        entity_name: "karangnongko",
        attributes: GAUGE,
        place: "-7.2086,111.5539",
    },
    DemoDevice {
        device_id: "arr-kalitidu",
        entity_type: "WeatherObserved",
        entity_name: "kalitidu",
        attributes: RAIN,
        place: "-7.1386,111.7381",
    },
    DemoDevice { device_id: "arr-malo", entity_type: "WeatherObserved", entity_name: "malo", attributes: RAIN, place: "-7.1061,111.6578" },
    DemoDevice {
        device_id: "arr-kanor",
        entity_type: "WeatherObserved",
        entity_name: "kanor",
        attributes: RAIN,
        place: "-7.0969,112.0175",
    },
    DemoDevice {
        device_id: "atcs-veteran",
        entity_type: "TrafficFlowObserved",
        entity_name: "jl-veteran",
        attributes: TRAFFIC,
        place: "-7.1521,111.8862",
    },
    DemoDevice {
        device_id: "atcs-panglima-polim",
        entity_type: "TrafficFlowObserved",
        entity_name: "jl-panglima-polim",
        attributes: TRAFFIC,
        place: "-7.1588,111.8810",
    },
];

impl DemoDevice {
    /// The device as `POST /iot/devices` takes it.
    pub fn provisioning(&self) -> Json {
        let attributes: Vec<Json> =
            self.attributes.iter().map(|(object_id, name, kind)| json!({"object_id": object_id, "name": name, "type": kind})).collect();
        json!({
            "device_id": self.device_id,
            "entity_name": self.entity_name,
            "entity_type": self.entity_type,
            "transport": "MQTT",
            "attributes": attributes,
            "static_attributes": [{"name": "location", "type": "geo:point", "value": self.place}],
        })
    }

    /// A plausible measure now: gauges near their normal level, rain and
    /// traffic of an ordinary day.
    fn measure(&self, rng: &mut impl Rng) -> Json {
        match self.entity_type {
            "WaterObserved" if self.entity_name == "karangnongko" => json!({"l": round(rng.random_range(27.2..28.6))}),
            "WaterObserved" => json!({"l": round(rng.random_range(10.8..12.4))}),
            "WeatherObserved" => json!({"p": round(rng.random_range(0.0..25.0)), "t": round(rng.random_range(24.0..33.0))}),
            _ => json!({"i": rng.random_range(80..900), "s": round(rng.random_range(18.0..45.0))}),
        }
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Subcommand)]
pub enum SensorsCommand {
    /// Publish live measures of the demo devices over MQTT (QoS 1) for trying the ingestion out.
    Simulate {
        /// The broker: mqtt://[user:password@]host[:port][?prefix=TOPIC].
        #[arg(long, env = "PENDOPO_MQTT_URL", default_value = "mqtt://127.0.0.1:1883", value_parser = MqttUrl::parse)]
        mqtt_url: MqttUrl,
        /// Messages a second, over all devices.
        #[arg(long, default_value_t = 1.0)]
        rate: f64,
        /// How many messages, then stop (0: until interrupted).
        #[arg(long, default_value_t = 0)]
        count: u64,
        /// The apikey the devices publish under.
        #[arg(long, default_value = DEMO_APIKEY)]
        apikey: String,
    },
}

pub const CLI: crate::slices::SliceCli = crate::slices::SliceCli { command, run: |matches, _db| Box::pin(dispatch(matches)) };

fn command() -> clap::Command {
    let sensors =
        clap::Command::new("sensors").about("City sensors: device simulator").subcommand_required(true).arg_required_else_help(true);
    <SensorsCommand as clap::Subcommand>::augment_subcommands(sensors)
}

async fn dispatch(matches: &clap::ArgMatches) -> Result<(), AnyError> {
    match <SensorsCommand as clap::FromArgMatches>::from_arg_matches(matches)? {
        SensorsCommand::Simulate { mqtt_url, rate, count, apikey } => simulate(&mqtt_url, rate, count, &apikey).await,
    }
}

/// Publishes `count` measures (0: forever) at `rate` a second, round the
/// demo devices, and returns once the broker acknowledged them all.
pub async fn simulate(url: &MqttUrl, rate: f64, count: u64, apikey: &str) -> Result<(), AnyError> {
    if !(rate > 0.0 && rate.is_finite()) {
        return Err("--rate must be a positive number of messages a second".into());
    }
    let (client, mut events) = AsyncClient::new(url.options(&format!("pendopo-simulate-{}", std::process::id())), 1000);
    // The event loop drives the connection and counts the broker's acknowledgements.
    let (acked_tx, mut acked) = tokio::sync::watch::channel(0u64);
    let driver = tokio::spawn(async move {
        let mut n = 0;
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    n += 1;
                    let _ = acked_tx.send(n);
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("MQTT: {e} (trying again)");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
    let gap = Duration::from_secs_f64(1.0 / rate);
    let started = Instant::now();
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut sent = 0u64;
    while count == 0 || sent < count {
        let device = &DEMO_DEVICES[(sent % DEMO_DEVICES.len() as u64) as usize];
        let topic = url.topic(&format!("/json/{apikey}/{}/attrs", device.device_id));
        client.publish(topic, QoS::AtLeastOnce, false, device.measure(&mut rng).to_string()).await?;
        sent += 1;
        if sent.is_multiple_of(100) || count == 0 {
            eprint!("\r{sent} measures published");
        }
        // Keep to the rate over the whole run, not message by message.
        let due = started + gap.mul_f64(sent as f64);
        tokio::time::sleep_until(due.into()).await;
    }
    acked.wait_for(|n| *n >= sent).await?;
    eprintln!("\r{sent} measures published and acknowledged in {:.1} s", started.elapsed().as_secs_f64());
    let _ = client.disconnect().await;
    driver.abort();
    Ok(())
}
