//! The national region table: regions by code, children, counts, name search.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::code::{Code, Level};
use crate::fold::fold;

/// One region of the table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    pub code: Code,
    pub name: String,
    pub level: Level,
}

/// The region table, sorted by code, with the links that navigation and
/// search need computed once.
pub struct Directory {
    regions: Vec<Region>,
    folded: Vec<String>,
    index: HashMap<Code, u32>,
    children: Vec<Vec<u32>>,
    /// For each region, how many descendants it has at depth 2, 3 and 4.
    counts: Vec<[u32; 3]>,
}

/// A row of the source files that cannot be part of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: &'static str,
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.reason)
    }
}

impl std::error::Error for LoadError {}

impl Directory {
    /// The table built into this crate (Kepmendagri 300.2.2-2138/2025),
    /// parsed on first use.
    pub fn embedded() -> &'static Directory {
        static TABLE: OnceLock<Directory> = OnceLock::new();
        TABLE.get_or_init(|| {
            Directory::from_csv(
                include_str!("../data/provinces.csv"),
                include_str!("../data/regencies.csv"),
                include_str!("../data/districts.csv"),
                include_str!("../data/villages.csv"),
            )
            .expect("the embedded region table is valid")
        })
    }

    /// Builds the table from the four CSV files (`code,name` for provinces,
    /// `code,parent_code,name` for the others). Every code must parse, sit at
    /// the file's level, name an existing parent that agrees with its digits,
    /// and appear once.
    pub fn from_csv(provinces: &str, regencies: &str, districts: &str, villages: &str) -> Result<Directory, LoadError> {
        let mut regions = Vec::with_capacity(100_000);
        let files: [(&'static str, &str, u8); 4] = [
            ("provinces.csv", provinces, 1),
            ("regencies.csv", regencies, 2),
            ("districts.csv", districts, 3),
            ("villages.csv", villages, 4),
        ];
        let mut index: HashMap<Code, u32> = HashMap::with_capacity(100_000);
        for (file, text, depth) in files {
            let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
            for record in reader.records() {
                let record =
                    record.map_err(|e| LoadError { file, line: e.position().map(|p| p.line()).unwrap_or(0), reason: e.to_string() })?;
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let fail = |reason: String| LoadError { file, line, reason };
                let expected_columns = if depth == 1 { 2 } else { 3 };
                if record.len() != expected_columns {
                    return Err(fail(format!("expected {expected_columns} columns, found {}", record.len())));
                }
                let code = Code::parse(&record[0]).map_err(|e| fail(e.to_string()))?;
                if code.depth() != depth {
                    return Err(fail(format!("{code} is not a level-{depth} code")));
                }
                if depth > 1 {
                    let parent = Code::parse(&record[1]).map_err(|e| fail(e.to_string()))?;
                    if code.parent() != Some(parent) {
                        return Err(fail(format!("{code} does not belong to {parent}")));
                    }
                    if !index.contains_key(&parent) {
                        return Err(fail(format!("parent {parent} of {code} is unknown")));
                    }
                }
                let name = record[expected_columns - 1].trim().to_string();
                if name.is_empty() {
                    return Err(fail(format!("{code} has no name")));
                }
                if index.insert(code, regions.len() as u32).is_some() {
                    return Err(fail(format!("{code} appears twice")));
                }
                regions.push(Region { code, name, level: code.level() });
            }
        }
        Ok(Directory::from_regions(regions))
    }

    fn from_regions(mut regions: Vec<Region>) -> Directory {
        regions.sort_by_key(|r| r.code);
        let index: HashMap<Code, u32> = regions.iter().enumerate().map(|(i, r)| (r.code, i as u32)).collect();
        let mut children = vec![Vec::new(); regions.len()];
        let mut counts = vec![[0u32; 3]; regions.len()];
        for (i, r) in regions.iter().enumerate() {
            if let Some(parent) = r.code.parent() {
                children[index[&parent] as usize].push(i as u32);
            }
            let Some(slot) = (r.code.depth() as usize).checked_sub(2) else { continue };
            for ancestor in r.code.ancestors() {
                counts[index[&ancestor] as usize][slot] += 1;
            }
        }
        let folded = regions.iter().map(|r| fold(&r.name)).collect();
        Directory { regions, folded, index, children, counts }
    }

    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    pub fn get(&self, code: &Code) -> Option<&Region> {
        self.index.get(code).map(|&i| &self.regions[i as usize])
    }

    /// The direct children, in code order.
    pub fn children(&self, code: &Code) -> &[u32] {
        match self.index.get(code) {
            Some(&i) => &self.children[i as usize],
            None => &[],
        }
    }

    pub fn children_of(&self, code: &Code) -> impl Iterator<Item = &Region> {
        self.children(code).iter().map(|&i| &self.regions[i as usize])
    }

    /// The provinces, in code order.
    pub fn provinces(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter().filter(|r| r.level == Level::Provinsi)
    }

    /// The region and everything below it, in code order.
    pub fn subtree(&self, code: &Code) -> &[Region] {
        let Some(&start) = self.index.get(code) else { return &[] };
        let start = start as usize;
        let len = self.regions[start..].partition_point(|r| code.contains(&r.code));
        &self.regions[start..start + len]
    }

    /// How many regencies/cities, kecamatan and villages lie below a region.
    pub fn counts(&self, code: &Code) -> [u32; 3] {
        self.index.get(code).map(|&i| self.counts[i as usize]).unwrap_or_default()
    }

    /// All regions at one depth (1 province .. 4 village).
    pub fn count_at_depth(&self, depth: u8) -> usize {
        self.regions.iter().filter(|r| r.code.depth() == depth).count()
    }

    /// Regions whose name, or a word of it, starts with the query, ignoring
    /// case and accents, optionally only below `within`. Exact names first,
    /// then whole-name prefixes, then word prefixes; higher levels before
    /// lower ones; then by code.
    pub fn search(&self, query: &str, within: Option<&Code>, limit: usize) -> Vec<&Region> {
        let q = fold(query);
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        let word_prefix = format!(" {q}");
        let (offset, candidates) = match within {
            Some(scope) => {
                let sub = self.subtree(scope);
                let start = self.index.get(scope).map(|&i| i as usize).unwrap_or(0);
                (start, sub.len())
            }
            None => (0, self.regions.len()),
        };
        let mut hits: Vec<(u8, u8, u32)> = Vec::new();
        for i in offset..offset + candidates {
            let name = &self.folded[i];
            // "Kota Surabaya" is what someone typing "surabaya" means most:
            // rank regencies by their name without the level word.
            let core = match self.regions[i].code.depth() {
                2 => name.strip_prefix("kabupaten ").or_else(|| name.strip_prefix("kota ")).unwrap_or(name),
                _ => name.as_str(),
            };
            let rank = if *name == q || core == q {
                0
            } else if name.starts_with(&q) || core.starts_with(&q) {
                1
            } else if name.contains(&word_prefix) {
                2
            } else {
                continue;
            };
            hits.push((rank, self.regions[i].code.depth(), i as u32));
        }
        hits.sort_unstable();
        hits.into_iter().take(limit).map(|(_, _, i)| &self.regions[i as usize]).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "code,name\n35,Jawa Timur\n";
    const R: &str = "code,province_code,name\n35.22,35,Kabupaten Bojonegoro\n";
    const D: &str = "code,regency_code,name\n35.22.01,35.22,Ngraho\n35.22.15,35.22,Bojonegoro\n";
    const V: &str = "code,district_code,name\n35.22.01.2001,35.22.01,Sumberarum\n35.22.15.1001,35.22.15,\"Kadipaten, Kota\"\n";

    #[test]
    fn builds_links_and_counts() {
        let dir = Directory::from_csv(P, R, D, V).unwrap();
        let bjn: Code = "35.22".parse().unwrap();
        assert_eq!(dir.children_of(&bjn).map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Ngraho", "Bojonegoro"]);
        assert_eq!(dir.counts(&"35".parse().unwrap()), [1, 2, 2]);
        assert_eq!(dir.subtree(&"35.22.01".parse().unwrap()).len(), 2);
        assert_eq!(dir.get(&"35.22.15.1001".parse().unwrap()).unwrap().name, "Kadipaten, Kota");
    }

    #[test]
    fn rejects_inconsistent_rows() {
        let orphan = "code,district_code,name\n35.22.02.2001,35.22.02,Nowhere\n";
        let err = Directory::from_csv(P, R, D, orphan).err().unwrap();
        assert_eq!(err.file, "villages.csv");
        assert!(err.reason.contains("unknown"), "{err}");
        let mismatch = "code,district_code,name\n35.22.01.2001,35.22.15,Wrong\n";
        assert!(Directory::from_csv(P, R, D, mismatch).err().unwrap().reason.contains("does not belong"));
        let twice = "code,regency_code,name\n35.22.01,35.22,A\n35.22.01,35.22,B\n";
        assert!(Directory::from_csv(P, R, twice, "code,district_code,name\n").err().unwrap().reason.contains("twice"));
    }

    #[test]
    fn searches_by_prefix_of_name_or_word() {
        let dir = Directory::from_csv(P, R, D, V).unwrap();
        let names = |q: &str| dir.search(q, None, 10).iter().map(|r| r.code.to_string()).collect::<Vec<_>>();
        // Exact name first, then word prefixes, higher levels first.
        assert_eq!(names("BOJONEGORO"), ["35.22", "35.22.15"], "a regency matches by its name without the level word");
        assert_eq!(names("kota"), ["35.22.15.1001"]);
        assert_eq!(names("ngr"), ["35.22.01"]);
        assert!(names("raho").is_empty(), "infix is not a prefix");
        assert!(names("  ").is_empty());
    }
}
