//! One key of a database — its value, expiry time, access stamp and the key's bytes —
//! in a single heap block behind a thin pointer.
//!
//! Why not a plain struct in the table: a database's table keeps its slots at a load
//! factor of roughly one half (hashbrown grows at 7/8 and halves again on a split), so
//! every byte of a slot costs about two. A 88-byte inline entry (a `Bytes` key, the
//! value, expiry, stamp) cost ~175 bytes of table per key plus the key's own
//! allocation; an 8-byte pointer costs ~16, and the key rides in the same block as
//! the rest. Redis pays for the same with `dictEntry` + key `sds` + `robj`.
//!
//! Block layout (one allocation, aligned like [`Value`]):
//!
//! ```text
//! offset 0            size_of::<Header>()          + 8 if the key is huge
//! Header {value,       [u64 key length, only when      key bytes
//!  expire_at, lru,      key_len == u32::MAX]
//!  key_len: u32}
//! ```
//!
//! Keys shorter than `u32::MAX` bytes (all of them in practice) keep their length
//! in the header; longer ones, which `proto-max-bulk-len` allows in principle, store
//! it in the 8 bytes after the header instead, so no key length is ever refused.

// The one place in the crate that manages memory by hand: a thin owning pointer to
// a header followed by bytes (what `Box<(Header, [u8])>` would be if it were thin).
#![allow(unsafe_code)]

use std::alloc::{self, Layout};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ptr::{self, NonNull};

use crate::keyspace::Now;
use crate::value::Value;

/// `expire_at` of a key without a TTL. Real expiry times are never this small: the
/// expire commands reject or delete anything at or before "now".
const NO_EXPIRE: i64 = i64::MIN;

/// `Header::key_len` of a key whose length is stored after the header.
const HUGE_KEY: u32 = u32::MAX;

/// The fixed part of a block.
#[repr(C)]
struct Header {
    value: Value,
    /// Unix time in ms after which the key is gone, or [`NO_EXPIRE`].
    /// Invariant (kept by `db.rs`): a key has a TTL iff its hash is in `Db::expires`.
    expire_at: i64,
    /// Redis's 24-bit `lru` field: last access time or LFU counter (`access.rs`).
    lru: u32,
    /// The key's length, or [`HUGE_KEY`].
    key_len: u32,
}

/// A key, its value and its expiry time: an owning thin pointer to its block.
pub(crate) struct Entry {
    block: NonNull<Header>,
    /// Owns a `Header` (for drop check and auto traits' reasoning).
    _owns: PhantomData<Header>,
}

// SAFETY: an `Entry` owns its block exclusively, as a `Box<Header>` would, and hands
// out references only through `&self`/`&mut self`; it is Send/Sync when `Header` is,
// which the assertion below checks at compile time.
unsafe impl Send for Entry {}
// SAFETY: as above.
unsafe impl Sync for Entry {}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Value>();
};

/// The block's layout for a key of `key_len` bytes, and the offset of the key.
fn layout(key_len: usize) -> (Layout, usize) {
    let extra = if key_len >= HUGE_KEY as usize {
        mem::size_of::<u64>()
    } else {
        0
    };
    let size = mem::size_of::<Header>() + extra + key_len;
    // A key long enough to overflow this cannot have been read into memory.
    let layout = Layout::from_size_align(size, mem::align_of::<Header>())
        .expect("a key that fits in memory fits in a block");
    (layout, mem::size_of::<Header>() + extra)
}

impl Entry {
    /// A new key with `value`, no TTL, and the access stamp `lru`. The key's bytes are
    /// copied (out of the client's read buffer, see `Value::string_from_arg`).
    pub(crate) fn new(key: &[u8], value: Value, lru: u32) -> Entry {
        let (layout, key_at) = layout(key.len());
        let key_len = u32::try_from(key.len())
            .ok()
            .filter(|&n| n != HUGE_KEY)
            .unwrap_or(HUGE_KEY);
        // SAFETY: the layout has a non-zero size (it holds a `Header`).
        let raw = unsafe { alloc::alloc(layout) };
        let Some(block) = NonNull::new(raw.cast::<Header>()) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: `raw` is a fresh allocation of `layout`: a `Header` at offset 0
        // (aligned), then, for a huge key, 8 bytes of length at `size_of::<Header>()`
        // (a multiple of 8, so aligned for `u64`), then `key.len()` bytes at `key_at`.
        unsafe {
            block.as_ptr().write(Header {
                value,
                expire_at: NO_EXPIRE,
                lru,
                key_len,
            });
            if key_len == HUGE_KEY {
                let len_at = raw.add(mem::size_of::<Header>()).cast::<u64>();
                len_at.write(key.len() as u64);
            }
            ptr::copy_nonoverlapping(key.as_ptr(), raw.add(key_at), key.len());
        }
        Entry {
            block,
            _owns: PhantomData,
        }
    }

    /// Asks the CPU to start loading the block (a hint; it never faults), for
    /// walks that know which entries they will read next: the block is a cache
    /// miss otherwise, and a SAVE is mostly such misses (measured: a third of it).
    #[inline]
    pub(crate) fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch only hints the cache; it reads nothing and cannot
        // fault, whatever the address (here a live block's).
        #[allow(unused_unsafe)]
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(self.block.as_ptr().cast::<i8>());
        }
    }

    /// [`Entry::prefetch`] for what a string value points to (its bytes live in
    /// an allocation of their own): for walks that prefetched the block itself
    /// earlier, so reading the value's pointer here costs no miss.
    #[inline]
    pub(crate) fn prefetch_value(&self) {
        #[cfg(target_arch = "x86_64")]
        if let crate::value::Value::Str(bytes) = &self.header().value {
            // SAFETY: as in `prefetch`: a hint that reads nothing.
            #[allow(unused_unsafe)]
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch::<_MM_HINT_T0>(bytes.as_ptr().cast::<i8>());
            }
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the block holds an initialised `Header` for as long as `self` lives.
        unsafe { self.block.as_ref() }
    }

    fn header_mut(&mut self) -> &mut Header {
        // SAFETY: as in `header`; `&mut self` makes the access exclusive.
        unsafe { self.block.as_mut() }
    }

    fn key_len(&self) -> usize {
        match self.header().key_len {
            HUGE_KEY => {
                // SAFETY: a huge key's length was written right after the header.
                let at = unsafe { self.block.as_ptr().add(1).cast::<u64>() };
                // SAFETY: as above; the key was in memory, so its length fits a usize.
                unsafe { at.read() as usize }
            }
            n => n as usize,
        }
    }

    /// The key's bytes.
    pub(crate) fn key(&self) -> &[u8] {
        let len = self.key_len();
        let (_, key_at) = layout(len);
        // SAFETY: `len` bytes were copied to `key_at` in `new` and live as long as
        // the block; `&self` keeps them from being freed or written meanwhile.
        unsafe {
            let start = self.block.as_ptr().cast::<u8>().add(key_at);
            std::slice::from_raw_parts(start, len)
        }
    }

    /// The key, copied out, giving up the rest of the entry.
    pub(crate) fn into_key(self) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(self.key())
    }

    pub(crate) fn value(&self) -> &Value {
        &self.header().value
    }

    pub(crate) fn value_mut(&mut self) -> &mut Value {
        &mut self.header_mut().value
    }

    /// Gives the value up, freeing the rest of the entry.
    pub(crate) fn into_value(self) -> Value {
        let this = ManuallyDrop::new(self);
        let (layout, _) = layout(this.key_len());
        // SAFETY: the value is read out exactly once and the block is then freed
        // without dropping it again (`ManuallyDrop` skips `Entry::drop`).
        unsafe {
            let value = ptr::addr_of!((*this.block.as_ptr()).value).read();
            alloc::dealloc(this.block.as_ptr().cast::<u8>(), layout);
            value
        }
    }

    /// The expiry time, if the key has one.
    pub(crate) fn expire_at(&self) -> Option<i64> {
        let at = self.header().expire_at;
        (at != NO_EXPIRE).then_some(at)
    }

    /// Sets the expiry time (`None` removes it); returns whether there was one.
    pub(crate) fn set_expire_at(&mut self, when: Option<i64>) -> bool {
        let had = self.header().expire_at != NO_EXPIRE;
        self.header_mut().expire_at = when.unwrap_or(NO_EXPIRE);
        had
    }

    /// The access stamp.
    pub(crate) fn lru(&self) -> u32 {
        self.header().lru
    }

    pub(crate) fn set_lru(&mut self, lru: u32) {
        self.header_mut().lru = lru;
    }

    /// Redis's `keyIsExpired()`: a key expires once the time is strictly past its
    /// expiry time.
    pub(crate) fn is_expired(&self, now: i64) -> bool {
        let at = self.header().expire_at;
        at != NO_EXPIRE && now > at
    }

    /// [`Entry::is_expired`], reading the clock only for a key with a TTL.
    /// Never true for a replica's master link, which sees every key as live.
    pub(crate) fn is_expired_lazy(&self, now: &mut Now) -> bool {
        let at = self.header().expire_at;
        at != NO_EXPIRE && now.expiry != crate::keyspace::Expiry::MasterLink && now.get() > at
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let (layout, _) = layout(self.key_len());
        // SAFETY: the header is initialised and dropped only here; the block was
        // allocated with this layout (the key length never changes).
        unsafe {
            ptr::drop_in_place(self.block.as_ptr());
            alloc::dealloc(self.block.as_ptr().cast::<u8>(), layout);
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("key", &String::from_utf8_lossy(self.key()))
            .field("value", self.value())
            .field("expire_at", &self.expire_at())
            .field("lru", &self.lru())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn a_slot_is_one_pointer() {
        assert_eq!(mem::size_of::<Entry>(), mem::size_of::<usize>());
        assert_eq!(mem::size_of::<Option<Entry>>(), mem::size_of::<usize>());
        // Header + a 16-byte key fit glibc's and jemalloc's 80-byte size class.
        assert!(
            mem::size_of::<Header>() <= 56,
            "{}",
            mem::size_of::<Header>()
        );
    }

    #[test]
    fn keeps_key_value_expiry_and_stamp() {
        for key in [&b""[..], b"k", b"key:123456", &[0xff; 300][..]] {
            let mut e = Entry::new(key, Value::Str(Bytes::from_static(b"v")), 7);
            assert_eq!(e.key(), key);
            assert_eq!(e.lru(), 7);
            assert_eq!(e.expire_at(), None);
            assert!(!e.set_expire_at(Some(100)));
            assert_eq!(e.expire_at(), Some(100));
            assert!(e.is_expired(101) && !e.is_expired(100));
            assert!(e.set_expire_at(None));
            assert!(!e.is_expired(i64::MAX));
            e.set_lru(9);
            *e.value_mut() = Value::Int(5);
            assert_eq!(e.value(), &Value::Int(5));
            assert_eq!(e.lru(), 9);
            assert_eq!(e.into_value(), Value::Int(5));
        }
    }

    #[test]
    fn drops_its_value() {
        let shared = Bytes::from(vec![1u8; 64]);
        let e = Entry::new(b"k", Value::Str(shared.clone()), 0);
        assert!(!shared.is_unique());
        drop(e);
        assert!(shared.is_unique());
    }

    #[test]
    fn entries_move_and_stay_intact() {
        let mut all: Vec<Entry> = (0..1000u32)
            .map(|i| Entry::new(format!("key:{i}").as_bytes(), Value::Int(i.into()), i))
            .collect();
        all.reverse();
        all.shrink_to_fit();
        for (i, e) in all.iter().rev().enumerate() {
            assert_eq!(e.key(), format!("key:{i}").as_bytes());
            assert_eq!(e.value(), &Value::Int(i as i64));
        }
    }
}
