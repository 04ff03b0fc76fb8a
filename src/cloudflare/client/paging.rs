//! Pagination of list endpoints (docs/cloudflare-api.md): `?page=N&per_page=50`
//! until the answer says it has ended, however it says so.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{CloudflareClient, unreadable};
use crate::cloudflare::error::{CfError, CfErrorKind};
use crate::cloudflare::transport::Call;
use crate::cloudflare::wire::Envelope;

/// Items asked for per page when listing.
const PER_PAGE: u32 = 50;
/// More pages than any account can have (Cloudflare caps pools at a few
/// dozen); reaching it means the server is not paging.
const MAX_PAGES: u32 = 100;

impl CloudflareClient {
    /// Every item of a list endpoint, following pages to the end: until a
    /// short or empty page, the last of `total_pages`, or a page that brings
    /// nothing new (a server ignoring `page` would repeat page 1 forever).
    pub(super) async fn list<T: DeserializeOwned>(&self, path: String) -> Result<Vec<T>, CfError> {
        let mut items: Vec<Value> = Vec::new();
        let mut seen = HashSet::new();
        let mut previous: Option<Vec<Value>> = None;
        for page in 1..=MAX_PAGES {
            let call = Call {
                page: Some((page, PER_PAGE)),
                ..Call::get(path.clone())
            };
            let Envelope {
                result,
                result_info,
                ..
            } = self.transport.send(&call).await?;
            let batch = match result {
                Value::Array(batch) => batch,
                Value::Null => Vec::new(),
                _ => return Err(unreadable(&call, "the result is not a list")),
            };
            let info = result_info.unwrap_or_default();
            let page_size = info.per_page.filter(|n| *n > 0).unwrap_or(PER_PAGE);
            let short = batch.len() < usize::try_from(page_size).unwrap_or(usize::MAX);
            let last = info.total_pages.is_some_and(|t| page >= t);
            let repeated = previous.as_ref() == Some(&batch);
            let mut fresh = 0;
            for item in &batch {
                let id = item.get("id").and_then(Value::as_str).map(str::to_owned);
                if id.is_none_or(|id| seen.insert(id)) && !repeated {
                    items.push(item.clone());
                    fresh += 1;
                }
            }
            if short || last || fresh == 0 {
                return items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        serde_json::from_value(v)
                            .map_err(|e| unreadable(&call, &format!("item {i}: {e}")))
                    })
                    .collect();
            }
            previous = Some(batch);
        }
        Err(CfError::new(
            CfErrorKind::Api,
            format!("GET {path}"),
            format!("more than {MAX_PAGES} pages of {PER_PAGE}; the answer does not end"),
        ))
    }
}
