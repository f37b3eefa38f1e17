//! The journal's encoding of one packet's observations: a compact binary row in archive.db,
//! written when the packet is acknowledged and read back once, when it is projected.
//!
//! Per observation: station and code (u16 length + UTF-8), period (its name, u8 length +
//! ASCII), ts (i64), value (f64 bits), flag (u16 length + UTF-8); integers little-endian.

use crate::model::{Observation, Period, SmolStr};

pub fn encode(obs: &[Observation]) -> Vec<u8> {
    let mut out = Vec::with_capacity(obs.len() * 40);
    for o in obs {
        text16(&mut out, &o.station_id);
        text16(&mut out, &o.code);
        let p = o.period.as_str();
        out.push(p.len() as u8);
        out.extend_from_slice(p.as_bytes());
        out.extend_from_slice(&o.ts.to_le_bytes());
        out.extend_from_slice(&o.value.to_bits().to_le_bytes());
        text16(&mut out, &o.flag);
    }
    out
}

fn text16(out: &mut Vec<u8>, s: &str) {
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

/// Decodes a row written by [`encode`]; the error names the byte offset where it went wrong.
pub fn decode(mut b: &[u8]) -> Result<Vec<Observation>, String> {
    let len = b.len();
    let mut out = Vec::new();
    let at = |rest: &[u8]| len - rest.len();
    while !b.is_empty() {
        let start = at(b);
        let bad = |what: &str| format!("journal row: {what} of observation at byte {start}");
        let station_id = take_text16(&mut b).ok_or_else(|| bad("station"))?;
        let code = take_text16(&mut b).ok_or_else(|| bad("code"))?;
        let n = usize::from(
            *take(&mut b, 1)
                .ok_or_else(|| bad("period"))?
                .first()
                .unwrap_or(&0),
        );
        let period = take(&mut b, n)
            .and_then(|p| std::str::from_utf8(p).ok())
            .and_then(Period::parse)
            .ok_or_else(|| bad("period"))?;
        let ts = take(&mut b, 8).ok_or_else(|| bad("ts"))?;
        let value = take(&mut b, 8).ok_or_else(|| bad("value"))?;
        let flag = take_text16(&mut b).ok_or_else(|| bad("flag"))?;
        out.push(Observation {
            station_id,
            code,
            period,
            ts: i64::from_le_bytes(ts.try_into().unwrap_or_default()),
            value: f64::from_bits(u64::from_le_bytes(value.try_into().unwrap_or_default())),
            flag,
        });
    }
    Ok(out)
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if b.len() < n {
        return None;
    }
    let (head, tail) = b.split_at(n);
    *b = tail;
    Some(head)
}

fn take_text16(b: &mut &[u8]) -> Option<SmolStr> {
    let n = take(b, 2)?;
    let n = usize::from(u16::from_le_bytes([n[0], n[1]]));
    let t = take(b, n)?;
    std::str::from_utf8(t).ok().map(SmolStr::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(code: &str, period: Period, value: f64) -> Observation {
        Observation {
            station_id: "辛集-1".into(),
            code: code.into(),
            period,
            ts: -86_400 * 3 + 17,
            value,
            flag: "N".into(),
        }
    }

    #[test]
    fn round_trips_every_period_and_awkward_values() {
        let all = vec![
            obs("a34004", Period::Rtd, 35.5),
            obs("a21005", Period::Min, -0.0),
            obs("a05024", Period::Hour, 1e300),
            obs("", Period::Day, f64::MIN_POSITIVE),
        ];
        assert_eq!(decode(&encode(&all)).unwrap(), all);
        assert_eq!(decode(&encode(&[])).unwrap(), vec![]);
    }

    #[test]
    fn a_truncated_or_damaged_row_is_an_error_naming_the_offset() {
        let one = encode(&[obs("a34004", Period::Hour, 1.0)]);
        let two = [one.clone(), one.clone()].concat();
        for cut in 1..one.len() {
            let e = decode(&two[..one.len() + cut]).unwrap_err();
            assert!(e.contains(&format!("at byte {}", one.len())), "{e}");
        }
        let mut bad_period = one.clone();
        let p = 2 + "辛集-1".len() + 2 + "a34004".len() + 1;
        bad_period[p] = b'x';
        assert!(decode(&bad_period).unwrap_err().contains("period"));
    }
}
