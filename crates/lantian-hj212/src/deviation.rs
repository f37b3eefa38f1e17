//! Deviations from the standard that tolerant decoding accepted, recorded per packet.

/// One accepted deviation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Deviation {
    MissingQn,
    MissingFlag,
    MissingPw,
    MissingMn,
    EmptyPw,
    EmptyMn,
    /// MN is not the 24-hex-digit EPC-96 form of HJ 212-2017 (2005-style ids are common).
    ShortMn,
    /// QN is not 17 digits (YYYYMMDDhhmmsszzz).
    BadQn,
    LowercaseCrc,
    NoCrLf,
    /// DataTime carries milliseconds (17 digits).
    MillisecondDataTime,
    UnknownSystem,
    UnknownCommand,
    /// A pollutant code Lantian does not know (kept as sent).
    UnknownCode,
    /// An HJ/T 212-2005 pollutant code, translated to its 2017 code.
    Code2005,
    /// A field suffix the standard does not define (`-ValidNum`, typos), kept as sent.
    VendorSuffix,
    /// A standard suffix in the wrong case (`-flag`).
    SuffixCase,
    /// Header fields out of the standard order.
    FieldOrder,
    UnknownHeaderField,
    /// Accepted because the receiver allows it ([`crate::Limits`]).
    LengthMismatch,
    ModbusCrc,
    /// An empty item or field in the CP area (`;;`).
    EmptyCpItem,
    /// A CP field with an empty value (`DataTime=` in some vendors' requests).
    EmptyValue,
    /// `RF=0` in the header: HJ 212-2025 defines only `RF=1` (a resend); `RF=0` is taken
    /// as live data.
    ResendZero,
}

impl Deviation {
    pub const ALL: [Deviation; 24] = [
        Deviation::MissingQn,
        Deviation::MissingFlag,
        Deviation::MissingPw,
        Deviation::MissingMn,
        Deviation::EmptyPw,
        Deviation::EmptyMn,
        Deviation::ShortMn,
        Deviation::BadQn,
        Deviation::LowercaseCrc,
        Deviation::NoCrLf,
        Deviation::MillisecondDataTime,
        Deviation::UnknownSystem,
        Deviation::UnknownCommand,
        Deviation::UnknownCode,
        Deviation::Code2005,
        Deviation::VendorSuffix,
        Deviation::SuffixCase,
        Deviation::FieldOrder,
        Deviation::UnknownHeaderField,
        Deviation::LengthMismatch,
        Deviation::ModbusCrc,
        Deviation::EmptyCpItem,
        Deviation::EmptyValue,
        Deviation::ResendZero,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Deviation::MissingQn => "missing_qn",
            Deviation::MissingFlag => "missing_flag",
            Deviation::MissingPw => "missing_pw",
            Deviation::MissingMn => "missing_mn",
            Deviation::EmptyPw => "empty_pw",
            Deviation::EmptyMn => "empty_mn",
            Deviation::ShortMn => "short_mn",
            Deviation::BadQn => "bad_qn",
            Deviation::LowercaseCrc => "lowercase_crc",
            Deviation::NoCrLf => "no_crlf",
            Deviation::MillisecondDataTime => "millisecond_datatime",
            Deviation::UnknownSystem => "unknown_system",
            Deviation::UnknownCommand => "unknown_command",
            Deviation::UnknownCode => "unknown_code",
            Deviation::Code2005 => "code_2005",
            Deviation::VendorSuffix => "vendor_suffix",
            Deviation::SuffixCase => "suffix_case",
            Deviation::FieldOrder => "field_order",
            Deviation::UnknownHeaderField => "unknown_header_field",
            Deviation::LengthMismatch => "length_mismatch",
            Deviation::ModbusCrc => "modbus_crc",
            Deviation::EmptyCpItem => "empty_cp_item",
            Deviation::EmptyValue => "empty_value",
            Deviation::ResendZero => "rf_zero",
        }
    }
}

/// A set of deviations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Deviations(u32);

impl Deviations {
    pub fn insert(&mut self, d: Deviation) {
        self.0 |= 1 << d as u8;
    }

    pub fn contains(self, d: Deviation) -> bool {
        self.0 & (1 << d as u8) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Deviation> {
        Deviation::ALL
            .into_iter()
            .filter(move |d| self.contains(*d))
    }
}
