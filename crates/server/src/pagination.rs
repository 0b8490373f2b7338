//! Page-based pagination as Langfuse does it (wire-spec §0): `page` ≥ 1 (default 1) and `limit`
//! 1..=100 (default 50; an empty value counts as absent), answered with
//! `meta: {page, limit, totalItems, totalPages}`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 100;

/// The raw query parameters; parsed by [`PageQuery::page`] so that errors use our shape.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub page: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u64,
    pub limit: u64,
}

impl PageQuery {
    pub fn page(&self) -> Result<Page, ApiError> {
        let parse = |name: &str, raw: &Option<String>, default: u64, max: u64| match raw
            .as_deref()
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
        {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|value| (1..=max).contains(value))
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        name,
                        format!("{name}: expected an integer from 1 to {max}, got '{raw}'"),
                    )
                }),
        };
        Ok(Page {
            page: parse("page", &self.page, 1, u64::from(u32::MAX))?,
            limit: parse("limit", &self.limit, DEFAULT_LIMIT, MAX_LIMIT)?,
        })
    }
}

impl Page {
    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.limit
    }

    pub fn meta(&self, total_items: u64) -> Value {
        json!({
            "page": self.page,
            "limit": self.limit,
            "totalItems": total_items,
            "totalPages": total_items.div_ceil(self.limit),
        })
    }

    /// The items of this page out of an in-memory list.
    pub fn slice<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(self.limit).unwrap_or(usize::MAX))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(page: Option<&str>, limit: Option<&str>) -> PageQuery {
        PageQuery {
            page: page.map(Into::into),
            limit: limit.map(Into::into),
        }
    }

    #[test]
    fn defaults_bounds_and_meta() {
        assert_eq!(
            query(None, Some("")).page().unwrap(),
            Page { page: 1, limit: 50 }
        );
        assert!(query(Some("0"), None).page().is_err());
        assert!(query(None, Some("101")).page().is_err());
        assert!(query(Some("x"), None).page().is_err());
        let page = query(Some("2"), Some("10")).page().unwrap();
        assert_eq!(page.offset(), 10);
        assert_eq!(page.meta(21)["totalPages"], 3);
        assert_eq!(
            page.slice(&(0..25).collect::<Vec<_>>()),
            (10..20).collect::<Vec<_>>()
        );
    }
}
