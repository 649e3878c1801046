//! The demo's other channels: three Friday Dialog Publik sessions at the
//! pendopo with the matters citizens raised (some on the radio, some by
//! SMS to the regent), each a case; and the SMS/WhatsApp gateway set up
//! with a known secret ([`DEMO_GATEWAY_SECRET`]) so the webhook can be
//! tried. All labelled as demo data.

use kalender::{Date, Weekday};
use layanan::case::Channel;

use super::cases::{self, Place};
use super::dialog::{self, Checked, Item};
use super::model::Service;
use super::{gateway, repo};
use crate::slices::DemoRegion;

/// The demo gateway's shared secret (never use a known secret outside the demo).
pub const DEMO_GATEWAY_SECRET: &str = "demo-bojonegoro-gateway";
/// The service a message naming none is filed under.
pub const DEMO_INTAKE_SERVICE: &str = "PENGADUAN-UMUM";

/// (service code, channel, kecamatan or desa, text, citizen) per session.
type Raised = (&'static str, Channel, &'static str, &'static str, &'static str);

const SESSIONS: [(&str, &str, &[Raised]); 3] = [
    (
        "Bupati; Kepala Dinas PU Bina Marga; Kepala Dinas Sosial",
        "Pendopo Malowopati",
        &[
            (
                "JALAN-RUSAK",
                Channel::DialogPublik,
                "35.22.16",
                "Jalan poros Kalitidu - Malo rusak berat, berlubang sepanjang 2 km.",
                "Bapak Sutrisno",
            ),
            (
                "DTKS",
                Channel::DialogPublik,
                "35.22.01.2004",
                "Warga miskin di Desa Jumok belum masuk DTKS sehingga tidak menerima bantuan.",
                "Ibu Sumarni",
            ),
            (
                "PJU",
                Channel::Radio,
                "35.22.15",
                "Lampu penerangan jalan di Jalan Veteran mati sejak dua minggu.",
                "Pendengar Radio Malowopati",
            ),
            ("SAMPAH", Channel::Sms, "35.22.14", "Sampah di pasar Kapas tidak diangkut tiga hari.", "Pengirim SMS"),
        ],
    ),
    (
        "Wakil Bupati; Kepala Dinas Pertanian; Direktur RSUD Sosodoro",
        "Pendopo Malowopati",
        &[
            (
                "PUPUK",
                Channel::DialogPublik,
                "35.22.08",
                "Petani Kedungadem kesulitan mendapat pupuk bersubsidi menjelang musim tanam.",
                "Bapak Karno",
            ),
            ("RSUD-RAJAL", Channel::DialogPublik, "", "Antrean rawat jalan RSUD terlalu lama, pasien menunggu sejak subuh.", "Ibu Wahyuni"),
            (
                "AIR-BERSIH",
                Channel::Radio,
                "35.22.02",
                "Desa-desa di Tambakrejo kekurangan air bersih saat kemarau.",
                "Pendengar Radio Malowopati",
            ),
        ],
    ),
    (
        "Sekretaris Daerah; Kepala Dinas Kependudukan dan Pencatatan Sipil; Kepala Dinas Perhubungan",
        "Pendopo Malowopati",
        &[
            ("KTP-EL", Channel::DialogPublik, "35.22.19", "Blangko KTP-el di Kecamatan Padangan sering habis.", "Saudara Rizki"),
            ("UJI-KIR", Channel::DialogPublik, "", "Jadwal uji KIR perlu ditambah hari Sabtu untuk angkutan pedesaan.", "Bapak Slamet"),
            ("JALAN-RUSAK", Channel::Sms, "35.22.28", "Jembatan kecil di Gayam retak, mohon diperiksa.", "Pengirim SMS"),
            ("PJU", Channel::Radio, "35.22.13", "Lampu jalan di perempatan Balen mati.", "Pendengar Radio Malowopati"),
        ],
    ),
];

/// The last Friday on or before `day`.
fn last_friday(day: Date) -> Date {
    (0..7).map(|back| day.add_days(-back)).find(|d| d.weekday() == Weekday::Friday).unwrap_or(day)
}

fn item(services: &[Service], region: &wilayah::Code, raised: &Raised) -> Option<Item> {
    let (code, channel, place, text, who) = *raised;
    let service = services.iter().find(|s| s.code == code)?.clone();
    Some(Item {
        kind: cases::usual_kind(&service),
        service,
        channel,
        text: format!("{text} (Contoh data demo.)"),
        place: Place::within(region, place),
        reporter_name: Some(format!("{who} (demo)")),
        confidential: false,
    })
}

pub async fn load(region: &DemoRegion<'_>, today: Date) -> Result<String, crate::kernel::AnyError> {
    let (store, tenant) = (region.store, region.tenant);
    let services = repo::list(store, tenant).await?;
    let code = wilayah::Code::parse(tenant).map_err(|e| format!("demo region {tenant}: {e:?}"))?;
    let mut items = 0;
    for (weeks_ago, (officials, place, raised)) in SESSIONS.iter().enumerate() {
        let session = Checked {
            held_on: last_friday(today).add_days(-7 * (SESSIONS.len() - 1 - weeks_ago) as i64),
            place: place.to_string(),
            officials: officials.to_string(),
            notes: "Contoh data demo.".into(),
        };
        let list: Vec<Item> = raised.iter().filter_map(|r| item(&services, &code, r)).collect();
        items += list.len();
        dialog::create(store, tenant, &session, &list, Some(&region.admin.id), today).await?;
    }
    let mut said = format!("{} Dialog Publik sessions with {items} items", SESSIONS.len());
    if let Some(intake) = services.iter().find(|s| s.code == DEMO_INTAKE_SERVICE) {
        gateway::save(store, tenant, DEMO_GATEWAY_SECRET, &intake.id, Some(&region.admin.id)).await?;
        said.push_str(", the SMS/WhatsApp gateway (demo secret)");
    }
    Ok(said)
}
