//! Redis Cluster hash slots, so a key's lock lives in the same slot as its
//! token set and one Lua script can check the lock and write the tokens
//! (a script may only touch keys of one slot).
//!
//! The slot of a key is CRC16 (XMODEM) of the key modulo 16384, or of its
//! hash tag: the text between the first `{` and the next `}`, when that is
//! not empty.

const SLOTS: u16 = 16384;

/// CRC16-CCITT as Redis Cluster uses it (XMODEM: polynomial 0x1021, no
/// reflection, initial value 0).
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The part of `key` that is hashed: its hash tag, or all of it.
fn hashed_part(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// The cluster slot of `key`.
pub(crate) fn slot(key: &str) -> u16 {
    crc16(hashed_part(key.as_bytes())) % SLOTS
}

/// A short hash tag (lowercase hex, no braces) whose slot is `target`: the
/// first of `0`, `1`, ... that lands there, so every process picks the same.
pub(crate) fn tag_for(target: u16) -> String {
    (0u32..)
        .map(|n| format!("{n:x}"))
        .find(|t| crc16(t.as_bytes()) % SLOTS == target)
        .expect("every slot has a hex tag")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_cluster_keyslot() {
        // Values of CLUSTER KEYSLOT on a real server.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(slot("foo"), 12182);
        assert_eq!(slot("{user1000}.following"), slot("user1000"));
        assert_eq!(slot("foo{}{bar}"), crc16(b"foo{}{bar}") % SLOTS);
        assert_eq!(slot("foo{{bar}}zap"), slot("{bar"));
    }

    #[test]
    fn a_tag_exists_for_every_slot_probed() {
        for target in [0, 1, 5000, 12182, 16383] {
            let tag = tag_for(target);
            assert_eq!(slot(&format!("x{{{tag}}}y")), target);
        }
    }
}
