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

/// Collects parts per device, command, part count and `DataTime` (every part of a split
/// upload repeats its `DataTime`): a part lost from one upload never lets the next upload's
/// parts complete the stale group under the old time. Sans-IO: the caller passes the time.
#[derive(Debug)]
pub struct Reassembler {
    groups: HashMap<(String, u16, u32, String), Group>,
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
        let data_time = p
            .fields
            .iter()
            .find(|f| f.name == "DataTime")
            .map_or("", |f| f.value);
        let key = (
            p.mn.unwrap_or_default().to_owned(),
            p.cn.0,
            num,
            data_time.to_owned(),
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Command;
    use crate::{Limits, decode};

    fn parts(minute: u32) -> Vec<Vec<u8>> {
        let h = Header {
            qn: None,
            st: "31",
            cn: Command(2051),
            pw: Some("123456"),
            mn: Some("MN1"),
            flag: Some(Flag(5)),
            pnum: None,
            pno: None,
            resend: false,
        };
        let items = ["a21026-Avg=1.0", "a21002-Avg=2.0", "a34013-Avg=3.0"];
        let repeat = format!("DataTime=202611200{minute}0000");
        split(&h, &repeat, &items, 120, |i| format!("2026112000000{i:04}"))
    }

    #[test]
    fn a_lost_part_leaves_its_group_and_the_next_upload_completes_on_its_own() {
        let (first, second) = (parts(1), parts(2));
        assert!(first.len() >= 2, "{} parts", first.len());
        let lim = Limits::default();
        let mut r = Reassembler::default();
        // The first upload's last part is lost.
        for f in &first[..first.len() - 1] {
            assert!(matches!(
                r.push(&decode(f, &lim).unwrap(), 0),
                Reassembly::Pending { .. }
            ));
        }
        let mut done = None;
        for f in &second {
            match r.push(&decode(f, &lim).unwrap(), 1) {
                Reassembly::Pending { .. } => {}
                Reassembly::Complete { fields, .. } => done = Some(fields),
                other => panic!("{other:?}"),
            }
        }
        let fields = done.expect("the second upload completes");
        assert_eq!(fields[0].value, "20261120020000", "under its own time");
        assert_eq!(fields.len(), 4);
        assert_eq!(
            r.pending_groups(),
            1,
            "the first upload's parts wait to expire"
        );
        assert_eq!(r.expire(1000), 1);
    }
}
