//! The public pages: `/desa` (the comparison of all villages, sortable,
//! filtered by kecamatan and year, with the Festival Transparansi Desa
//! ranking per regency and kecamatan) and `/desa/{code}` (profile, the
//! APBDes as charts, realisation per semester, IDM history, documents and
//! the other slices' panels for the village).

use std::collections::BTreeMap;

use anggaran::apbdes::{BIDANG, SumberPendapatan};
use anggaran::idm;
use axum::extract::{Path, Query};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api::{budget_view, find_village, year_of};
use super::{compare, kecamatan_map, repo};
use crate::kernel::access;
use crate::web::chart;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default)]
    tahun: Option<String>,
    #[serde(default)]
    kecamatan: Option<String>,
    #[serde(default)]
    urut: Option<String>,
    #[serde(default)]
    arah: Option<String>,
    /// The measure the map shades (`dana_desa`, `realisasi`, `idm`, `transparansi`).
    #[serde(default)]
    peta: Option<String>,
}

/// The measures the map by kecamatan shades, with their message keys.
pub const MAP_MEASURES: [&str; 4] = ["dana_desa", "realisasi", "idm", "transparansi"];

/// A measure per kecamatan over its villages: Dana Desa per resident (over
/// villages with a population), belanja realised over planned, the share
/// of scored desa that are Maju or Mandiri, the mean transparency score.
fn kecamatan_figures(rows: &[compare::Row], measure: &str) -> BTreeMap<String, kecamatan_map::Figure> {
    let mut sums: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let (top, bottom) = match measure {
            "realisasi" => (r.realised, r.belanja),
            "idm" => match r.status {
                Some(s) => (i64::from(s == "maju" || s == "mandiri"), 1),
                None => (0, 0),
            },
            "transparansi" => (r.transparency_hundredths as i64, 1),
            _ if r.population > 0 => (r.dana_desa, r.population),
            _ => (0, 0),
        };
        let e = sums.entry(r.kecamatan.as_str()).or_default();
        e.0 += top;
        e.1 += bottom;
    }
    let pct = |v: f64| format!("{} %", crate::web::format::decimal(v, 1));
    sums.into_iter()
        .filter(|(_, (_, bottom))| *bottom > 0)
        .map(|(k, (top, bottom))| {
            let (value, text) = match measure {
                "realisasi" | "idm" => {
                    let v = top as f64 * 100.0 / bottom as f64;
                    (v, pct(v))
                }
                "transparansi" => {
                    let v = top as f64 / 100.0 / bottom as f64;
                    (v, crate::web::format::decimal(v, 2))
                }
                _ => ((top / bottom) as f64, crate::web::format::rupiah(top / bottom)),
            };
            (k.to_string(), kecamatan_map::Figure { value, text })
        })
        .collect()
}

/// `/desa`: the comparison.
pub async fn list(ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Response> {
    let this_year = ctx.today().year();
    let year = match p.tahun.as_deref().filter(|y| !y.is_empty()) {
        Some(y) => year_of(y)?,
        None => this_year,
    };
    let all = super::cached_rows(&ctx, year).await?;
    let mut kecamatan: BTreeMap<String, String> = BTreeMap::new();
    for r in all.iter() {
        kecamatan.entry(r.kecamatan.clone()).or_insert_with(|| r.kecamatan_name.clone());
    }
    // Per kecamatan: Dana Desa per resident over its villages with a
    // population, and the best-ranked village.
    let mut per_kecamatan: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in all.iter().filter(|r| r.population > 0) {
        let e = per_kecamatan.entry(r.kecamatan_name.clone()).or_default();
        e.0 += r.dana_desa;
        e.1 += r.population;
    }
    let points: Vec<(String, f64)> =
        per_kecamatan.iter().filter(|(_, (_, pop))| *pop > 0).map(|(k, (dd, pop))| (k.clone(), (*dd / *pop) as f64)).collect();
    let measure = p.peta.as_deref().filter(|m| MAP_MEASURES.contains(m)).unwrap_or("dana_desa");
    let regency = ctx.tenant.id.split('.').take(2).collect::<Vec<_>>().join(".");
    let map = match kecamatan_map::shapes_for(&ctx.app.files, &regency).await {
        Some((shapes, built_in)) => {
            let figures = kecamatan_figures(&all, measure);
            let measure_key = match measure {
                "realisasi" => "desa.map.realisasi",
                "idm" => "desa.map.idm",
                "transparansi" => "desa.map.transparansi",
                _ => "desa.map.dana_desa",
            };
            let title = ctx.msg(&crate::kernel::msg::Msg::new("desa.map_title").arg("measure", ctx.text(measure_key)).arg("year", year));
            let format = |v: f64| match measure {
                "realisasi" | "idm" => format!("{} %", crate::web::format::decimal(v, 1)),
                "transparansi" => crate::web::format::decimal(v, 2),
                _ => crate::web::format::rupiah(v.round() as i64),
            };
            let drawn = kecamatan_map::draw(&shapes, &figures, &title, &ctx.text("desa.map_no_data"), &format);
            let legend: Vec<(String, String, &str)> = drawn
                .classes
                .iter()
                .enumerate()
                .map(|(i, (lo, hi))| (lo.clone(), hi.clone(), kecamatan_map::FILLS[if drawn.classes.len() == 1 { 2 } else { i }]))
                .collect();
            Some(minijinja::context! { svg => drawn.svg, legend, rows => drawn.rows, title, built_in })
        }
        None => None,
    };
    // Without outlines for the regency, the bar chart stands in for the map.
    let chart = (map.is_none() && !points.is_empty())
        .then(|| chart::render(chart::Kind::Bar, &ctx.text("desa.chart_kecamatan"), &ctx.text("desa.per_resident"), &points));
    let winners: Vec<&compare::Row> = {
        let mut best: BTreeMap<&str, &compare::Row> = BTreeMap::new();
        for r in all.iter() {
            best.entry(r.kecamatan.as_str()).or_insert(r);
        }
        best.into_values().collect()
    };
    let winners: Vec<compare::Row> = winners.into_iter().cloned().collect();
    let chosen = p.kecamatan.clone().filter(|k| !k.is_empty());
    let mut rows: Vec<compare::Row> = all.iter().filter(|r| chosen.as_ref().is_none_or(|k| &r.kecamatan == k)).cloned().collect();
    let by = p.urut.as_deref().filter(|u| compare::SORTS.contains(u)).unwrap_or("peringkat");
    let desc = p.arah.as_deref() == Some("turun");
    compare::sort(&mut rows, by, desc);
    let page = minijinja::context! {
        year, years => (this_year - 3..=this_year + 1).rev().collect::<Vec<_>>(),
        kecamatan, chosen, rows, by, desc, sorts => compare::SORTS, items => compare::item_codes(),
        chart, winners, total => all.len(), map, measure, measures => MAP_MEASURES,
        is_writer => ctx.user.as_ref().is_some_and(|u| u.is_region_admin()),
        own_desa => ctx.user.as_ref().and_then(|u| u.desa_code.clone()),
    };
    Ok(ctx.render("villages/list.html", page)?.into_response())
}

#[derive(Deserialize)]
pub struct ShowParams {
    #[serde(default)]
    tahun: Option<String>,
    #[serde(default)]
    versi: Option<i64>,
}

/// `/desa/{code}`: a village's page.
pub async fn show(ctx: Ctx, Path(code): Path<String>, Query(p): Query<ShowParams>) -> AppResult<Response> {
    let v = find_village(&ctx, &code).await?;
    let year = match p.tahun.as_deref().filter(|y| !y.is_empty()) {
        Some(y) => year_of(y)?,
        None => ctx.today().year(),
    };
    let store = &ctx.app.store;
    let profile = repo::profile(store, &ctx.tenant.id, &code).await?;
    let population = profile.as_ref().map_or(0, |p| p.population());
    let budget = budget_view(&ctx, &code, year, p.versi, false).await?;
    let money = |v: i64| v as f64;
    let charts = budget.as_ref().map(|b| {
        let t = &b.totals;
        let income: Vec<(String, f64)> = SumberPendapatan::ALL
            .iter()
            .filter_map(|s| t.by_source.get(s).map(|a| (ctx.text(source_key(*s)), money(a.plan.get()))))
            .collect();
        let bidang: Vec<(String, f64)> =
            t.by_bidang.iter().map(|(b, a)| (BIDANG.get(*b as usize - 1).unwrap_or(&"").to_string(), money(a.plan.get()))).collect();
        let kegiatan: Vec<(String, f64)> = t
            .by_kegiatan
            .iter()
            .map(|(k, a)| {
                let name = b.lines.iter().find(|l| l.kode == k.to_string()).map(|l| l.nama.clone()).unwrap_or_default();
                (format!("{k} {name}"), money(a.plan.get()))
            })
            .collect();
        let parts = [chart::Part { name: "Semester 1", fill: "#1f5f8b" }, chart::Part { name: "Semester 2", fill: "#7fb3d5" }];
        let realisation: Vec<(String, Vec<f64>)> = t
            .by_bidang
            .iter()
            .map(|(b, a)| (BIDANG.get(*b as usize - 1).unwrap_or(&"").to_string(), vec![money(a.s1.get()), money(a.s2.get())]))
            .collect();
        minijinja::context! {
            income => chart::render(chart::Kind::Bar, &ctx.text("desa.chart_income"), "Rp", &income),
            bidang => chart::render(chart::Kind::Bar, &ctx.text("desa.chart_bidang"), "Rp", &bidang),
            kegiatan => chart::render(chart::Kind::Bar, &ctx.text("desa.chart_kegiatan"), "Rp", &kegiatan),
            realisation => chart::stacked(&ctx.text("desa.chart_realisation"), &parts, &realisation),
        }
    });
    let parsed = wilayah::Code::parse(&code).map_err(|_| AppError::not_found())?;
    let scored_years: Vec<(i32, idm::Idm, String)> = repo::idm_history(store, &ctx.tenant.id, &code)
        .await?
        .iter()
        .filter_map(|r| idm::Scores::from_array(r.scores).ok().map(|s| (r.year, idm::compute(&s), r.source.clone())))
        .collect();
    let idm_chart = (scored_years.len() > 1).then(|| {
        let points: Vec<(String, f64)> =
            scored_years.iter().map(|(y, i, _)| (y.to_string(), i.idm.ten_thousandths() as f64 / 10_000.0)).collect();
        chart::render(chart::Kind::Line, &ctx.text("desa.chart_idm"), "IDM", &points)
    });
    let history: Vec<minijinja::Value> = scored_years
        .iter()
        .map(|(year, i, source)| {
            minijinja::context! { year, iks => i.iks.decimal(), ike => i.ike.decimal(), ikl => i.ikl.decimal(), idm => i.idm.decimal(), status => i.status.code(), source }
        })
        .collect();
    let documents = repo::documents(store, &ctx.tenant.id, &code).await?;
    let scored = idm::score(&parsed, &idm::Scores::from_array([0; 50]).unwrap_or_else(|_| unreachable!("zeros are scores"))).is_ok();
    let row = super::cached_rows(&ctx, year).await?.iter().find(|r| r.code == code).cloned();
    let offices: Vec<_> = crate::kernel::organizations::list(store, &ctx.tenant.id)
        .await?
        .into_iter()
        .filter(|o| o.region_code.as_ref().is_some_and(|r| *r == v.kecamatan || *r == code))
        .collect();
    let panels = crate::slices::panels(&ctx, crate::slices::Place::Region { code: &code, name: &v.name, offices: &offices }).await?;
    let writer = ctx.user.as_ref().is_some_and(|u| access::for_desa(u, &code));
    let page = minijinja::context! {
        village => v, year, years => (ctx.today().year() - 3..=ctx.today().year() + 1).rev().collect::<Vec<_>>(),
        profile, population, budget, charts, history, idm_chart, documents, scored, row, panels, writer,
        items => compare::item_codes(),
    };
    Ok(ctx.render("villages/show.html", page)?.into_response())
}

fn source_key(s: SumberPendapatan) -> &'static str {
    match s {
        SumberPendapatan::Pades => "desa.source_pades",
        SumberPendapatan::DanaDesa => "desa.source_dana_desa",
        SumberPendapatan::BagiHasil => "desa.source_bagi_hasil",
        SumberPendapatan::Add => "desa.source_add",
        SumberPendapatan::BantuanProvinsi => "desa.source_bantuan_provinsi",
        SumberPendapatan::BantuanKabupaten => "desa.source_bantuan_kabupaten",
        SumberPendapatan::LainLain => "desa.source_lain_lain",
    }
}

/// `/desa/{code}/dokumen/{id}`: an LPJ or a billboard photo, as stored.
pub async fn document(ctx: Ctx, Path((code, id)): Path<(String, String)>) -> AppResult<Response> {
    let (media_type, bytes) = repo::document_content(&ctx.app.store, &ctx.tenant.id, &code, &id).await?.ok_or_else(AppError::not_found)?;
    let disposition = if media_type == "application/pdf" { format!("attachment; filename=\"lpj-{id}.pdf\"") } else { "inline".into() };
    Ok(([(CONTENT_TYPE, media_type), (CONTENT_DISPOSITION, disposition)], bytes).into_response())
}
