//! Split packets (PNUM/PNO): splitting a long CP area into parts, and reassembling the
//! parts a device sends into one set of fields.

use crate::codes::Flag;
use crate::encode::{Header, encode, segment};
use crate::packet::Packet;
use std::collections::HashMap;

/// Splits `items` (the `;`-separated items of a CP area) into frames whose data segments
/// fit in `segment_bytes_max`, each with PNUM/PNO and the D bit set. Every part repeats
/// `repeat` (e.g. `DataTime=…`) first. QNs are `qns(part_index)`.
pub fn split(
    h: &Header<'_>,
    repeat: &str,
    items: &[&str],
    segment_bytes_max: usize,
    qns: impl Fn(usize) -> String,
) -> Vec<Vec<u8>> {
    let overhead = segment(
        &Header {
            pnum: Some(9999),
            pno: Some(9999),
            qn: Some("00000000000000000"),
            ..h.clone()
        },
        repeat,
    )
    .len()
        + 1;
    let budget = segment_bytes_max.saturating_sub(overhead).max(1);
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    for item in items {
        if !cur.is_empty() && cur.len() + 1 + item.len() > budget {
            parts.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(';');
        }
        cur.push_str(item);
    }
    parts.push(cur);
    let n = parts.len() as u32;
    let flag = h.flag.map(|f| Flag(f.0 | 2));
    parts
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let qn = qns(i);
            let cp = if repeat.is_empty() {
                body.clone()
            } else {
                format!("{repeat};{body}")
            };
            encode(
                &Header {
                    qn: Some(&qn),
                    flag,
                    pnum: Some(n),
                    pno: Some(i as u32 + 1),
                    ..h.clone()
                },
                &cp,
            )
        })
        .collect()
}

/// A field of a reassembled packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedField {
    pub name: String,
    pub value: String,
}

/// What pushing a part gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reassembly {
    /// Not a split packet: use it as it is.
    Single,
    /// Waiting for more parts.
    Pending { have: u32, of: u32 },
    /// All parts arrived: the fields of parts 1..=PNUM in order (a repeated `DataTime`
    /// kept once), and each part's QN.
    Complete {
        fields: Vec<OwnedField>,
        qns: Vec<String>,
    },
    /// The same part number arrived twice; the first copy is kept.
    Duplicate,
}

#[derive(Clone, Debug, Default)]
struct Group {
    parts: HashMap<u32, (Vec<OwnedField>, String)>,
    first_seen_s: u64,
}

/// Collects parts per device and command. Sans-IO: the caller passes the time.
#[derive(Debug)]
pub struct Reassembler {
    groups: HashMap<(String, u16, u32), Group>,
    /// Incomplete groups older than this are dropped by [`Reassembler::expire`].
    pub timeout_s: u64,
    /// At most this many incomplete groups are kept; the oldest goes first.
    pub groups_max: usize,
}

impl Default for Reassembler {
    fn default() -> Reassembler {
        Reassembler {
            groups: HashMap::new(),
            timeout_s: 120,
            groups_max: 1024,
        }
    }
}

impl Reassembler {
    pub fn push(&mut self, p: &Packet<'_>, now_s: u64) -> Reassembly {
        let (Some(num), Some(no)) = (p.pnum, p.pno) else {
            return Reassembly::Single;
        };
        let key = (p.mn.unwrap_or_default().to_owned(), p.cn.0, num);
        if !self.groups.contains_key(&key)
            && self.groups.len() >= self.groups_max
            && let Some(oldest) = self
                .groups
                .iter()
                .min_by_key(|(_, g)| g.first_seen_s)
                .map(|(k, _)| k.clone())
        {
            self.groups.remove(&oldest);
        }
        let g = self.groups.entry(key.clone()).or_insert_with(|| Group {
            parts: HashMap::new(),
            first_seen_s: now_s,
        });
        if g.parts.contains_key(&no) {
            return Reassembly::Duplicate;
        }
        let fields = p
            .fields
            .iter()
            .map(|f| OwnedField {
                name: f.name.to_owned(),
                value: f.value.to_owned(),
            })
            .collect();
        g.parts
            .insert(no, (fields, p.qn.unwrap_or_default().to_owned()));
        let have = g.parts.len() as u32;
        if have < num {
            return Reassembly::Pending { have, of: num };
        }
        let Some(mut g) = self.groups.remove(&key) else {
            return Reassembly::Pending { have, of: num };
        };
        let mut fields: Vec<OwnedField> = Vec::new();
        let mut qns = Vec::new();
        for i in 1..=num {
            let Some((part, qn)) = g.parts.remove(&i) else {
                continue;
            };
            qns.push(qn);
            for f in part {
                if f.name == "DataTime" && fields.iter().any(|x| x.name == "DataTime") {
                    continue;
                }
                fields.push(f);
            }
        }
        Reassembly::Complete { fields, qns }
    }

    /// Drops incomplete groups older than `timeout_s`; returns how many were dropped.
    pub fn expire(&mut self, now_s: u64) -> usize {
        let before = self.groups.len();
        let timeout = self.timeout_s;
        self.groups
            .retain(|_, g| now_s.saturating_sub(g.first_seen_s) < timeout);
        before - self.groups.len()
    }

    pub fn pending_groups(&self) -> usize {
        self.groups.len()
    }
}
