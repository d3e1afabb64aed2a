//! Number helpers that keep floating point out of the binary: decimal
//! strings scaled to integers (`--memory 1.5g`, `--interval 0.5s`) and
//! runc's cpu shares→weight curve in fixed point. Float parsing, printing
//! and libm cost about 30 KB of a static binary; these are a few hundred bytes.

/// `num × scale`, rounded down, for a decimal `num` with an optional
/// fraction ("12", "1.5", ".25"); None when it is not such a number or
/// the result does not fit in u64.
pub fn parse_scaled(num: &str, scale: u64) -> Option<u64> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    let mut v: u128 = 0;
    for b in int.bytes() {
        v = v.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
        if v > u128::from(u64::MAX) {
            return None;
        }
    }
    let mut v = v * u128::from(scale);
    // The fraction: digits beyond 1e-19 of a unit cannot change the result.
    let mut unit = u128::from(scale) * 10u128.pow(19);
    let mut f: u128 = 0;
    for b in frac.bytes().take(19) {
        unit /= 10;
        f += u128::from(b - b'0') * unit;
    }
    v += f / 10u128.pow(19);
    u64::try_from(v).ok()
}

/// Fixed point with 50 fraction bits, as i128 (values here stay below 2^8).
const Q: u32 = 50;
const ONE: i128 = 1 << Q;

/// log2(x) for x ≥ 1, in Q50: the integer part from the bit length, the
/// fraction bit by bit by repeated squaring (Knuth, TAOCP 1.2.2 ex. 25).
fn log2_q(x: u64) -> i128 {
    let int = 63 - x.leading_zeros();
    // m in [1, 2) as Q62.
    let mut m: u128 = (u128::from(x) << 62) >> int;
    let mut frac: i128 = 0;
    for bit in (0..Q).rev() {
        m = (m * m) >> 62;
        if m >= 2 << 62 {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    (i128::from(int) << Q) | frac
}

/// 2^y for y in Q50, 0 ≤ y < 64, in Q50: 2^int times e^(frac·ln 2) by its
/// Taylor series, which converges quickly for frac·ln 2 < 0.7.
fn exp2_q(y: i128) -> u128 {
    const LN2_Q62: u128 = 3_196_577_161_300_663_914; // ln 2 · 2^62
    let int = (y >> Q) as u32;
    let frac = (y & (ONE - 1)) as u128;
    let x = ((frac << 12) * LN2_Q62) >> 62; // Q62
    let (mut sum, mut term) = (1u128 << 62, 1u128 << 62);
    for k in 1..30u128 {
        term = ((term * x) >> 62) / k;
        if term == 0 {
            break;
        }
        sum += term;
    }
    (sum >> 12) << int
}

/// runc's (opencontainers/cgroups) shares→weight, `ceil(10^((l² + 125l)/612
/// − 7/34))` with l = log2(shares): maps 2→1, 1024→100 (both defaults) and
/// 262144→10000. Equal to runc's float result for every shares value (the
/// `shares_to_weight_matches_float` test checks all of them).
pub fn shares_to_weight(shares: u64) -> u64 {
    const LOG2_10_Q50: i128 = 3_740_158_532_571_576; // log2(10) · 2^50
    match shares {
        0 => 0,
        1..=2 => 1,
        262_144.. => 10_000,
        s => {
            let l = log2_q(s);
            let e = (((l * l) >> Q) + 125 * l) / 612 - 7 * ONE / 34;
            let y = (e * LOG2_10_Q50) >> Q;
            let v = exp2_q(y);
            // ceil, with a margin of 2^-30 for the fixed point's rounding
            // (the float result is an exact integer only at the powers of
            // ten, e.g. 1024 → 100).
            let v = v.saturating_sub(1 << (Q - 30));
            ((v + (1 << Q) - 1) >> Q) as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_decimals() {
        assert_eq!(parse_scaled("12", 1), Some(12));
        assert_eq!(parse_scaled("1.5", 1 << 30), Some(3 << 29));
        assert_eq!(parse_scaled(".25", 1000), Some(250));
        assert_eq!(parse_scaled("0.1", 1_000_000_000), Some(100_000_000));
        assert_eq!(parse_scaled("2.", 60), Some(120));
        assert_eq!(parse_scaled("18446744073709551615", 1), Some(u64::MAX));
        assert_eq!(parse_scaled("18446744073709551616", 1), None);
        for bad in ["", ".", "1.2.3", "-1", "1e3", " 1", "x"] {
            assert_eq!(parse_scaled(bad, 1), None, "{bad:?}");
        }
    }

    fn float_weight(s: u64) -> u64 {
        let l = (s as f64).log2();
        let exp = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
        10f64.powf(exp).ceil() as u64
    }

    #[test]
    fn shares_to_weight_matches_float() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 100);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(shares_to_weight(512), 59);
        for s in 3..262_144 {
            assert_eq!(shares_to_weight(s), float_weight(s), "shares {s}");
        }
    }
}
