//! When and where a JPEG photo was taken, from its EXIF: a small TIFF reader over the APP1
//! `Exif\0\0` segment (IFD0 → Exif IFD `DateTimeOriginal` and `OffsetTimeOriginal`, GPS
//! IFD latitude and longitude with their N/S and E/W references).
//!
//! Hand-written rather than a crate because it needs four tags and must take hostile bytes
//! (evidence uploads from anyone with an account): every read is bounds-checked, offsets
//! and counts are capped, and nothing recurses, so it never panics and never loops (a
//! property test throws random and truncated bytes at it).

use crate::cst;
use crate::date::Date;

/// What the EXIF says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exif {
    /// `DateTimeOriginal` as written, `YYYY:MM:DD HH:MM:SS` (local time of the camera);
    /// `DateTime` of IFD0 when there is no original.
    pub taken: Option<String>,
    /// `OffsetTimeOriginal` as written (`+08:00`), if any.
    pub offset: Option<String>,
    /// Degrees, south negative.
    pub lat: Option<f64>,
    /// Degrees, west negative.
    pub lon: Option<f64>,
}

impl Exif {
    /// The time taken as Unix milliseconds: with its offset when written, else read as
    /// Beijing time (a phone in the county). `None` if absent or not a real time.
    pub fn taken_unix_ms(&self) -> Option<i64> {
        let t = self.taken.as_deref()?.trim();
        let b = t.as_bytes();
        if b.len() < 19 || b[4] != b':' || b[7] != b':' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let s = t.get(r)?;
            s.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| s.parse().ok())
                .flatten()
        };
        let date = Date::new(
            i32::try_from(num(0..4)?).ok()?,
            u32::try_from(num(5..7)?).ok()?,
            u32::try_from(num(8..10)?).ok()?,
        )?;
        let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || m > 59 || s > 60 {
            return None;
        }
        let local_s = date.days_since_epoch() * cst::DAY_S + h * 3600 + m * 60 + s;
        let offset_s = match self.offset.as_deref().map(str::trim) {
            Some(o) if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
                let oh: i64 = o.get(1..3)?.parse().ok()?;
                let om: i64 = o.get(4..6)?.parse().ok()?;
                let v = oh * 3600 + om * 60;
                if o.starts_with('-') { -v } else { v }
            }
            _ => cst::OFFSET_S,
        };
        Some((local_s - offset_s) * 1000)
    }
}

/// Largest number of entries read from one IFD.
const IFD_ENTRIES_MAX: usize = 512;
/// Largest number of JPEG segments walked before giving up.
const SEGMENTS_MAX: usize = 256;

/// Reads the EXIF of a JPEG; `None` when the bytes are not a JPEG with an EXIF segment.
pub fn read(jpeg: &[u8]) -> Option<Exif> {
    let tiff = exif_segment(jpeg)?;
    parse_tiff(tiff)
}

/// The TIFF bytes of the first APP1 `Exif\0\0` segment.
fn exif_segment(b: &[u8]) -> Option<&[u8]> {
    if b.get(0..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut i = 2usize;
    for _ in 0..SEGMENTS_MAX {
        // Fill bytes 0xFF may precede a marker.
        while b.get(i)? == &0xFF && b.get(i + 1)? == &0xFF {
            i += 1;
        }
        if *b.get(i)? != 0xFF {
            return None;
        }
        let marker = *b.get(i + 1)?;
        i += 2;
        match marker {
            0xD8 | 0x01 | 0xD0..=0xD7 => continue,
            // Start of scan or end of image: no EXIF before the picture data.
            0xDA | 0xD9 => return None,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
        if len < 2 {
            return None;
        }
        let body = b.get(i + 2..i.checked_add(len)?)?;
        if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
            return Some(&body[6..]);
        }
        i += len;
    }
    None
}

#[derive(Clone, Copy)]
struct Tiff<'a> {
    b: &'a [u8],
    le: bool,
}

/// One IFD entry: tag, type, count and the offset of its value within the TIFF.
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    value_at: usize,
}

impl<'a> Tiff<'a> {
    fn u16(&self, at: usize) -> Option<u16> {
        let s = self.b.get(at..at.checked_add(2)?)?;
        let a = [s[0], s[1]];
        Some(if self.le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let s = self.b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    /// The entries of the IFD at `at` (no chaining to the next IFD).
    fn ifd(&self, at: usize) -> Option<Vec<Entry>> {
        let n = usize::from(self.u16(at)?).min(IFD_ENTRIES_MAX);
        let mut out = Vec::with_capacity(n);
        for k in 0..n {
            let e = at.checked_add(2 + 12 * k)?;
            let (tag, kind, count) = (self.u16(e)?, self.u16(e + 2)?, self.u32(e + 4)?);
            let size = type_size(kind).and_then(|s| s.checked_mul(count as usize));
            let value_at = match size {
                Some(s) if s <= 4 => e + 8,
                _ => self.u32(e + 8)? as usize,
            };
            out.push(Entry {
                tag,
                kind,
                count,
                value_at,
            });
        }
        Some(out)
    }

    fn ascii(&self, e: &Entry) -> Option<String> {
        if e.kind != 2 {
            return None;
        }
        let bytes = self
            .b
            .get(e.value_at..e.value_at.checked_add(e.count as usize)?)?;
        let text: String = bytes
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| char::from(c))
            .collect();
        let text = text.trim().to_owned();
        (!text.is_empty() && text.chars().all(|c| c.is_ascii_graphic() || c == ' ')).then_some(text)
    }

    /// Degrees of three RATIONALs (degrees, minutes, seconds).
    fn dms(&self, e: &Entry) -> Option<f64> {
        if e.kind != 5 || e.count != 3 {
            return None;
        }
        let mut v = [0.0; 3];
        for (k, slot) in v.iter_mut().enumerate() {
            let at = e.value_at.checked_add(8 * k)?;
            let (num, den) = (self.u32(at)?, self.u32(at + 4)?);
            if den == 0 {
                return None;
            }
            *slot = f64::from(num) / f64::from(den);
        }
        let deg = v[0] + v[1] / 60.0 + v[2] / 3600.0;
        deg.is_finite().then_some(deg)
    }
}

fn type_size(kind: u16) -> Option<usize> {
    match kind {
        1 | 2 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 11 => Some(4),
        5 | 10 | 12 => Some(8),
        _ => None,
    }
}

fn parse_tiff(b: &[u8]) -> Option<Exif> {
    let le = match b.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let t = Tiff { b, le };
    if t.u16(2)? != 42 {
        return None;
    }
    let ifd0 = t.ifd(t.u32(4)? as usize)?;
    let mut exif = Exif::default();
    let pointer = |entries: &[Entry], tag: u16| -> Option<usize> {
        let e = entries
            .iter()
            .find(|e| e.tag == tag && (e.kind == 4 || e.kind == 13))?;
        t.u32(e.value_at).map(|v| v as usize)
    };
    let mut fallback_time = ifd0
        .iter()
        .find(|e| e.tag == 0x0132)
        .and_then(|e| t.ascii(e));
    if let Some(entries) = pointer(&ifd0, 0x8769).and_then(|at| t.ifd(at)) {
        for e in &entries {
            match e.tag {
                0x9003 => exif.taken = t.ascii(e),
                0x9004 if fallback_time.is_none() => fallback_time = t.ascii(e),
                0x9011 => exif.offset = t.ascii(e),
                _ => {}
            }
        }
    }
    if exif.taken.is_none() {
        exif.taken = fallback_time;
    }
    if let Some(entries) = pointer(&ifd0, 0x8825).and_then(|at| t.ifd(at)) {
        let find = |tag: u16| entries.iter().find(|e| e.tag == tag);
        let reference = |tag: u16| find(tag).and_then(|e| t.ascii(e));
        let lat = find(0x0002).and_then(|e| t.dms(e)).filter(|v| *v <= 90.0);
        let lon = find(0x0004).and_then(|e| t.dms(e)).filter(|v| *v <= 180.0);
        exif.lat = lat.map(|v| {
            if reference(0x0001).as_deref() == Some("S") {
                -v
            } else {
                v
            }
        });
        exif.lon = lon.map(|v| {
            if reference(0x0003).as_deref() == Some("W") {
                -v
            } else {
                v
            }
        });
    }
    Some(exif)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a TIFF with IFD0 → Exif IFD (DateTimeOriginal, OffsetTimeOriginal) and GPS IFD.
    struct W {
        le: bool,
        out: Vec<u8>,
    }

    impl W {
        fn u16(&mut self, v: u16) {
            let b = if self.le {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            };
            self.out.extend_from_slice(&b);
        }
        fn u32(&mut self, v: u32) {
            let b = if self.le {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            };
            self.out.extend_from_slice(&b);
        }
        fn entry(&mut self, tag: u16, kind: u16, count: u32, value: u32) {
            self.u16(tag);
            self.u16(kind);
            self.u32(count);
            if kind == 2 && count <= 4 {
                // Inline ASCII: the bytes themselves, left-justified.
                self.out.extend_from_slice(&value.to_be_bytes());
            } else {
                self.u32(value);
            }
        }
    }

    /// A JPEG with that EXIF: SOI, APP0, APP1 Exif, SOS, EOI.
    pub(crate) fn jpeg(
        le: bool,
        taken: &str,
        offset: Option<&str>,
        lat: (f64, char),
        lon: (f64, char),
    ) -> Vec<u8> {
        let mut w = W {
            le,
            out: Vec::new(),
        };
        w.out.extend_from_slice(if le { b"II" } else { b"MM" });
        w.u16(42);
        w.u32(8);
        // IFD0 at 8: two entries.
        let ifd0_len = 2 + 2 * 12 + 4;
        let exif_at = 8 + ifd0_len;
        let n_exif = if offset.is_some() { 2 } else { 1 };
        let exif_len = 2 + n_exif * 12 + 4;
        let gps_at = exif_at + exif_len;
        let gps_len = 2 + 4 * 12 + 4;
        let data_at = gps_at + gps_len;
        let taken_at = data_at;
        let offset_at = taken_at + 20;
        let lat_at = offset_at + 7;
        let lon_at = lat_at + 24;
        w.u16(2);
        w.entry(0x8769, 4, 1, exif_at as u32);
        w.entry(0x8825, 4, 1, gps_at as u32);
        w.u32(0);
        w.u16(n_exif as u16);
        w.entry(0x9003, 2, 20, taken_at as u32);
        if offset.is_some() {
            w.entry(0x9011, 2, 7, offset_at as u32);
        }
        w.u32(0);
        w.u16(4);
        w.entry(0x0001, 2, 2, u32::from(lat.1 as u8) << 24);
        w.entry(0x0002, 5, 3, lat_at as u32);
        w.entry(0x0003, 2, 2, u32::from(lon.1 as u8) << 24);
        w.entry(0x0004, 5, 3, lon_at as u32);
        w.u32(0);
        let mut t = taken.as_bytes().to_vec();
        t.resize(20, 0);
        w.out.extend_from_slice(&t);
        let mut o = offset.unwrap_or("").as_bytes().to_vec();
        o.resize(7, 0);
        w.out.extend_from_slice(&o);
        for v in [lat.0, lon.0] {
            // Degrees, minutes, seconds ×10000.
            let d = v.floor();
            let m = ((v - d) * 60.0).floor();
            let s = ((v - d) * 60.0 - m) * 60.0;
            for (num, den) in [
                (d as u32, 1),
                (m as u32, 1),
                ((s * 10000.0).round() as u32, 10000),
            ] {
                w.u32(num);
                w.u32(den);
            }
        }
        let tiff = w.out;
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        j.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        j.extend_from_slice(&[0xFF, 0xE1]);
        j.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
        j.extend_from_slice(b"Exif\0\0");
        j.extend_from_slice(&tiff);
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9]);
        j
    }

    #[test]
    fn time_and_position_are_read_in_both_byte_orders() {
        for le in [true, false] {
            let j = jpeg(
                le,
                "2025:03:10 14:05:09",
                Some("+08:00"),
                (37.9218, 'N'),
                (115.2104, 'E'),
            );
            let e = read(&j).expect("exif");
            assert_eq!(e.taken.as_deref(), Some("2025:03:10 14:05:09"));
            assert_eq!(e.offset.as_deref(), Some("+08:00"));
            assert!((e.lat.unwrap() - 37.9218).abs() < 1e-6, "{e:?}");
            assert!((e.lon.unwrap() - 115.2104).abs() < 1e-6, "{e:?}");
            let want = (Date::new(2025, 3, 10).unwrap().days_since_epoch() * 86_400
                + 6 * 3600
                + 5 * 60
                + 9)
                * 1000;
            assert_eq!(e.taken_unix_ms(), Some(want));
        }
    }

    #[test]
    fn south_and_west_are_negative_and_a_missing_offset_means_beijing_time() {
        let j = jpeg(true, "2025:03:10 08:00:00", None, (33.5, 'S'), (70.25, 'W'));
        let e = read(&j).expect("exif");
        assert!((e.lat.unwrap() + 33.5).abs() < 1e-6);
        assert!((e.lon.unwrap() + 70.25).abs() < 1e-6);
        assert_eq!(e.offset, None);
        assert_eq!(
            e.taken_unix_ms(),
            Some(Date::new(2025, 3, 10).unwrap().days_since_epoch() * 86_400_000)
        );
        let bad = Exif {
            taken: Some("2025:02:30 08:00:00".into()),
            ..Exif::default()
        };
        assert_eq!(bad.taken_unix_ms(), None);
    }

    #[test]
    fn files_without_exif_give_none() {
        let cases: [&[u8]; 5] = [
            b"",
            b"\x89PNG\r\n\x1a\n",
            &[0xFF, 0xD8, 0xFF, 0xD9],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xDA],
            &[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01],
        ];
        for c in cases {
            assert_eq!(read(c), None, "{c:?}");
        }
    }

    #[test]
    fn random_truncated_and_flipped_bytes_never_panic() {
        let good = jpeg(
            false,
            "2025:03:10 14:05:09",
            Some("+08:00"),
            (37.9, 'N'),
            (115.2, 'E'),
        );
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for cut in 0..good.len() {
            let _ = read(&good[..cut]);
        }
        for _ in 0..20_000 {
            let mut j = good.clone();
            for _ in 0..(next() % 6 + 1) {
                let at = (next() as usize) % j.len();
                j[at] = next() as u8;
            }
            let _ = read(&j);
        }
        for _ in 0..2_000 {
            let n = (next() % 300) as usize;
            let mut j: Vec<u8> = (0..n).map(|_| next() as u8).collect();
            if n > 12 {
                j[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1]);
                j[6..12].copy_from_slice(b"Exif\0\0");
            }
            let _ = read(&j);
        }
    }
}
