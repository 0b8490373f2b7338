//! Observation input and output: the wide part of an observation, stored apart from its row in
//! `observation_payloads` (migration 0012; since 0028 keyed by an integer that the observation's
//! row holds, `payload_id`), so that lists and aggregates over observations read
//! narrow rows and only the reads that return input and output touch them.
//!
//! A stored payload is the JSON text, zstd-compressed where the store asks for it
//! ([`PayloadCodec`]). The format describes itself: a zstd frame starts with zstd's magic number,
//! which JSON text never does, so plain and compressed payloads (and rows copied from before
//! compression) read back alike. Encoding runs in the request that carries the observation, not
//! on the single writer.
//!
//! A trace's input and output are encoded the same way but stay in the trace's row: SQLite's
//! untyped column holds a compressed frame (rows written before hold the text), PostgreSQL's
//! `TEXT` column the text. [`StoredPayload`] reads either from either backend.

use std::cell::RefCell;

use serde_json::Value;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Postgres, Sqlite, Type};

use crate::error::{StoreError, StoreResult};
use crate::sql::Arg;

/// How a store wants payloads encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadCodec {
    /// zstd (SQLite: the file holds about a third of the text's size).
    Zstd,
    /// The JSON text as it is (PostgreSQL: its TOAST compression applies, and SQL can read the
    /// text for filters).
    Plain,
}

/// The first bytes of every zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Shorter texts are stored plain: a frame's header would eat the saving.
const MIN_COMPRESSED_LEN: usize = 64;
/// zstd's fast levels compress prose about 3× at hundreds of MB/s.
const ZSTD_LEVEL: i32 = 1;
/// Largest payload a stored frame may claim to hold (a damaged header must not allocate more).
const MAX_DECODED_LEN: u64 = 256 * 1024 * 1024;

thread_local! {
    // A zstd context costs more to make than to compress a few KB with: one per thread, reused.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

fn compress(text: &[u8]) -> std::io::Result<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let compressor = match cell.as_mut() {
            Some(compressor) => compressor,
            None => cell.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
        };
        compressor.compress(text)
    })
}

fn decompress(frame: &[u8]) -> std::io::Result<Vec<u8>> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let size = zstd::zstd_safe::get_frame_content_size(frame)
        .map_err(|_| invalid("bad frame header"))?
        .ok_or_else(|| invalid("frame without a content size"))?;
    if size > MAX_DECODED_LEN {
        return Err(invalid("frame too large"));
    }
    DECOMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let decompressor = match cell.as_mut() {
            Some(decompressor) => decompressor,
            None => cell.insert(zstd::bulk::Decompressor::new()?),
        };
        decompressor.decompress(frame, size as usize)
    })
}

/// The stored form of a JSON value.
pub fn encode(value: &Option<Value>, codec: PayloadCodec) -> Option<Vec<u8>> {
    let text = value.as_ref()?.to_string().into_bytes();
    if codec == PayloadCodec::Plain || text.len() < MIN_COMPRESSED_LEN {
        return Some(text);
    }
    match compress(&text) {
        Ok(compressed) if compressed.len() < text.len() => Some(compressed),
        _ => Some(text),
    }
}

/// The bind value of a JSON value stored in a text column that may hold a compressed payload
/// (a trace's input and output): bytes where the store compresses, the text where it does not
/// (PostgreSQL's column is `TEXT`).
pub(crate) fn encode_arg(value: &Option<Value>, codec: PayloadCodec) -> Arg {
    match codec {
        PayloadCodec::Zstd => Arg::Bytes(encode(value, codec)),
        PayloadCodec::Plain => Arg::from(value.as_ref().map(Value::to_string)),
    }
}

/// A trace's stored input or output as read from either backend: on SQLite a compressed frame
/// (`BLOB`) or the text, on PostgreSQL the text; [`decode`] turns either back into JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredPayload(pub Vec<u8>);

impl StoredPayload {
    /// Reads column `index` of a row read by the SQLite writer's own connection.
    pub(crate) fn from_sqlite(
        row: &rusqlite::Row<'_>,
        index: usize,
    ) -> rusqlite::Result<Option<StoredPayload>> {
        Ok(match row.get_ref(index)? {
            rusqlite::types::ValueRef::Text(bytes) | rusqlite::types::ValueRef::Blob(bytes) => {
                Some(StoredPayload(bytes.to_vec()))
            }
            _ => None,
        })
    }
}

impl Type<Sqlite> for StoredPayload {
    fn type_info() -> SqliteTypeInfo {
        <Vec<u8> as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <Vec<u8> as Type<Sqlite>>::compatible(ty) || <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Sqlite> for StoredPayload {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        // SQLite hands out a text value's bytes as a blob.
        Ok(StoredPayload(
            <&[u8] as Decode<Sqlite>>::decode(value)?.to_vec(),
        ))
    }
}

impl Type<Postgres> for StoredPayload {
    fn type_info() -> PgTypeInfo {
        <String as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <String as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for StoredPayload {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(StoredPayload(
            <&str as Decode<Postgres>>::decode(value)?
                .as_bytes()
                .to_vec(),
        ))
    }
}

/// The JSON text of a stored payload.
pub(crate) fn decode_text(stored: &[u8]) -> StoreResult<String> {
    let bytes = if stored.starts_with(&ZSTD_MAGIC) {
        decompress(stored).map_err(|e| StoreError::Corrupt(format!("stored payload: {e}")))?
    } else {
        stored.to_vec()
    };
    String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(format!("stored payload: {e}")))
}

/// The JSON value of a stored payload.
pub(crate) fn decode(stored: Option<Vec<u8>>) -> StoreResult<Option<Value>> {
    let parse = |bytes: &[u8]| {
        serde_json::from_slice(bytes)
            .map_err(|e| StoreError::Corrupt(format!("stored payload JSON: {e}")))
    };
    stored
        .map(|stored| {
            if stored.starts_with(&ZSTD_MAGIC) {
                let text = decompress(&stored)
                    .map_err(|e| StoreError::Corrupt(format!("stored payload: {e}")))?;
                parse(&text)
            } else {
                // Plain text parses where it lies: no copy.
                parse(&stored)
            }
        })
        .transpose()
}

/// The SQL of an observation's stored `column` (`input` or `output`), for a query whose
/// observation table is named `observations`.
pub(crate) fn column_sql(column: &str) -> String {
    format!(
        "(SELECT p.{column} FROM observation_payloads p \
         WHERE p.payload_id = observations.payload_id)"
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn payloads_read_back_whatever_their_encoding() {
        let long = Some(json!({"messages": vec!["the same words again and again "; 20]}));
        let short = Some(json!("hi"));
        for value in [&long, &short, &None] {
            for codec in [PayloadCodec::Zstd, PayloadCodec::Plain] {
                let stored = encode(value, codec);
                assert_eq!(&decode(stored).unwrap(), value);
            }
        }
        let compressed = encode(&long, PayloadCodec::Zstd).unwrap();
        assert!(compressed.starts_with(&ZSTD_MAGIC));
        assert!(compressed.len() < long.as_ref().unwrap().to_string().len() / 3);
        assert_eq!(encode(&short, PayloadCodec::Zstd).unwrap(), b"\"hi\"");
    }

    #[test]
    fn a_damaged_payload_is_reported_not_guessed() {
        let mut damaged = ZSTD_MAGIC.to_vec();
        damaged.extend_from_slice(b"not a frame");
        assert!(matches!(decode_text(&damaged), Err(StoreError::Corrupt(_))));
    }
}
