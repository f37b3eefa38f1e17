//! A sans-IO codec for HJ 212, the data-transmission standard of Chinese environmental
//! monitoring (HJ/T 212-2005, HJ 212-2017, HJ 212-2025).
//!
//! This crate has no networking code and reads no clock: it turns bytes into packets and
//! packets into bytes, and callers pass in any time it needs. It depends on nothing else in
//! Lantian, so it can be fuzzed, benchmarked and published alone.
//!
//! * [`frame::check`] finds whole frames in a receive buffer without allocating;
//! * [`decode`] validates a frame (HJ 212 CRC, length, size) and decodes its data segment
//!   and CP area, recording each tolerated [`Deviation`]; what it cannot accept is a
//!   [`DecodeError`] that names the reason (`crc`, `length`, `oversize`, a field);
//! * [`decode_typed`] also types every CP value (numbers, data flags, times);
//! * [`sm4`] decrypts and encrypts the data area of HJ 212-2025 packets (SM4-ECB);
//! * [`encode`] builds replies (9011/9012/9013/9014) and host commands; [`split`]
//!   splits and reassembles PNUM/PNO packets.
//!
//! ```
//! use lantian_hj212::{decode, Limits};
//! let frame = b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";
//! let p = decode(frame, &Limits::default()).unwrap();
//! assert_eq!(p.cn.0, 1062);
//! assert_eq!(p.cp_value("RtdInterval"), Some("30"));
//! ```

pub mod codes;
pub mod crc;
pub mod deviation;
pub mod encode;
pub mod error;
pub mod frame;
pub mod packet;
pub mod sentinel;
pub mod sm4;
pub mod split;
pub mod time;
pub mod typed;

pub use codes::{Command, DataFlag, Edition, Flag};
pub use crc::{CrcVariant, crc16_hj212};
pub use deviation::{Deviation, Deviations};
pub use error::DecodeError;
pub use frame::{Check, Limits, check};
pub use packet::{CpField, Packet, Suffix, decode};
pub use time::Timestamp;
pub use typed::{TypedField, Value, decode_typed};
