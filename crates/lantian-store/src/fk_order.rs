//! Foreign-key order: each table after the tables it refers to (Kahn's algorithm), shared
//! by the Citus layout (reference tables) and `lantian migrate` (copy order).

use std::collections::{BTreeMap, BTreeSet};

/// The tables in foreign-key order, as waves: a wave's tables refer only to tables of
/// earlier waves or to tables not listed. Where foreign keys form a cycle, the first pending
/// table by name is placed alone to break it, and named in the second value.
pub(crate) fn waves(
    refers_to: &BTreeMap<String, BTreeSet<String>>,
) -> (Vec<Vec<String>>, Vec<String>) {
    let (mut out, mut forced) = (Vec::new(), Vec::new());
    let mut placed: BTreeSet<&String> = BTreeSet::new();
    while placed.len() < refers_to.len() {
        let ready: Vec<String> = refers_to
            .iter()
            .filter(|(t, parents)| {
                !placed.contains(t)
                    && parents
                        .iter()
                        .all(|p| p == *t || placed.contains(p) || !refers_to.contains_key(p))
            })
            .map(|(t, _)| t.clone())
            .collect();
        let wave = if ready.is_empty() {
            let first = refers_to.keys().find(|t| !placed.contains(t));
            forced.extend(first.cloned());
            first.into_iter().cloned().collect()
        } else {
            ready
        };
        for t in &wave {
            if let Some((k, _)) = refers_to.get_key_value(t) {
                placed.insert(k);
            }
        }
        out.push(wave);
    }
    (out, forced)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        edges
            .iter()
            .map(|(t, ps)| (t.to_string(), ps.iter().map(|p| p.to_string()).collect()))
            .collect()
    }

    #[test]
    fn tables_come_after_what_they_refer_to_and_a_cycle_is_broken_by_name() {
        let g = graph(&[
            ("users", &["units"]),
            ("units", &["units"]),
            ("audit", &["users", "elsewhere"]),
            ("a", &[]),
        ]);
        let (w, forced) = waves(&g);
        assert_eq!(w, vec![vec!["a", "units"], vec!["users"], vec!["audit"]]);
        assert!(forced.is_empty());
        let g = graph(&[("x", &["y"]), ("y", &["x"]), ("z", &["y"])]);
        let (w, forced) = waves(&g);
        assert_eq!(w, vec![vec!["x"], vec!["y"], vec!["z"]]);
        assert_eq!(forced, vec!["x"]);
    }
}
