//! The HJ 212 CRC16 (Appendix A of HJ 212-2017) and the two Modbus variants some firmware
//! sends instead.
//!
//! HJ 212: register 0xFFFF; per byte `crc = (crc >> 8) ^ b`, then 8 reflected shifts with
//! 0xA001. Unlike CRC-16/MODBUS (`crc ^= b`), the old low byte is discarded, so before each
//! step only the register's high byte matters (see `POWERS`).

/// `SHIFTS[x]`: eight reflected shift/xor steps (polynomial 0xA001) applied to `x`.
const SHIFTS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u16;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xA001
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// `POWERS[k][x]` = M^(k+1)·x, where M·x is the high byte of `SHIFTS[x]`.
///
/// After the first step the HJ 212 register is one byte, `s' = M·(s ⊕ b)`, and M is linear
/// over GF(2) (a CRC table is), so eight bytes fold into one step:
/// `s₈ = M⁸(s ⊕ b₀) ⊕ M⁷b₁ ⊕ … ⊕ M¹b₇` ("slicing by 8"). Only the first lookup is on the
/// dependency chain, which makes the CRC several times faster than byte by byte.
const POWERS: [[u8; 256]; 8] = {
    let mut t = [[0u8; 256]; 8];
    let mut x = 0;
    while x < 256 {
        t[0][x] = (SHIFTS[x] >> 8) as u8;
        x += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut x = 0;
        while x < 256 {
            t[k][x] = t[0][t[k - 1][x] as usize];
            x += 1;
        }
        k += 1;
    }
    t
};

/// HJ 212 CRC16 over the data segment (the bytes between the length field and the CRC).
pub fn crc16_hj212(data: &[u8]) -> u16 {
    let Some((&last, body)) = data.split_last() else {
        return 0xFFFF;
    };
    let p = &POWERS;
    let mut s: u8 = 0xFF;
    let mut chunks = body.chunks_exact(8);
    for c in &mut chunks {
        s = p[7][usize::from(s ^ c[0])]
            ^ p[6][usize::from(c[1])]
            ^ p[5][usize::from(c[2])]
            ^ p[4][usize::from(c[3])]
            ^ p[3][usize::from(c[4])]
            ^ p[2][usize::from(c[5])]
            ^ p[1][usize::from(c[6])]
            ^ p[0][usize::from(c[7])];
    }
    for &b in chunks.remainder() {
        s = p[0][usize::from(s ^ b)];
    }
    SHIFTS[usize::from(s ^ last)]
}

/// The same CRC one byte at a time (one table lookup per byte, the usual implementation):
/// kept as the reference for tests and as the "bare CRC pass" of the benchmarks.
pub fn crc16_hj212_bytewise(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc = SHIFTS[usize::from((crc >> 8) as u8 ^ b)];
    }
    crc
}

/// CRC-16/MODBUS, printed high byte first (what some encoders send by mistake).
pub fn crc16_modbus(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc = (crc >> 8) ^ SHIFTS[usize::from(crc as u8 ^ b)];
    }
    crc
}

/// Which CRC a packet carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CrcVariant {
    Hj212,
    /// CRC-16/MODBUS, high byte first.
    Modbus,
    /// CRC-16/MODBUS with its bytes swapped (Modbus wire order).
    ModbusSwapped,
}

impl CrcVariant {
    pub fn name(self) -> &'static str {
        match self {
            CrcVariant::Hj212 => "hj212",
            CrcVariant::Modbus => "crc16-modbus",
            CrcVariant::ModbusSwapped => "crc16-modbus-byte-swapped",
        }
    }
}

/// The variant whose value equals `found`, if any (HJ 212 first).
pub fn identify(data: &[u8], found: u16) -> Option<CrcVariant> {
    if crc16_hj212(data) == found {
        return Some(CrcVariant::Hj212);
    }
    let m = crc16_modbus(data);
    if m == found {
        Some(CrcVariant::Modbus)
    } else if m.swap_bytes() == found {
        Some(CrcVariant::ModbusSwapped)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit-by-bit algorithm exactly as the standard prints it.
    fn reference(data: &[u8]) -> u16 {
        let mut crc: u16 = 0xFFFF;
        for &b in data {
            crc = (crc >> 8) ^ u16::from(b);
            for _ in 0..8 {
                let lsb = crc & 1;
                crc >>= 1;
                if lsb != 0 {
                    crc ^= 0xA001;
                }
            }
        }
        crc
    }

    const APPENDIX_A: &[u8] = b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";

    /// Checklist §10 item 31.
    #[test]
    fn appendix_a_segment_gives_1c80_and_modbus_0759() {
        assert_eq!(APPENDIX_A.len(), 101);
        assert_eq!(crc16_hj212(APPENDIX_A), 0x1C80);
        assert_eq!(crc16_modbus(APPENDIX_A), 0x0759);
        assert_eq!(identify(APPENDIX_A, 0x0759), Some(CrcVariant::Modbus));
        assert_eq!(
            identify(APPENDIX_A, 0x5907),
            Some(CrcVariant::ModbusSwapped)
        );
        assert_eq!(identify(APPENDIX_A, 0x1234), None);
    }

    #[test]
    fn table_driven_crc_equals_the_standard_algorithm() {
        let mut data = Vec::new();
        for i in 0..2000u32 {
            data.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
            assert_eq!(
                crc16_hj212(&data),
                reference(&data),
                "length {}",
                data.len()
            );
            assert_eq!(
                crc16_hj212_bytewise(&data),
                reference(&data),
                "length {}",
                data.len()
            );
        }
    }
}
