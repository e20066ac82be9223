//! The streaming decoder: header, then one record per call, then the checksum
//! (`rdbLoadRioWithLoadingCtx` in Redis's rdb.c, read for the record layout).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use bytes::{Bytes, BytesMut};

use crate::format::{magic, opcode, rdb_type};
use crate::header::{parse_header, Header, Magic};
use crate::input::Input;
use crate::item::{Checksum, Encoding, Item, Key};
use crate::value::Value;
use crate::{module, objects, stream, Error, Result};

/// Reads an RDB stream record by record.
///
/// Works over any [`Read`]: a file, a socket during a full resync, a `&[u8]`.
/// It buffers on its own (a `BufReader` adds nothing), tracks the stream
/// offset (every error names one), and computes the CRC-64 of everything
/// before the 8-byte trailer, which it checks at the end (a stored 0 skips the
/// check, as Redis does; files before version 5 have none).
///
/// Keys whose collection is empty are skipped, as Redis skips them
/// ([`empty_keys_skipped`](Decoder::empty_keys_skipped) counts them). After
/// [`Item::Eof`] or an error, the decoder yields nothing more; bytes after the
/// trailer (an AOF tail) stay unread, see [`into_parts`](Decoder::into_parts).
#[derive(Debug)]
pub struct Decoder<R> {
    input: Input<R>,
    header: Option<Header>,
    state: State,
    db: u64,
    /// Set by EXPIRETIME/IDLE/FREQ, used by the next key (kept across other
    /// opcodes, as Redis keeps them).
    pending: Pending,
    empty_keys_skipped: u64,
    /// Small collections as [`Value::Packed`] (see [`Decoder::keep_packed`]).
    packed: bool,
    /// Where short keys are carved out (keys are usually dropped soon after).
    key_arena: BytesMut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Records,
    Done,
    Failed,
}

/// What the opcodes before a key said about it.
#[derive(Debug, Default, Clone, Copy)]
struct Pending {
    expire_ms: Option<i64>,
    lru_idle: Option<u64>,
    lfu_freq: Option<u8>,
}

impl<R: Read> Decoder<R> {
    /// A decoder reading from `reader`.
    pub fn new(reader: R) -> Decoder<R> {
        Decoder {
            input: Input::new(reader),
            header: None,
            state: State::Records,
            db: 0,
            pending: Pending::default(),
            empty_keys_skipped: 0,
            packed: false,
            key_arena: BytesMut::new(),
        }
    }

    /// Yields listpack-encoded lists (quicklist 2), sets, hashes and sorted sets
    /// as [`Value::Packed`], checked but not unpacked, for loaders that convert
    /// them in one pass (see [`Packed`](crate::Packed)). Off by default.
    pub fn keep_packed(&mut self, on: bool) -> &mut Self {
        self.packed = on;
        self
    }

    /// The file's header, read now if no record was read yet.
    pub fn header(&mut self) -> Result<Header> {
        if let Some(header) = self.header {
            return Ok(header);
        }
        let mut bytes = Vec::with_capacity(magic::HEADER_LEN);
        while bytes.len() < magic::HEADER_LEN && !self.input.at_end()? {
            bytes.push(self.input.u8("the header")?);
            // Report a wrong byte as soon as it is seen.
            parse_header(&bytes)?;
        }
        match parse_header(&bytes)? {
            Some(header) => {
                self.header = Some(header);
                Ok(header)
            }
            None => Err(Error::UnexpectedEof {
                offset: bytes.len() as u64,
                expected: "the header",
            }),
        }
    }

    /// Stream offset of the next byte to read.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// How many keys were skipped because their value was empty.
    pub fn empty_keys_skipped(&self) -> u64 {
        self.empty_keys_skipped
    }

    /// The reader and the bytes read from it beyond what was decoded (after
    /// [`Item::Eof`]: whatever followed the RDB, such as an AOF tail).
    pub fn into_parts(self) -> (R, Vec<u8>) {
        self.input.into_parts()
    }

    /// The next record, `Ok(None)` after the end.
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        if self.state != State::Records {
            return Ok(None);
        }
        match self.record() {
            Ok(item) => {
                if matches!(item, Item::Eof { .. }) {
                    self.state = State::Done;
                }
                Ok(Some(item))
            }
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    fn record(&mut self) -> Result<Item> {
        let header = self.header()?;
        loop {
            let at = self.input.offset();
            let byte = self.input.u8("a record type")?;
            let input = &mut self.input;
            match byte {
                opcode::EXPIRETIME => {
                    let secs = i32::from_le_bytes(input.array("an expire time")?);
                    self.pending.expire_ms = Some(i64::from(secs) * 1000);
                }
                opcode::EXPIRETIME_MS => {
                    self.pending.expire_ms = Some(input.i64_le("an expire time")?);
                }
                opcode::FREQ => self.pending.lfu_freq = Some(input.u8("an LFU frequency")?),
                opcode::IDLE => self.pending.lru_idle = Some(input.len("an LRU idle time")?),
                opcode::EOF => return self.trailer(header),
                opcode::SELECTDB => {
                    self.db = input.len("a database number")?;
                    return Ok(Item::SelectDb { db: self.db });
                }
                opcode::RESIZEDB => {
                    let db_size = input.len("a database size")?;
                    let expires_size = input.len("an expires size")?;
                    return Ok(Item::ResizeDb {
                        db_size,
                        expires_size,
                    });
                }
                opcode::SLOT_INFO => {
                    let slot = input.len("a slot number")?;
                    let slot_size = input.len("a slot size")?;
                    let expires_slot_size = input.len("a slot expires size")?;
                    return Ok(Item::SlotInfo {
                        slot,
                        slot_size,
                        expires_slot_size,
                    });
                }
                opcode::AUX => {
                    let key = Bytes::from(input.string("an aux field name")?);
                    let value = Bytes::from(input.string("an aux field value")?);
                    return Ok(Item::Aux { key, value });
                }
                opcode::MODULE_AUX => {
                    let (module_id, when, raw) = module::read_aux(input)?;
                    return Ok(Item::ModuleAux {
                        module_id,
                        name: module::module_name(module_id),
                        when,
                        raw,
                    });
                }
                opcode::FUNCTION2 => {
                    let code = Bytes::from(input.string("a function library")?);
                    return Ok(Item::Function { code });
                }
                opcode::FUNCTION_PRE_GA => return function_pre_ga(input),
                opcode::VALKEY_UPDATE | opcode::VALKEY_SLOT_IMPORT
                    if header.magic == Magic::Valkey =>
                {
                    return Err(Error::Unsupported {
                        offset: at,
                        what: format!("Valkey opcode {byte} (slot migration records)"),
                    });
                }
                rdb_type::MODULE_PRE_GA => {
                    return Err(Error::Unsupported {
                        offset: at,
                        what: "a module value of Redis 4.0 release candidates (type 6), which \
                               cannot be skipped without its module"
                            .into(),
                    });
                }
                rdb_type::VALKEY_PATH_HASH if header.magic == Magic::Valkey => {
                    return Err(Error::Unsupported {
                        offset: at,
                        what: "Valkey value type 23".into(),
                    });
                }
                _ => {
                    let Some(encoding) = Encoding::from_type(byte, header.magic) else {
                        return Err(Error::UnknownType { offset: at, byte });
                    };
                    let pending = std::mem::take(&mut self.pending);
                    if let Some(key) = self.key(encoding, pending)? {
                        return Ok(Item::Key(key));
                    }
                    self.empty_keys_skipped += 1;
                }
            }
        }
    }

    fn key(&mut self, encoding: Encoding, pending: Pending) -> Result<Option<Key>> {
        let key = self.input.string_in(&mut self.key_arena, "a key")?;
        let at = self.input.offset();
        let decoded = match encoding {
            Encoding::Module => {
                let value = module::read_value(&mut self.input)?;
                Some((Value::Module(value), encoding))
            }
            Encoding::StreamListpacks | Encoding::StreamListpacks2 | Encoding::StreamListpacks3 => {
                Some((stream::read(&mut self.input, encoding)?, encoding))
            }
            _ => objects::read(&mut self.input, encoding, at, self.packed)?,
        };
        Ok(decoded.map(|(value, encoding)| Key {
            db: self.db,
            key,
            expire_ms: pending.expire_ms,
            lru_idle: pending.lru_idle,
            lfu_freq: pending.lfu_freq,
            value,
            encoding,
        }))
    }

    /// After the EOF opcode: the checksum, if the version has one.
    fn trailer(&mut self, header: Header) -> Result<Item> {
        if !header.has_checksum() {
            return Ok(Item::Eof {
                checksum: Checksum::Absent,
            });
        }
        let computed = self.input.crc();
        let offset = self.input.offset();
        let stored = u64::from_le_bytes(self.input.array("the checksum")?);
        let checksum = if stored == 0 {
            Checksum::Disabled
        } else if stored == computed {
            Checksum::Verified(stored)
        } else {
            return Err(Error::ChecksumMismatch {
                offset,
                computed,
                stored,
            });
        };
        Ok(Item::Eof { checksum })
    }
}

/// `FUNCTION` of Redis 7.0-rc1/rc2: name, engine, optional description, code.
fn function_pre_ga<R: Read>(input: &mut Input<R>) -> Result<Item> {
    let name = Bytes::from(input.string("a function library name")?);
    let engine = Bytes::from(input.string("a function engine name")?);
    let has_description = input.len("a function description flag")?;
    let description = if has_description != 0 {
        let text = input.string("a function description")?;
        Some(String::from_utf8_lossy(&text).into_owned())
    } else {
        None
    };
    let code = Bytes::from(input.string("a function library")?);
    Ok(Item::FunctionPreGa {
        name,
        engine,
        description,
        code,
    })
}

impl<R: Read> Iterator for Decoder<R> {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Result<Item>> {
        self.next_item().transpose()
    }
}

/// Decodes a whole RDB held in memory, up to and including [`Item::Eof`].
pub fn decode(bytes: &[u8]) -> Result<Vec<Item>> {
    Decoder::new(bytes).collect()
}

/// Decodes a whole RDB file.
///
/// Reads through a plain `File` with large reads: a memory map would need
/// `unsafe` and turns a file truncated while mapped into SIGBUS, for no gain
/// over a decoder that buffers anyway.
pub fn decode_file(path: impl AsRef<Path>) -> Result<Vec<Item>> {
    let file = File::open(path).map_err(|e| Error::Io {
        offset: 0,
        kind: e.kind(),
        message: e.to_string(),
    })?;
    Decoder::new(file).collect()
}
