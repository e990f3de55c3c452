//! Cursor pagination: `?limit=&cursor=` in, `{data, next_cursor}` out.

use crate::error::ErrorCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u64,
    pub cursor: Option<Uuid>,
}

impl PageRequest {
    /// Parses the raw query values; the cursor is opaque to clients.
    pub fn parse(limit: Option<u64>, cursor: Option<&str>) -> DomainResult<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(DomainError::validation(
                "limit",
                ErrorCode::OutOfRange,
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let cursor = cursor
            .filter(|c| !c.is_empty())
            .map(|c| {
                URL_SAFE_NO_PAD.decode(c).ok().and_then(|bytes| Uuid::from_slice(&bytes).ok()).ok_or_else(|| {
                    DomainError::validation("cursor", ErrorCode::InvalidCursor, "not a cursor returned by this API")
                })
            })
            .transpose()?;
        Ok(Self { limit, cursor })
    }
}

/// The cursor that continues a list after the row keyed `id` (GraphQL gives one per edge).
pub fn cursor_for(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` were fetched with `limit + 1`: the extra row only says that more follow.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, key: impl Fn(&T) -> Uuid) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = if more { rows.last().map(|r| cursor_for(key(r))) } else { None };
        Self { data: rows, next_cursor }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { data: self.data.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }

    /// [`Self::map`] for a conversion that can fail (a stored row the code cannot read).
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page { data: self.data.into_iter().map(f).collect::<Result<_, E>>()?, next_cursor: self.next_cursor })
    }
}
