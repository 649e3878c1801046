//! The 14 components of a Standar Pelayanan.

use layanan::standar::{Component, missing};

#[test]
fn fourteen_components_the_first_six_public() {
    assert_eq!(Component::ALL.len(), 14);
    let public: Vec<_> = Component::ALL.iter().filter(|c| c.is_public()).map(|c| c.name()).collect();
    assert_eq!(
        public,
        [
            "Persyaratan",
            "Sistem, mekanisme, dan prosedur",
            "Jangka waktu penyelesaian",
            "Biaya/tarif",
            "Produk pelayanan",
            "Penanganan pengaduan, saran, dan masukan"
        ]
    );
    assert_eq!(Component::ALL[13].name(), "Evaluasi kinerja pelaksana");
    assert_eq!(Component::from_code("jaminan_keamanan"), Some(Component::JaminanKeamanan));
}

#[test]
fn a_standard_lists_what_it_still_lacks() {
    let mut filled: Vec<(Component, &str)> = Component::ALL.iter().map(|c| (*c, "diisi")).collect();
    assert!(missing(filled.iter().copied()).is_empty());
    filled[3].1 = "  ";
    filled.remove(10);
    assert_eq!(missing(filled), [Component::Biaya, Component::JumlahPelaksana]);
}
