//! The query of every paged list. The pages themselves (`{data, next_cursor}`) are declared
//! beside their routes, each naming its item type for the OpenAPI document.

use serde::Deserialize;
use utoipa::IntoParams;

/// `?limit=&cursor=`
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
