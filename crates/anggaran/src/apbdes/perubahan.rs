//! What an amendment (*APBDes Perubahan*) changed: the slice keeps each
//! version whole, and the public page shows the lines whose plan moved, so
//! a resident sees what was cut and what was added without comparing two
//! tables by eye.

use super::Pos;
use super::budget::Apbdes;
use crate::money::Rupiah;
use serde::Serialize;
use std::collections::BTreeMap;

/// One line's plan before and after (none where the line did not exist).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub pos: Pos,
    pub sumber: Option<String>,
    pub name: String,
    pub before: Option<Rupiah>,
    pub after: Option<Rupiah>,
}

/// The lines whose plan differs, matched by position and funding source
/// (lines repeated with the same key are summed), in code order.
pub fn changes(before: &Apbdes, after: &Apbdes) -> Vec<Change> {
    type Key = (Pos, Option<String>);
    let sums = |budget: &Apbdes| {
        let mut map: BTreeMap<Key, (Rupiah, String)> = BTreeMap::new();
        for line in &budget.lines {
            let entry = map.entry((line.pos.clone(), line.sumber.clone())).or_insert((Rupiah::ZERO, line.name.clone()));
            entry.0 = Rupiah::new(entry.0.get().saturating_add(line.plan.get()));
        }
        map
    };
    let (old, new) = (sums(before), sums(after));
    let mut keys: Vec<&Key> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (b, a) = (old.get(key), new.get(key));
            if b.map(|x| x.0) == a.map(|x| x.0) {
                return None;
            }
            let name = a.or(b).map(|x| x.1.clone()).unwrap_or_default();
            Some(Change { pos: key.0.clone(), sumber: key.1.clone(), name, before: b.map(|x| x.0), after: a.map(|x| x.0) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apbdes::tests_support::lines;
    use crate::apbdes::{CodeList, Settings, check};

    #[test]
    fn an_amendment_shows_what_moved() {
        let list = CodeList::embedded();
        let murni = check(
            &lines("4.2.1 | Dana Desa | DDS | 1.000\n2.2.01 | Posyandu | DDS | 400\n2.3.05 | Jalan | DDS | 600"),
            &list,
            &Settings::default(),
        )
        .unwrap();
        let perubahan = check(
            &lines(
                "4.2.1 | Dana Desa | DDS | 1.000\n2.2.01 | Posyandu | DDS | 300\n5.1.01 | Banjir | DDS | 100\n2.3.05 | Jalan | DDS | 600",
            ),
            &list,
            &Settings::default(),
        )
        .unwrap();
        let got: Vec<_> = changes(&murni, &perubahan)
            .into_iter()
            .map(|c| (c.pos.code(), c.name, c.before.map(Rupiah::get), c.after.map(Rupiah::get)))
            .collect();
        assert_eq!(
            got,
            vec![("2.2.01".to_string(), "Posyandu".to_string(), Some(400), Some(300)), ("5.1.01".into(), "Banjir".into(), None, Some(100))]
        );
        assert!(changes(&murni, &murni).is_empty());
    }
}
