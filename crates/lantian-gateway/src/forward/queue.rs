//! A destination's disk-backed queue: append-only segment files and two cursors.
//!
//! `DIR/NNNNNNNNNNNNNNNNNNNN.seg` holds records from sequence number N on; a record is
//! `0xA5, len u32, seq u64, queued_ms i64, flags u8, frame[len], check u32` (little-endian;
//! `check` is FNV-1a over everything before it), so that a record torn by a crash is found
//! and cut off at the next open. `DIR/acked` holds the highest sequence number up to which
//! every record was answered by the destination; `DIR/sent` the highest ever written to it
//! (a record at or below it and not acknowledged is a resend after a restart: it goes with
//! RF=1). Records are appended by the gateway's writer thread before the devices are
//! acknowledged (written, and flushed with `fdatasync` when `fsync` is on); segments whose
//! records are all acknowledged are deleted.

use std::collections::{BTreeSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MAGIC: u8 = 0xA5;
const HEAD: usize = 1 + 4 + 8 + 8 + 1;
const TAIL: usize = 4;
/// A segment is closed and a new one started beyond this size.
pub const SEGMENT_BYTES: u64 = 4 << 20;
/// The largest frame a record holds (HJ 212 frames are at most a few KiB).
const FRAME_MAX: usize = 1 << 20;
/// Flag bit: the packet goes upstream with RF=1 from its first send (back-fill, resend).
pub const FLAG_RESEND: u8 = 1;

/// A queued packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub queued_ms: i64,
    pub flags: u8,
    pub frame: Vec<u8>,
}

#[derive(Debug)]
struct Segment {
    /// The last sequence number written to it (first - 1 when empty).
    last: u64,
    bytes: u64,
    path: PathBuf,
}

#[derive(Debug)]
struct Inner {
    segments: VecDeque<Segment>,
    active: Option<File>,
    next_seq: u64,
    bytes: u64,
    acked: u64,
    acked_persisted: u64,
    /// Answered out of order, above `acked`.
    acked_above: BTreeSet<u64>,
    sent: u64,
    /// queued_ms of each unacknowledged segment's first record (oldest age).
    oldest_ms: Option<i64>,
}

/// What [`Queue::append`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Appended {
    pub queued: u64,
    /// Refused: the queue had reached its byte limit (always the last ones of the call).
    pub refused_full: u64,
}

#[derive(Debug)]
pub struct Queue {
    dir: PathBuf,
    limit_bytes: u64,
    fsync: bool,
    inner: Mutex<Inner>,
    /// Signalled after each append (the sender waits on it when it has nothing to send).
    pub notify: tokio::sync::Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn fnv(parts: &[&[u8]]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in parts.iter().flat_map(|p| p.iter()) {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn encode(e: &Entry, out: &mut Vec<u8>) {
    let start = out.len();
    out.push(MAGIC);
    out.extend_from_slice(&(e.frame.len() as u32).to_le_bytes());
    out.extend_from_slice(&e.seq.to_le_bytes());
    out.extend_from_slice(&e.queued_ms.to_le_bytes());
    out.push(e.flags);
    out.extend_from_slice(&e.frame);
    let check = fnv(&[&out[start..]]);
    out.extend_from_slice(&check.to_le_bytes());
}

/// The record at the start of `buf`, and its length; None if incomplete or damaged.
fn decode(buf: &[u8]) -> Option<(Entry, usize)> {
    if buf.len() < HEAD + TAIL || buf[0] != MAGIC {
        return None;
    }
    let len = u32::from_le_bytes(buf[1..5].try_into().ok()?) as usize;
    if len > FRAME_MAX || buf.len() < HEAD + len + TAIL {
        return None;
    }
    let check = u32::from_le_bytes(buf[HEAD + len..HEAD + len + TAIL].try_into().ok()?);
    if fnv(&[&buf[..HEAD + len]]) != check {
        return None;
    }
    let e = Entry {
        seq: u64::from_le_bytes(buf[5..13].try_into().ok()?),
        queued_ms: i64::from_le_bytes(buf[13..21].try_into().ok()?),
        flags: buf[21],
        frame: buf[HEAD..HEAD + len].to_vec(),
    };
    Some((e, HEAD + len + TAIL))
}

fn read_cursor(path: &Path) -> std::io::Result<u64> {
    match std::fs::read_to_string(path) {
        Ok(t) => t.trim().parse().map_err(|e| {
            std::io::Error::other(format!(
                "{}: not a sequence number ({e}): {t:?}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

/// Writes a cursor in place: one short write of a fixed width (a sector is written whole).
fn write_cursor(path: &Path, v: u64) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    f.write_all(format!("{v:020}\n").as_bytes())
}

fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.seg"))
}

/// Reads a segment's records; cuts a torn or damaged tail off (a crash mid-append).
fn scan(path: &Path, truncate: bool) -> std::io::Result<(Vec<Entry>, u64)> {
    let buf = std::fs::read(path)?;
    let (mut at, mut entries) = (0, Vec::new());
    while at < buf.len() {
        match decode(&buf[at..]) {
            Some((e, n)) => {
                entries.push(e);
                at += n;
            }
            None => break,
        }
    }
    if at < buf.len() {
        tracing::warn!(
            "forward queue {}: {} bytes after the last whole record cut off (an interrupted append)",
            path.display(),
            buf.len() - at
        );
        if truncate {
            OpenOptions::new()
                .write(true)
                .open(path)?
                .set_len(at as u64)?;
        }
    }
    Ok((entries, at as u64))
}

impl Queue {
    /// Opens (or creates) the queue in `dir`, cutting off a torn last record and deleting
    /// segments already acknowledged.
    pub fn open(dir: &Path, limit_bytes: u64, fsync: bool) -> std::io::Result<Queue> {
        std::fs::create_dir_all(dir)?;
        let acked = read_cursor(&dir.join("acked"))?;
        let sent = read_cursor(&dir.join("sent"))?.max(acked);
        let mut firsts: Vec<u64> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                name.strip_suffix(".seg")?.parse().ok()
            })
            .collect();
        firsts.sort_unstable();
        let mut segments = VecDeque::new();
        let mut next_seq = acked + 1;
        let mut oldest_ms = None;
        for (i, first) in firsts.iter().enumerate() {
            let path = segment_path(dir, *first);
            let (entries, bytes) = scan(&path, i + 1 == firsts.len())?;
            let last = entries.last().map_or(first.saturating_sub(1), |e| e.seq);
            if oldest_ms.is_none() {
                oldest_ms = entries.iter().find(|e| e.seq > acked).map(|e| e.queued_ms);
            }
            next_seq = next_seq.max(last + 1);
            segments.push_back(Segment { last, bytes, path });
        }
        let bytes = segments.iter().map(|s| s.bytes).sum();
        let q = Queue {
            dir: dir.to_owned(),
            limit_bytes,
            fsync,
            inner: Mutex::new(Inner {
                segments,
                active: None,
                next_seq,
                bytes,
                acked,
                acked_persisted: acked,
                acked_above: BTreeSet::new(),
                sent,
                oldest_ms,
            }),
            notify: tokio::sync::Notify::new(),
        };
        q.release(&mut lock(&q.inner))?;
        Ok(q)
    }

    /// Appends packets `(flags, frame)` in order, refusing those that would take the queue
    /// beyond its byte limit; durable (written, and flushed when `fsync`) on return.
    pub fn append(&self, packets: &[(u8, &[u8])], now_ms: i64) -> std::io::Result<Appended> {
        let mut out = Appended::default();
        if packets.is_empty() {
            return Ok(out);
        }
        let mut inner = lock(&self.inner);
        let mut buf = Vec::new();
        for (flags, frame) in packets {
            let size = (HEAD + frame.len() + TAIL) as u64;
            // Once one is refused, so are the rest: the queue keeps their order.
            if out.refused_full > 0
                || inner.bytes + buf.len() as u64 + size > self.limit_bytes
                || frame.len() > FRAME_MAX
            {
                out.refused_full += 1;
                continue;
            }
            let seq = inner.next_seq + out.queued;
            let e = Entry {
                seq,
                queued_ms: now_ms,
                flags: *flags,
                frame: frame.to_vec(),
            };
            encode(&e, &mut buf);
            out.queued += 1;
        }
        if out.queued == 0 {
            return Ok(out);
        }
        let rotate = inner
            .segments
            .back()
            .is_none_or(|s| s.bytes >= SEGMENT_BYTES);
        if rotate || inner.active.is_none() {
            if rotate {
                let first = inner.next_seq;
                inner.segments.push_back(Segment {
                    last: first - 1,
                    bytes: 0,
                    path: segment_path(&self.dir, first),
                });
            }
            let path = inner
                .segments
                .back()
                .map(|s| s.path.clone())
                .unwrap_or_default();
            inner.active = Some(OpenOptions::new().create(true).append(true).open(&path)?);
            if rotate && self.fsync {
                File::open(&self.dir)?.sync_all()?;
            }
        }
        let file = inner.active.as_mut().expect("opened above");
        if let Err(e) = file.write_all(&buf) {
            // A partial record is cut off at the next open; start a fresh segment now.
            inner.active = None;
            if let Some(s) = inner.segments.back_mut() {
                s.bytes = SEGMENT_BYTES;
            }
            return Err(e);
        }
        if self.fsync {
            file.sync_data()?;
        }
        if inner.oldest_ms.is_none() {
            inner.oldest_ms = Some(now_ms);
        }
        inner.next_seq += out.queued;
        inner.bytes += buf.len() as u64;
        let last = inner.next_seq - 1;
        if let Some(s) = inner.segments.back_mut() {
            s.last = last;
            s.bytes += buf.len() as u64;
        }
        drop(inner);
        self.notify.notify_one();
        Ok(out)
    }

    /// Up to `n` records from `reader`'s position on, in order; the reader moves past them.
    pub fn read(&self, reader: &mut Reader, n: usize) -> std::io::Result<Vec<Entry>> {
        let mut out = Vec::new();
        while out.len() < n {
            let (path, end_bytes, last) = {
                let inner = lock(&self.inner);
                let Some(s) = inner.segments.iter().find(|s| s.last >= reader.next) else {
                    return Ok(out);
                };
                (s.path.clone(), s.bytes, s.last)
            };
            if reader.path != path {
                reader.path = path;
                reader.offset = 0;
            }
            if reader.offset >= end_bytes {
                return Ok(out);
            }
            let mut f = File::open(&reader.path)?;
            f.seek(SeekFrom::Start(reader.offset))?;
            let want = (end_bytes - reader.offset).min(2 << 20);
            let mut buf = vec![0; want as usize];
            f.read_exact(&mut buf)?;
            let mut at = 0;
            while out.len() < n {
                let Some((e, len)) = decode(&buf[at..]) else {
                    break;
                };
                at += len;
                if e.seq > last {
                    break;
                }
                if e.seq >= reader.next {
                    reader.next = e.seq + 1;
                    out.push(e);
                }
            }
            if at == 0 {
                return Err(std::io::Error::other(format!(
                    "{}: damaged record at byte {} (expected record {})",
                    reader.path.display(),
                    reader.offset,
                    reader.next
                )));
            }
            reader.offset += at as u64;
        }
        Ok(out)
    }

    /// Marks `seq` answered; the cursor advances over every contiguous answered record.
    pub fn ack(&self, seq: u64) {
        let mut inner = lock(&self.inner);
        if seq <= inner.acked {
            return;
        }
        inner.acked_above.insert(seq);
        loop {
            let next = inner.acked + 1;
            if !inner.acked_above.remove(&next) {
                break;
            }
            inner.acked = next;
        }
    }

    /// Writes the acknowledged cursor if it moved and deletes segments wholly acknowledged.
    pub fn persist(&self) -> std::io::Result<()> {
        let mut inner = lock(&self.inner);
        if inner.acked == inner.acked_persisted {
            return Ok(());
        }
        write_cursor(&self.dir.join("acked"), inner.acked)?;
        inner.acked_persisted = inner.acked;
        self.release(&mut inner)
    }

    fn release(&self, inner: &mut Inner) -> std::io::Result<()> {
        while inner.segments.len() > 1
            && inner
                .segments
                .front()
                .is_some_and(|s| s.last <= inner.acked_persisted)
        {
            let s = inner.segments.pop_front().expect("checked above");
            std::fs::remove_file(&s.path)?;
            inner.bytes -= s.bytes;
        }
        // The active segment, wholly acknowledged and large (or a large part of a small
        // limit): start afresh.
        if let Some(s) = inner.segments.front()
            && inner.segments.len() == 1
            && s.last <= inner.acked_persisted
            && (s.bytes >= SEGMENT_BYTES || s.bytes * 4 > self.limit_bytes)
        {
            let s = inner.segments.pop_front().expect("checked above");
            inner.active = None;
            std::fs::remove_file(&s.path)?;
            inner.bytes -= s.bytes;
        }
        if inner.acked_persisted + 1 >= inner.next_seq {
            inner.oldest_ms = None;
        }
        Ok(())
    }

    /// Records that every record up to `seq` has been written to the destination (before
    /// the write: a restart resends them with RF=1).
    pub fn mark_sent(&self, seq: u64) -> std::io::Result<()> {
        let mut inner = lock(&self.inner);
        if seq <= inner.sent {
            return Ok(());
        }
        write_cursor(&self.dir.join("sent"), seq)?;
        inner.sent = seq;
        Ok(())
    }

    /// Sets the age reference of the oldest unacknowledged record (from the sender, which
    /// knows it).
    pub fn set_oldest(&self, queued_ms: Option<i64>) {
        lock(&self.inner).oldest_ms = queued_ms;
    }

    pub fn state(&self) -> State {
        let inner = lock(&self.inner);
        State {
            acked: inner.acked,
            sent: inner.sent,
            last: inner.next_seq - 1,
            bytes: inner.bytes,
            limit_bytes: self.limit_bytes,
            oldest_ms: inner.oldest_ms,
        }
    }
}

/// Where a sender reads: the next sequence number, in which segment file at which byte.
#[derive(Clone, Debug, Default)]
pub struct Reader {
    pub next: u64,
    path: PathBuf,
    offset: u64,
}

impl Reader {
    pub fn at(next: u64) -> Reader {
        Reader {
            next,
            ..Reader::default()
        }
    }
}

/// A snapshot of a queue's cursors and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    pub acked: u64,
    pub sent: u64,
    pub last: u64,
    pub bytes: u64,
    pub limit_bytes: u64,
    pub oldest_ms: Option<i64>,
}

impl State {
    /// Records queued and not yet answered.
    pub fn pending(&self) -> u64 {
        self.last.saturating_sub(self.acked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lantian-fq-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn records_survive_reopen_torn_tail_is_cut_and_cursors_hold() {
        let d = dir("reopen");
        let q = Queue::open(&d, 1 << 20, false).expect("open");
        let frames: Vec<Vec<u8>> = (0..5).map(|i| format!("##frame{i}").into_bytes()).collect();
        let batch: Vec<(u8, &[u8])> = frames.iter().map(|f| (0, f.as_slice())).collect();
        assert_eq!(q.append(&batch, 7).expect("append").queued, 5);
        q.ack(2);
        q.ack(1);
        q.ack(4);
        q.persist().expect("persist");
        q.mark_sent(4).expect("sent");
        drop(q);
        // A torn append: half a record at the end.
        let seg = segment_path(&d, 1);
        let mut f = OpenOptions::new().append(true).open(&seg).expect("seg");
        f.write_all(&[MAGIC, 50, 0, 0]).expect("torn");
        drop(f);
        let q = Queue::open(&d, 1 << 20, false).expect("reopen");
        let s = q.state();
        assert_eq!((s.acked, s.sent, s.last), (2, 4, 5));
        let rest = q.read(&mut Reader::at(3), 10).expect("read");
        assert_eq!(
            rest.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert_eq!(rest[0].frame, b"##frame2");
        // The torn bytes are gone: a new append follows record 5 directly.
        q.append(&[(FLAG_RESEND, b"##frame5")], 8).expect("append");
        let all = q.read(&mut Reader::at(6), 10).expect("read");
        assert_eq!(all.len(), 1);
        assert_eq!((all[0].seq, all[0].flags), (6, FLAG_RESEND));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_full_queue_refuses_and_resumes_after_acks() {
        let d = dir("full");
        let one = (HEAD + 8 + TAIL) as u64;
        let q = Queue::open(&d, one * 3, false).expect("open");
        let f = b"##framex".as_slice();
        let r = q
            .append(&[(0, f), (0, f), (0, f), (0, f)], 1)
            .expect("append");
        assert_eq!(
            r,
            Appended {
                queued: 3,
                refused_full: 1
            }
        );
        let mut reader = Reader::at(1);
        assert_eq!(q.read(&mut reader, 2).expect("read").len(), 2);
        assert_eq!(q.read(&mut reader, 9).expect("read").len(), 1);
        assert!(q.read(&mut reader, 9).expect("read").is_empty());
        for s in 1..=3 {
            q.ack(s);
        }
        q.persist().expect("persist");
        let s = q.state();
        assert_eq!((s.pending(), s.bytes), (0, 0), "drained and freed");
        let r = q.append(&[(0, f), (0, f)], 2).expect("append");
        assert_eq!(r.queued, 2, "resumes once drained");
        let e = q.read(&mut reader, 9).expect("read");
        assert_eq!(e.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![4, 5]);
        let _ = std::fs::remove_dir_all(&d);
    }
}
