//! Hard limits on what a decoder accepts before it allocates or buffers anything.

/// Size limits checked before anything is allocated for a frame.
///
/// The defaults are Redis 7.0's: `proto-max-bulk-len` (512 MiB), a multibulk count
/// up to `INT_MAX`, `PROTO_INLINE_MAX_SIZE` (64 KiB) for inline requests and length
/// lines, plus a nesting depth for the generic [`Decoder`](crate::Decoder).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Longest bulk string (`$<len>`), Redis's `proto-max-bulk-len`. The generic
    /// decoder also applies it to simple strings, errors and big numbers.
    pub max_bulk_len: u64,
    /// Most elements in one multibulk request or aggregate (pairs, for maps and
    /// attributes). Redis accepts up to `INT_MAX`.
    pub max_multibulk_len: u64,
    /// Longest inline request, and longest length/count/number line, while no line
    /// end has arrived (Redis's `PROTO_INLINE_MAX_SIZE`).
    pub max_inline_len: usize,
    /// Deepest nesting of aggregates the generic decoder accepts. Requests read by
    /// [`CommandDecoder`](crate::CommandDecoder) never nest at all.
    pub max_depth: usize,
}

impl Limits {
    /// Redis's default `proto-max-bulk-len`: 512 MiB.
    pub const DEFAULT_MAX_BULK_LEN: u64 = 512 * 1024 * 1024;
    /// Redis's multibulk count limit: `INT_MAX`.
    pub const DEFAULT_MAX_MULTIBULK_LEN: u64 = i32::MAX as u64;
    /// Redis's `PROTO_INLINE_MAX_SIZE`: 64 KiB.
    pub const DEFAULT_MAX_INLINE_LEN: usize = 64 * 1024;
    /// Default nesting depth of the generic decoder. Redis's own replies nest at most
    /// a handful of levels (e.g. `XREAD`, `COMMAND DOCS`); 64 leaves ample room while
    /// keeping recursion over a decoded [`Frame`](crate::Frame) shallow.
    pub const DEFAULT_MAX_DEPTH: usize = 64;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: Self::DEFAULT_MAX_BULK_LEN,
            max_multibulk_len: Self::DEFAULT_MAX_MULTIBULK_LEN,
            max_inline_len: Self::DEFAULT_MAX_INLINE_LEN,
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_redis_defaults() {
        let limits = Limits::default();
        assert_eq!(limits.max_bulk_len, 536_870_912);
        assert_eq!(limits.max_multibulk_len, 2_147_483_647);
        assert_eq!(limits.max_inline_len, 65_536);
        assert_eq!(limits.max_depth, 64);
    }
}
