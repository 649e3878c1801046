//! What the tree's page and `GET /api/v1/apbd/{year}` show, made once:
//! a branch of the tree (the urusan, one node's children, or every node of
//! a level), optionally of one agency's lines, with plan, realisation per
//! quarter, their sum and its share of the plan at every node.

use anggaran::apbd::{self, Node, Program, ProgramLevel, Quarterly, Tree};
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::Budget;
use crate::web::error::{AppError, AppResult};

/// What to open: `?code=` (a node), `?level=` (every node of a level),
/// `?agency=` (only that agency's lines, by its code or name), and which
/// page of the listed nodes (`?limit=`, `?offset=`).
#[derive(Debug, Default, Deserialize)]
pub struct Open {
    #[serde(default, alias = "kode")]
    pub code: String,
    #[serde(default, alias = "tingkat")]
    pub level: String,
    #[serde(default, alias = "opd")]
    pub agency: String,
    #[serde(default)]
    pub limit: String,
    #[serde(default)]
    pub offset: String,
}

/// Nodes listed per page unless `?limit=` says otherwise: a level of 5,000
/// sub-kegiatan in one answer was 1.75 MB and took 183 ms at p99; a page
/// of 100 is about 35 KB.
pub const PAGE: usize = 100;
/// The most nodes one answer lists.
pub const MAX_PAGE: usize = 1000;

/// The page of nodes asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Open {
    /// `?limit=` (1 to [`MAX_PAGE`], [`PAGE`] when absent) and `?offset=`
    /// (0 when absent); anything else is refused, not guessed.
    pub fn page(&self) -> AppResult<Page> {
        let number = |key: &'static str, text: &str, default: usize, range: std::ops::RangeInclusive<usize>| {
            let text = text.trim();
            if text.is_empty() {
                return Ok(default);
            }
            text.parse::<usize>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                AppError::invalid(
                    key,
                    crate::kernel::msg::Msg::new("anggaran.e.page").arg("value", text).arg("max", range.end().min(&MAX_PAGE)),
                )
            })
        };
        Ok(Page { limit: number("limit", &self.limit, PAGE, 1..=MAX_PAGE)?, offset: number("offset", &self.offset, 0, 0..=usize::MAX)? })
    }

    /// The query string of this view at another offset (for `next`/`prev`
    /// links), keeping what was asked; `&` joins, the caller escapes for HTML.
    pub fn query_at(&self, page: Page, offset: usize) -> String {
        let mut parts = Vec::new();
        for (key, value) in [("code", &self.code), ("level", &self.level), ("agency", &self.agency)] {
            if !value.trim().is_empty() {
                parts.push(format!("{key}={}", crate::web::urlencode(value.trim())));
            }
        }
        if page.limit != PAGE {
            parts.push(format!("limit={}", page.limit));
        }
        if offset > 0 {
            parts.push(format!("offset={offset}"));
        }
        parts.join("&")
    }
}

pub fn level_of(text: &str) -> Option<ProgramLevel> {
    Some(match text.trim() {
        "urusan" => ProgramLevel::Urusan,
        "bidang" => ProgramLevel::Bidang,
        "program" => ProgramLevel::Program,
        "kegiatan" => ProgramLevel::Kegiatan,
        "sub_kegiatan" | "sub-kegiatan" | "subkegiatan" => ProgramLevel::SubKegiatan,
        _ => return None,
    })
}

pub fn level_code(level: ProgramLevel) -> &'static str {
    match level {
        ProgramLevel::Urusan => "urusan",
        ProgramLevel::Bidang => "bidang",
        ProgramLevel::Program => "program",
        ProgramLevel::Kegiatan => "kegiatan",
        ProgramLevel::SubKegiatan => "sub_kegiatan",
    }
}

/// Plan, realisation per quarter, their sum and its share of the plan (in
/// percent with two decimals, exact from basis points).
pub fn amounts(q: &Quarterly) -> Value {
    let total = q.realised_total();
    let bp = total.share_bp(q.plan);
    json!({
        "pagu": q.plan.get(),
        "realisasi": q.realised.map(|r| r.get()),
        "realisasi_total": total.get(),
        "persen": bp.map(|bp| bp as f64 / 100.0),
        "persen_teks": bp.map(percent_text),
        "di_atas_pagu": q.above_plan(),
    })
}

/// 7550 basis points as `75,50`.
pub fn percent_text(bp: i64) -> String {
    let sign = if bp < 0 { "-" } else { "" };
    format!("{sign}{},{:02}", bp.abs() / 100, bp.abs() % 100)
}

fn node(n: &Node, agency_name: &dyn Fn(&str) -> String) -> Value {
    json!({
        "kode": n.code.as_str(),
        "tingkat": level_code(n.level),
        "nama": n.name,
        "jumlah": amounts(&n.amounts),
        "perangkat_daerah": n.agencies.iter().map(|a| json!({"kode": a, "nama": agency_name(a)})).collect::<Vec<_>>(),
        "anak": n.children.len(),
    })
}

fn every_of_level<'a>(nodes: &'a [Node], level: ProgramLevel, out: &mut Vec<&'a Node>) {
    for n in nodes {
        if n.level == level {
            out.push(n);
        } else if n.level < level {
            every_of_level(&n.children, level, out);
        }
    }
}

/// The tree of the budget, or of one agency's lines.
pub fn tree_for(budget: &Budget, agency: &str) -> AppResult<Option<Tree>> {
    if agency.trim().is_empty() {
        return Ok(None);
    }
    let lines: Vec<apbd::Line> = budget
        .lines
        .iter()
        .filter(|l| l.line.kode_opd == agency || (l.line.kode_opd.is_empty() && l.line.nama_opd == agency))
        .map(|l| l.line.clone())
        .collect();
    let names = budget.tree_names();
    apbd::build_tree(&lines, &names).map(Some).map_err(|e| AppError::Internal(e.to_string()))
}

/// The branch asked for: its path from the urusan (the node itself last)
/// and the nodes to list.
pub struct Branch<'a> {
    pub path: Vec<&'a Node>,
    /// The page of nodes to list.
    pub nodes: Vec<&'a Node>,
    /// How many nodes the branch has in all pages.
    pub total: usize,
    pub level: Option<ProgramLevel>,
}

pub fn branch<'a>(tree: &'a Tree, open: &Open) -> AppResult<Branch<'a>> {
    let page = open.page()?;
    let mut b = whole_branch(tree, open)?;
    b.total = b.nodes.len();
    b.nodes = b.nodes.into_iter().skip(page.offset).take(page.limit).collect();
    Ok(b)
}

fn whole_branch<'a>(tree: &'a Tree, open: &Open) -> AppResult<Branch<'a>> {
    let bad = |key: &'static str, v: &str| AppError::invalid(key, crate::kernel::msg::Msg::new("anggaran.e.open").arg("value", v));
    if !open.code.trim().is_empty() {
        let code = Program::parse(&open.code).map_err(|_| bad("code", &open.code))?;
        let mut path = Vec::new();
        let mut nodes = &tree.urusan;
        for step in code.path() {
            let n = nodes.iter().find(|n| n.code == step).ok_or_else(AppError::not_found)?;
            path.push(n);
            nodes = &n.children;
        }
        return Ok(Branch { path, nodes: nodes.iter().collect(), total: 0, level: None });
    }
    if !open.level.trim().is_empty() {
        let level = level_of(&open.level).ok_or_else(|| bad("level", &open.level))?;
        let mut nodes = Vec::new();
        every_of_level(&tree.urusan, level, &mut nodes);
        return Ok(Branch { path: Vec::new(), nodes, total: 0, level: Some(level) });
    }
    Ok(Branch { path: Vec::new(), nodes: tree.urusan.iter().collect(), total: 0, level: None })
}

/// The API's answer (and the page's data); `base` is the address the
/// `halaman` links page on (the API's or the page's).
pub fn answer(budget: &Budget, open: &Open, base: &str) -> AppResult<Value> {
    let own = tree_for(budget, &open.agency)?;
    let tree = own.as_ref().unwrap_or(&budget.tree);
    let b = branch(tree, open)?;
    let page = open.page()?;
    let link = |offset: usize| {
        let q = open.query_at(page, offset);
        let join = if base.contains('?') { '&' } else { '?' };
        if q.is_empty() { base.to_string() } else { format!("{base}{join}{q}") }
    };
    let next_offset = (page.offset + b.nodes.len() < b.total).then_some(page.offset + page.limit);
    let prev_offset = (page.offset > 0).then(|| page.offset.saturating_sub(page.limit));
    let name = |a: &str| budget.agency_name(a);
    let totals = |t: &Tree| {
        json!({
            "pendapatan": amounts(&t.pendapatan),
            "belanja": amounts(&t.belanja),
            "penerimaan_pembiayaan": amounts(&t.penerimaan_pembiayaan),
            "pengeluaran_pembiayaan": amounts(&t.pengeluaran_pembiayaan),
        })
    };
    let by_agency: Vec<Value> = budget
        .tree
        .by_agency
        .iter()
        .map(|(k, q)| json!({"kode": k, "nama": name(k), "organisasi": budget.agencies.get(k).and_then(|a| a.1.clone()), "jumlah": amounts(q)}))
        .collect();
    let mut out = json!({
        "tahun": budget.version.year,
        "versi": budget.version.kind.code(),
        "revisi": budget.version.revision,
        "jumlah": totals(tree),
        "jalur": b.path.iter().map(|n| node(n, &name)).collect::<Vec<_>>(),
        "simpul": b.nodes.iter().map(|n| node(n, &name)).collect::<Vec<_>>(),
        "halaman": {
            "offset": page.offset,
            "limit": page.limit,
            "total": b.total,
            "next_offset": next_offset,
            "next": next_offset.map(link),
            "prev": prev_offset.map(link),
        },
        "per_perangkat_daerah": by_agency,
    });
    if let Some(level) = b.level {
        out["tingkat"] = json!(level_code(level));
    }
    if !open.agency.trim().is_empty() {
        out["perangkat_daerah"] = json!({"kode": open.agency, "nama": name(&open.agency)});
    }
    Ok(out)
}

impl Budget {
    /// The names the tree was built with (any level), for an agency's tree.
    pub fn tree_names(&self) -> std::collections::BTreeMap<Program, String> {
        let mut names = std::collections::BTreeMap::new();
        fn walk(nodes: &[Node], names: &mut std::collections::BTreeMap<Program, String>) {
            for n in nodes {
                if let Some(name) = &n.name {
                    names.insert(n.code.clone(), name.clone());
                }
                walk(&n.children, names);
            }
        }
        walk(&self.tree.urusan, &mut names);
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_written_the_indonesian_way() {
        assert_eq!(percent_text(7550), "75,50");
        assert_eq!(percent_text(5), "0,05");
        assert_eq!(percent_text(10_000), "100,00");
    }
}
