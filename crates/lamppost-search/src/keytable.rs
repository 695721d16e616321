//! The exact-lookup table of codes: open addressing over a power-of-two array of slots, with
//! linear probing and a fixed hash, so that the table can be written to the index file and
//! used in place after a map ([`crate::persist`]): nothing is rebuilt at open.
//!
//! The hash ([`key_hash`]) is ours and fixed (a 64-bit multiply-xorshift over the key read
//! as little-endian 8-byte words, seeded with the key's length): a hash from a crate could
//! change with its version and silently make every persisted table unreadable. Each slot keeps
//! where its key is in the text arena, its length and 16 bits of its hash, so a lookup reads
//! the slot and (only when the tag matches) the key's bytes, and nothing else. The table is at
//! most half full, so a miss ends after a probe or two.

use bytemuck::{Pod, Zeroable};

use crate::section::Section;

/// One slot: empty when `id1` is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub(crate) struct KeySlot {
    /// Arena offset of the key.
    text: u32,
    /// Pole id + 1 (0: empty).
    id1: u32,
    /// Key length in the low 8 bits, the top 16 bits of the hash above them.
    tag_len: u32,
}

/// The fixed hash of a key (see the module docs). Never change it without bumping
/// [`crate::persist::FORMAT`].
#[must_use]
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (key.len() as u64 ^ 0x243F_6A88_85A3_08D3).wrapping_mul(K);
    for chunk in key.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K);
        h ^= h >> 32;
    }
    h = h.wrapping_mul(K);
    h ^ (h >> 29)
}

fn tag_len(h: u64, len: usize) -> u32 {
    (((h >> 48) as u32) << 8) | (len as u32 & 0xff)
}

/// The table.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyTable {
    slots: Section<KeySlot>,
}

impl KeyTable {
    /// A table of `keys`: (arena offset, length, pole id) each, keys all different.
    pub(crate) fn build(arena: &[u8], keys: impl ExactSizeIterator<Item = (u32, u8, u32)>) -> Self {
        let cap = (keys.len() * 2).max(8).next_power_of_two();
        let mask = cap - 1;
        let mut slots = vec![KeySlot::default(); cap];
        for (text, len, id) in keys {
            let key = arena
                .get(text as usize..text as usize + usize::from(len))
                .unwrap_or(&[]);
            let h = key_hash(key);
            let mut i = h as usize & mask;
            while slots[i].id1 != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = KeySlot {
                text,
                id1: id + 1,
                tag_len: tag_len(h, key.len()),
            };
        }
        Self {
            slots: Section::owned(slots),
        }
    }

    /// A table read from an index file; `None` unless its size is a power of two.
    pub(crate) fn from_section(slots: Section<KeySlot>) -> Option<Self> {
        slots.len().is_power_of_two().then_some(Self { slots })
    }

    /// The slots (to write them).
    pub(crate) fn section(&self) -> &Section<KeySlot> {
        &self.slots
    }

    /// The id stored for `key`.
    #[inline]
    pub(crate) fn find(&self, arena: &[u8], key: &[u8]) -> Option<u32> {
        let slots: &[KeySlot] = &self.slots;
        let mask = slots.len().checked_sub(1)?;
        let h = key_hash(key);
        let want = tag_len(h, key.len());
        let mut i = h as usize & mask;
        // Bounded even for a damaged (full) table.
        for _ in 0..slots.len() {
            let s = slots[i];
            if s.id1 == 0 {
                return None;
            }
            if s.tag_len == want
                && arena.get(s.text as usize..s.text as usize + key.len()) == Some(key)
            {
                return Some(s.id1 - 1);
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_and_no_other() {
        let mut arena = Vec::new();
        let mut keys = Vec::new();
        for i in 0..5000u32 {
            let k = format!("{:07}", i * 7);
            keys.push((arena.len() as u32, k.len() as u8, i));
            arena.extend_from_slice(k.as_bytes());
        }
        let t = KeyTable::build(&arena, keys.iter().copied());
        for i in 0..5000u32 {
            assert_eq!(t.find(&arena, format!("{:07}", i * 7).as_bytes()), Some(i));
            assert_eq!(t.find(&arena, format!("{:07}", i * 7 + 1).as_bytes()), None);
        }
        assert_eq!(t.find(&arena, b""), None);
        // A prefix of a key is not the key.
        assert_eq!(t.find(&arena, b"000000"), None);
        assert_eq!(KeyTable::default().find(&arena, b"0000000"), None);
    }

    #[test]
    fn the_hash_is_fixed() {
        // Persisted tables depend on it: a change must bump the file format.
        assert_eq!(key_hash(b"2450034"), key_hash(b"2450034"));
        assert_ne!(key_hash(b"2450034"), key_hash(b"2450043"));
        assert_ne!(key_hash(b"24500340"), key_hash(b"2450034"));
        assert_eq!(key_hash(b"2450034"), 0xbc69_8e8c_b638_1c62);
    }
}
