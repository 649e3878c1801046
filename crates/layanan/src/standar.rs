//! *Standar Pelayanan* (UU 25/2009 art. 21, PermenPANRB 15/2014): the 14
//! components every service publishes, in the regulation's order. The first
//! six face the public (*penyampaian pelayanan*) and come first on the
//! service's page; the other eight are the unit's own (*pengelolaan
//! pelayanan*). Beside them stands the *Maklumat Pelayanan*, the unit's pledge.

codes! {
    /// One of the 14 components.
    Component {
        Persyaratan = "persyaratan",
        Prosedur = "prosedur",
        JangkaWaktu = "jangka_waktu",
        Biaya = "biaya",
        Produk = "produk",
        Pengaduan = "pengaduan",
        DasarHukum = "dasar_hukum",
        Sarana = "sarana",
        Kompetensi = "kompetensi",
        PengawasanInternal = "pengawasan_internal",
        JumlahPelaksana = "jumlah_pelaksana",
        JaminanPelayanan = "jaminan_pelayanan",
        JaminanKeamanan = "jaminan_keamanan",
        EvaluasiKinerja = "evaluasi_kinerja",
    }
}

impl Component {
    /// The component's name in the regulation (Bahasa Indonesia).
    pub fn name(self) -> &'static str {
        match self {
            Component::Persyaratan => "Persyaratan",
            Component::Prosedur => "Sistem, mekanisme, dan prosedur",
            Component::JangkaWaktu => "Jangka waktu penyelesaian",
            Component::Biaya => "Biaya/tarif",
            Component::Produk => "Produk pelayanan",
            Component::Pengaduan => "Penanganan pengaduan, saran, dan masukan",
            Component::DasarHukum => "Dasar hukum",
            Component::Sarana => "Sarana dan prasarana, dan/atau fasilitas",
            Component::Kompetensi => "Kompetensi pelaksana",
            Component::PengawasanInternal => "Pengawasan internal",
            Component::JumlahPelaksana => "Jumlah pelaksana",
            Component::JaminanPelayanan => "Jaminan pelayanan",
            Component::JaminanKeamanan => "Jaminan keamanan dan keselamatan pelayanan",
            Component::EvaluasiKinerja => "Evaluasi kinerja pelaksana",
        }
    }

    /// The six the public sees first.
    pub fn is_public(self) -> bool {
        (self as usize) < 6
    }
}

/// The components a standard still lacks, in order, given those filled in
/// (with text that is not blank): a standard is published only when complete.
pub fn missing<'a>(filled: impl IntoIterator<Item = (Component, &'a str)>) -> Vec<Component> {
    let filled: Vec<Component> = filled.into_iter().filter(|(_, text)| !text.trim().is_empty()).map(|(c, _)| c).collect();
    Component::ALL.iter().copied().filter(|c| !filled.contains(c)).collect()
}
