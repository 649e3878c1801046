//! The demo's Satu Data catalog: about thirty plausible Bojonegoro datasets
//! across the demo agencies, each with Satu Data metadata and a CSV whose
//! rows are the real kecamatan or desa (by Kemendagri code) and whose
//! figures are made up, and say so.

use wilayah::{Code, Directory, Level};

use crate::kernel::files::{FileStore, InMemory};
use crate::kernel::identity::User;
use crate::slices::catalog::model::{DatasetInput, GroupRef, SatuData, TagInput};
use crate::slices::catalog::repo::{self, Upload};
use crate::store::Store;

/// Rows per kecamatan, per desa, or a few fixed categories.
enum Rows {
    Kecamatan,
    Desa,
    Categories(&'static [&'static str]),
}

struct Spec {
    name: &'static str,
    title: &'static str,
    org: &'static str,
    tags: &'static [&'static str],
    group: &'static str,
    unit: &'static str,
    frequency: &'static str,
    rows: Rows,
    /// Column name and the range its made-up values fall in.
    columns: &'static [(&'static str, i64, i64)],
}

const NOTE: &str = "Contoh data (demo): baris wilayah memakai kode Kemendagri yang asli, angka-angkanya dibuat-buat untuk demonstrasi.";

const SPECS: &[Spec] = &[
    Spec {
        name: "produksi-padi",
        title: "Luas Panen dan Produksi Padi per Kecamatan",
        org: "dinas-pertanian",
        tags: &["padi", "pangan", "pertanian"],
        group: "smart-economy",
        unit: "ton",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("luas_panen_ha", 1200, 9800), ("produksi_ton", 6500, 61000)],
    },
    Spec {
        name: "produksi-jagung",
        title: "Produksi Jagung per Kecamatan",
        org: "dinas-pertanian",
        tags: &["jagung", "pangan", "pertanian"],
        group: "smart-economy",
        unit: "ton",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("luas_panen_ha", 300, 5200), ("produksi_ton", 1500, 31000)],
    },
    Spec {
        name: "produksi-kedelai",
        title: "Produksi Kedelai per Kecamatan",
        org: "dinas-pertanian",
        tags: &["kedelai", "pangan", "pertanian"],
        group: "smart-economy",
        unit: "ton",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("luas_panen_ha", 0, 900), ("produksi_ton", 0, 1800)],
    },
    Spec {
        name: "populasi-ternak",
        title: "Populasi Ternak per Kecamatan",
        org: "dinas-pertanian",
        tags: &["ternak", "peternakan"],
        group: "smart-economy",
        unit: "ekor",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("sapi", 1500, 14000), ("kambing", 2000, 19000), ("ayam_buras", 20000, 160000)],
    },
    Spec {
        name: "kondisi-jalan-kabupaten",
        title: "Kondisi Jalan Kabupaten per Kecamatan",
        org: "dinas-pu-bina-marga",
        tags: &["jalan", "jalan rusak", "infrastruktur"],
        group: "smart-living",
        unit: "km",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("baik_km", 10, 80), ("sedang_km", 5, 40), ("rusak_km", 1, 25), ("rusak_berat_km", 0, 12)],
    },
    Spec {
        name: "jembatan-kabupaten",
        title: "Jembatan Kabupaten menurut Kondisi",
        org: "dinas-pu-bina-marga",
        tags: &["jembatan", "infrastruktur"],
        group: "smart-living",
        unit: "unit",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("baik", 3, 30), ("rusak", 0, 8)],
    },
    Spec {
        name: "fasilitas-kesehatan",
        title: "Fasilitas Kesehatan per Kecamatan",
        org: "dinkes",
        tags: &["kesehatan", "puskesmas", "posyandu"],
        group: "smart-living",
        unit: "unit",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("puskesmas", 1, 3), ("puskesmas_pembantu", 2, 9), ("posyandu", 25, 95)],
    },
    Spec {
        name: "tenaga-kesehatan",
        title: "Tenaga Kesehatan di Puskesmas",
        org: "dinkes",
        tags: &["kesehatan", "tenaga kesehatan"],
        group: "smart-living",
        unit: "orang",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("dokter", 1, 6), ("bidan", 8, 40), ("perawat", 6, 35)],
    },
    Spec {
        name: "cakupan-imunisasi",
        title: "Cakupan Imunisasi Dasar Lengkap",
        org: "dinkes",
        tags: &["kesehatan", "imunisasi", "anak"],
        group: "smart-living",
        unit: "persen",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("sasaran_bayi", 250, 1300), ("cakupan_persen", 82, 100)],
    },
    Spec {
        name: "sekolah-dasar",
        title: "Sekolah Dasar, Guru dan Murid per Kecamatan",
        org: "disdik",
        tags: &["pendidikan", "sekolah dasar"],
        group: "smart-society",
        unit: "unit/orang",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("sekolah", 15, 55), ("guru", 140, 520), ("murid", 1800, 7200)],
    },
    Spec {
        name: "sekolah-menengah-pertama",
        title: "SMP, Guru dan Murid per Kecamatan",
        org: "disdik",
        tags: &["pendidikan", "smp"],
        group: "smart-society",
        unit: "unit/orang",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("sekolah", 2, 14), ("guru", 40, 260), ("murid", 700, 3900)],
    },
    Spec {
        name: "penduduk-per-desa",
        title: "Jumlah Penduduk per Desa/Kelurahan menurut Jenis Kelamin",
        org: "dukcapil",
        tags: &["penduduk", "kependudukan"],
        group: "smart-society",
        unit: "jiwa",
        frequency: "semesteran",
        rows: Rows::Desa,
        columns: &[("laki_laki", 700, 4200), ("perempuan", 700, 4300)],
    },
    Spec {
        name: "kepadatan-penduduk",
        title: "Luas Wilayah dan Kepadatan Penduduk per Kecamatan",
        org: "dukcapil",
        tags: &["penduduk", "kepadatan"],
        group: "smart-society",
        unit: "jiwa/km2",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("luas_km2", 40, 190), ("penduduk", 25000, 85000)],
    },
    Spec {
        name: "umkm-per-kecamatan",
        title: "Usaha Mikro dan Kecil per Kecamatan",
        org: "dinas-koperasi-usaha-mikro",
        tags: &["umkm", "usaha mikro"],
        group: "smart-economy",
        unit: "unit",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("usaha_mikro", 900, 6500), ("usaha_kecil", 40, 600)],
    },
    Spec {
        name: "koperasi-aktif",
        title: "Koperasi Aktif dan Anggotanya",
        org: "dinas-koperasi-usaha-mikro",
        tags: &["koperasi"],
        group: "smart-economy",
        unit: "unit/orang",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("koperasi_aktif", 5, 60), ("anggota", 300, 6000)],
    },
    Spec {
        name: "trayek-angkutan-umum",
        title: "Trayek Angkutan Umum Perdesaan",
        org: "dishub",
        tags: &["transportasi", "angkutan umum"],
        group: "smart-living",
        unit: "trayek/armada",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("trayek", 0, 6), ("armada", 0, 40)],
    },
    Spec {
        name: "uji-kendaraan-bermotor",
        title: "Uji Berkala Kendaraan Bermotor per Bulan",
        org: "dishub",
        tags: &["transportasi", "uji kir"],
        group: "smart-living",
        unit: "kendaraan",
        frequency: "bulanan",
        rows: Rows::Categories(&[
            "Januari",
            "Februari",
            "Maret",
            "April",
            "Mei",
            "Juni",
            "Juli",
            "Agustus",
            "September",
            "Oktober",
            "November",
            "Desember",
        ]),
        columns: &[("lulus", 600, 1400), ("tidak_lulus", 20, 160)],
    },
    Spec {
        name: "kejadian-banjir",
        title: "Kejadian Banjir dan Desa Terdampak per Kecamatan",
        org: "bpbd",
        tags: &["banjir", "bencana", "bengawan solo"],
        group: "smart-environment",
        unit: "kejadian/desa",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("kejadian", 0, 9), ("desa_terdampak", 0, 14)],
    },
    Spec {
        name: "desa-rawan-banjir",
        title: "Desa Rawan Luapan Bengawan Solo",
        org: "bpbd",
        tags: &["banjir", "bencana", "rawan bencana"],
        group: "smart-environment",
        unit: "jiwa",
        frequency: "tahunan",
        rows: Rows::Desa,
        columns: &[("penduduk_terpapar", 0, 3500)],
    },
    Spec {
        name: "realisasi-apbd",
        title: "Anggaran dan Realisasi APBD menurut Jenis",
        org: "bpkad",
        tags: &["apbd", "anggaran", "keuangan daerah"],
        group: "smart-governance",
        unit: "rupiah",
        frequency: "triwulanan",
        rows: Rows::Categories(&[
            "Pendapatan Asli Daerah",
            "Pendapatan Transfer",
            "Belanja Operasi",
            "Belanja Modal",
            "Belanja Tidak Terduga",
            "Belanja Transfer",
        ]),
        columns: &[("anggaran_rp", 50_000_000_000, 2_500_000_000_000), ("realisasi_rp", 40_000_000_000, 2_300_000_000_000)],
    },
    Spec {
        name: "pendapatan-asli-daerah",
        title: "Pendapatan Asli Daerah menurut Jenis Pajak",
        org: "bapenda",
        tags: &["pajak daerah", "pendapatan"],
        group: "smart-governance",
        unit: "rupiah",
        frequency: "tahunan",
        rows: Rows::Categories(&["Pajak Hotel", "Pajak Restoran", "Pajak Reklame", "PBB-P2", "BPHTB", "Pajak Air Tanah"]),
        columns: &[("target_rp", 500_000_000, 90_000_000_000), ("realisasi_rp", 400_000_000, 95_000_000_000)],
    },
    Spec {
        name: "indeks-desa-membangun",
        title: "Indeks Desa Membangun (IDM) per Desa",
        org: "dpmd",
        tags: &["idm", "desa", "indeks desa"],
        group: "smart-governance",
        unit: "indeks",
        frequency: "tahunan",
        rows: Rows::Desa,
        columns: &[("iks_x1000", 520, 880), ("ike_x1000", 400, 820), ("ikl_x1000", 450, 900)],
    },
    Spec {
        name: "penerima-bantuan-sosial",
        title: "Keluarga Penerima Bantuan Sosial per Kecamatan",
        org: "dinsos",
        tags: &["bantuan sosial", "kemiskinan", "pkh"],
        group: "smart-society",
        unit: "keluarga",
        frequency: "semesteran",
        rows: Rows::Kecamatan,
        columns: &[("pkh", 600, 3800), ("bpnt", 900, 5200)],
    },
    Spec {
        name: "timbulan-sampah",
        title: "Timbulan dan Sampah Terangkut per Kecamatan",
        org: "dlh",
        tags: &["sampah", "lingkungan"],
        group: "smart-environment",
        unit: "ton/hari",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("timbulan_ton_hari", 8, 60), ("terangkut_ton_hari", 2, 45)],
    },
    Spec {
        name: "kualitas-air-sungai",
        title: "Pemantauan Kualitas Air Bengawan Solo",
        org: "dlh",
        tags: &["air", "sungai", "lingkungan"],
        group: "smart-environment",
        unit: "mg/L",
        frequency: "triwulanan",
        rows: Rows::Categories(&["Titik Padangan", "Titik Kalitidu", "Titik Bojonegoro", "Titik Kanor"]),
        columns: &[("bod_mg_l", 2, 9), ("cod_mg_l", 10, 40), ("do_mg_l", 3, 8)],
    },
    Spec {
        name: "izin-usaha-terbit",
        title: "Perizinan Berusaha yang Terbit per Bulan",
        org: "dpmptsp",
        tags: &["perizinan", "investasi"],
        group: "smart-economy",
        unit: "izin",
        frequency: "bulanan",
        rows: Rows::Categories(&[
            "Januari",
            "Februari",
            "Maret",
            "April",
            "Mei",
            "Juni",
            "Juli",
            "Agustus",
            "September",
            "Oktober",
            "November",
            "Desember",
        ]),
        columns: &[("nib", 300, 1100), ("izin_lingkungan", 5, 40)],
    },
    Spec {
        name: "kunjungan-rsud",
        title: "Kunjungan Pasien RSUD menurut Layanan",
        org: "rsud-sosodoro",
        tags: &["rumah sakit", "kesehatan"],
        group: "smart-living",
        unit: "kunjungan",
        frequency: "bulanan",
        rows: Rows::Categories(&["Rawat Jalan", "Rawat Inap", "IGD", "Hemodialisa", "Rehabilitasi Medik"]),
        columns: &[("kunjungan", 800, 21000)],
    },
    Spec {
        name: "tempat-tidur-rsud",
        title: "Tempat Tidur dan Tingkat Hunian RSUD",
        org: "rsud-sosodoro",
        tags: &["rumah sakit", "bor"],
        group: "smart-living",
        unit: "tempat tidur/persen",
        frequency: "bulanan",
        rows: Rows::Categories(&["Kelas I", "Kelas II", "Kelas III", "VIP", "ICU"]),
        columns: &[("tempat_tidur", 8, 120), ("bor_persen", 45, 92)],
    },
    Spec {
        name: "usulan-musrenbang",
        title: "Usulan Musrenbang Kecamatan menurut Bidang",
        org: "bappeda",
        tags: &["musrenbang", "perencanaan", "rkpd"],
        group: "smart-governance",
        unit: "usulan",
        frequency: "tahunan",
        rows: Rows::Kecamatan,
        columns: &[("infrastruktur", 20, 140), ("ekonomi", 5, 60), ("sosial_budaya", 5, 50)],
    },
    Spec {
        name: "permohonan-informasi-publik",
        title: "Permohonan Informasi Publik ke PPID",
        org: "diskominfo",
        tags: &["ppid", "keterbukaan informasi"],
        group: "smart-governance",
        unit: "permohonan",
        frequency: "bulanan",
        rows: Rows::Categories(&[
            "Januari",
            "Februari",
            "Maret",
            "April",
            "Mei",
            "Juni",
            "Juli",
            "Agustus",
            "September",
            "Oktober",
            "November",
            "Desember",
        ]),
        columns: &[("diterima", 10, 70), ("dipenuhi", 8, 65)],
    },
];

/// A small deterministic generator: the same demo every time.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Rng {
        Rng(seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3)))
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        lo + (r % ((hi - lo + 1) as u64)) as i64
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// The CSV of one spec for a regency.
fn table(spec: &Spec, regency: &Code) -> String {
    let dir = Directory::embedded();
    let mut rng = Rng::new(spec.name);
    let mut out = String::new();
    let values = |rng: &mut Rng| spec.columns.iter().map(|(_, lo, hi)| rng.between(*lo, *hi).to_string()).collect::<Vec<_>>().join(",");
    let header: Vec<&str> = spec.columns.iter().map(|c| c.0).collect();
    match &spec.rows {
        Rows::Kecamatan => {
            out.push_str(&format!("kode_kecamatan,kecamatan,{}\n", header.join(",")));
            for kec in dir.children_of(regency) {
                out.push_str(&format!("{},{},{}\n", kec.code, csv_field(&kec.name), values(&mut rng)));
            }
        }
        Rows::Desa => {
            out.push_str(&format!("kode_desa,desa,jenis,kecamatan,{}\n", header.join(",")));
            for kec in dir.children_of(regency) {
                for desa in dir.children_of(&kec.code) {
                    let kind = if desa.level == Level::Kelurahan { "kelurahan" } else { "desa" };
                    out.push_str(&format!(
                        "{},{},{kind},{},{}\n",
                        desa.code,
                        csv_field(&desa.name),
                        csv_field(&kec.name),
                        values(&mut rng)
                    ));
                }
            }
        }
        Rows::Categories(names) => {
            out.push_str(&format!("uraian,{}\n", header.join(",")));
            for n in *names {
                out.push_str(&format!("{},{}\n", csv_field(n), values(&mut rng)));
            }
        }
    }
    out
}

/// Publishes the demo datasets as the admin; returns how many.
pub async fn load(store: &Store, files: &FileStore, tenant: &str, admin: &User) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let regency: Code = tenant.parse()?;
    for spec in SPECS {
        let input = DatasetInput {
            name: spec.name.into(),
            title: spec.title.into(),
            notes: format!("{}, Kabupaten Bojonegoro, tahun 2024 (satuan: {}). {NOTE}", spec.title, spec.unit),
            license_id: "cc-by-4.0".into(),
            owner_org: spec.org.into(),
            tags: spec.tags.iter().map(|t| TagInput { name: t.to_string() }).collect(),
            groups: vec![GroupRef { name: spec.group.into(), id: String::new() }],
            satudata: Some(SatuData {
                walidata: "Dinas Komunikasi dan Informatika".into(),
                frekuensi: spec.frequency.into(),
                cakupan_wilayah: tenant.into(),
                periode_awal: "2024".into(),
                periode_akhir: "2024".into(),
                nama_indikator: spec.title.into(),
                satuan: spec.unit.into(),
                klasifikasi_penyajian: match spec.rows {
                    Rows::Kecamatan => "Menurut kecamatan".into(),
                    Rows::Desa => "Menurut desa/kelurahan".into(),
                    Rows::Categories(_) => "Menurut uraian".into(),
                },
                level_estimasi: "Kabupaten".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let d = repo::create(store, tenant, admin, &input).await.map_err(|e| format!("demo dataset {}: {e}", spec.name))?;
        let csv = table(spec, &regency);
        let filename = format!("{}-2024.csv", spec.name);
        let key = format!("{tenant}/demo/{filename}");
        let saved = files.save(&key, InMemory(Some(bytes::Bytes::from(csv))), u64::MAX).await?;
        let up = Upload {
            resource_id: None,
            name: format!("Tabel {}", spec.title),
            description: NOTE.into(),
            format: "CSV".into(),
            filename,
            saved,
        };
        crate::slices::catalog::intake::accept(store, files, tenant, admin, &d.id, up)
            .await
            .map_err(|e| format!("demo file {}: {e}", spec.name))?;
    }
    Ok(SPECS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_use_real_regions_and_are_stable() {
        let bjn: Code = "35.22".parse().unwrap();
        let padi = table(&SPECS[0], &bjn);
        assert_eq!(padi.lines().count(), 29, "a header and the 28 kecamatan");
        assert!(padi.lines().nth(1).unwrap().starts_with("35.22.01,Ngraho,"));
        assert_eq!(padi, table(&SPECS[0], &bjn), "deterministic");
        let people = SPECS.iter().find(|s| s.name == "penduduk-per-desa").unwrap();
        assert_eq!(table(people, &bjn).lines().count(), 431, "a header and the 430 villages");
        assert!(SPECS.len() >= 30);
    }
}
