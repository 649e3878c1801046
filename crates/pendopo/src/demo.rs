//! The Bojonegoro demo: region 35.22 with its real agencies, hospital and 28
//! kecamatan offices, and an admin account whose password is shown once.

use wilayah::{Code, Directory};

use crate::kernel::identity::{self, NewUser};
use crate::kernel::organizations::{self, OrgInput};
use crate::kernel::tenancy;
use crate::store::{Store, StoreError};

pub const REGION: &str = "35.22";
pub const ADMIN_EMAIL: &str = "admin@bojonegorokab.go.id";

/// Bojonegoro's regional agencies (perangkat daerah): slug, name, kind.
pub const AGENCIES: &[(&str, &str, &str)] = &[
    ("setda", "Sekretariat Daerah", "sekretariat"),
    ("setwan", "Sekretariat DPRD", "sekretariat"),
    ("inspektorat", "Inspektorat Daerah", "inspektorat"),
    ("bappeda", "Badan Perencanaan Pembangunan Daerah (Bappeda)", "badan"),
    ("bpkad", "Badan Pengelolaan Keuangan dan Aset Daerah (BPKAD)", "badan"),
    ("bapenda", "Badan Pendapatan Daerah (Bapenda)", "badan"),
    ("bpbd", "Badan Penanggulangan Bencana Daerah (BPBD)", "badan"),
    ("bakesbangpol", "Badan Kesatuan Bangsa dan Politik", "badan"),
    ("diskominfo", "Dinas Komunikasi dan Informatika (Diskominfo)", "dinas"),
    ("dinas-pertanian", "Dinas Pertanian", "dinas"),
    ("dishub", "Dinas Perhubungan", "dinas"),
    ("dinas-koperasi-usaha-mikro", "Dinas Koperasi dan Usaha Mikro", "dinas"),
    ("dinkes", "Dinas Kesehatan", "dinas"),
    ("disdik", "Dinas Pendidikan", "dinas"),
    ("dinsos", "Dinas Sosial", "dinas"),
    ("dukcapil", "Dinas Kependudukan dan Pencatatan Sipil", "dinas"),
    ("dlh", "Dinas Lingkungan Hidup", "dinas"),
    ("dpmd", "Dinas Pemberdayaan Masyarakat dan Desa", "dinas"),
    ("dpmptsp", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "dinas"),
    ("dinas-pu-bina-marga", "Dinas Pekerjaan Umum Bina Marga dan Penataan Ruang", "dinas"),
    ("rsud-sosodoro", "RSUD Dr. R. Sosodoro Djatikoesoemo", "rumah_sakit"),
];

pub struct DemoReport {
    pub admin_email: String,
    /// Shown once to the operator; only its hash is stored.
    pub admin_password: String,
    pub organizations: usize,
    /// What each slice loaded, in its own words ("30 datasets"), in slice order.
    pub loaded: Vec<String>,
}

/// Loads the demo into an empty store; does nothing (returns `None`) when the
/// store already has a region.
pub async fn load(
    store: &Store,
    files: &crate::kernel::files::FileStore,
) -> Result<Option<DemoReport>, Box<dyn std::error::Error + Send + Sync>> {
    if !tenancy::list_tenants(store).await?.is_empty() {
        return Ok(None);
    }
    let report = tenancy::init_region(store, REGION, &[], true).await?;
    let tenant = report.tenant.id;
    crate::slices::setup_tenant(store, &tenant).await?;
    let mut inputs: Vec<OrgInput> = AGENCIES
        .iter()
        .map(|(slug, name, kind)| OrgInput {
            slug: slug.to_string(),
            name: name.to_string(),
            kind: kind.to_string(),
            description: "Contoh data (demo): perangkat daerah Kabupaten Bojonegoro.".into(),
            region_code: None,
        })
        .collect();
    let code: Code = REGION.parse().expect("demo region code");
    for kec in Directory::embedded().children_of(&code) {
        inputs.push(OrgInput {
            slug: format!("kecamatan-{}", organizations::slugify(&kec.name)),
            name: format!("Kecamatan {}", kec.name),
            kind: "kecamatan".into(),
            description: "Contoh data (demo): kantor kecamatan.".into(),
            region_code: Some(kec.code.to_string()),
        });
    }
    for input in &inputs {
        organizations::create(store, &tenant, input).await.map_err(|e| StoreError::Other(e.to_string()))?;
    }
    let password = identity::generate_password();
    let admin = NewUser {
        email: ADMIN_EMAIL.into(),
        name: "Administrator Pendopo".into(),
        password: password.clone(),
        role: "sysadmin".into(),
        org: Some("diskominfo".into()),
        desa: None,
    };
    let admin = identity::create_user(store, &tenant, &admin).await.map_err(|e| StoreError::Other(e.to_string()))?;
    let region = crate::slices::DemoRegion { store, files, tenant: &tenant, admin: &admin };
    let mut loaded = Vec::new();
    for slice in crate::slices::ALL {
        if let Some(demo) = slice.demo {
            loaded.push(demo(&region).await?);
        }
    }
    Ok(Some(DemoReport { admin_email: ADMIN_EMAIL.into(), admin_password: password, organizations: inputs.len(), loaded }))
}
