//! The `Accept` header (RFC 9110 12.5.1), for the addresses that answer in
//! more than one format (DCAT's RDF, the NGSI-LD broker's JSON, JSON-LD and
//! GeoJSON): each offered type takes the weight of the most specific range
//! that covers it.

/// The media ranges of an `Accept` header and their weights.
pub struct Accept(Vec<(String, f32)>);

impl Accept {
    /// Reads the ranges; a weight that does not parse (or is out of 0..=1)
    /// counts as 1, the default, rather than deciding anything.
    pub fn parse(header: &str) -> Accept {
        let ranges = header
            .split(',')
            .filter_map(|part| {
                let mut bits = part.split(';');
                let range = bits.next()?.trim().to_ascii_lowercase();
                let q = bits
                    .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                    .find_map(|q| q.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)))
                    .unwrap_or(1.0);
                (!range.is_empty()).then_some((range, q))
            })
            .collect();
        Accept(ranges)
    }

    /// The weight of `offer` (`type/subtype`): that of the range naming it,
    /// else of `type/*`, else of `*/*`; 0 when none covers it.
    pub fn quality(&self, offer: &str) -> f32 {
        let (kind, _) = offer.split_once('/').unwrap_or((offer, ""));
        let best = |pattern: &str| self.0.iter().find(|(r, _)| r == pattern).map(|(_, q)| *q);
        best(offer).or_else(|| best(&format!("{kind}/*"))).or_else(|| best("*/*")).unwrap_or(0.0)
    }
}
