//! The query of every paged list (the pages themselves, `{data, next_cursor}`, are declared
//! beside their routes, each naming its item type for the OpenAPI document), and the answer
//! of every file export.

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

/// A temporary file as a download, read a chunk at a time; the file is deleted (with
/// `path`) after the last chunk.
pub async fn file_download<P: AsRef<std::path::Path> + 'static>(
    path: P,
    name: &str,
    content_type: &str,
) -> crate::error::ApiResult<actix_web::HttpResponse> {
    use kensa_domain::DomainError;
    let size = tokio::fs::metadata(&path).await.map_err(DomainError::internal)?.len();
    let handle = tokio::fs::File::open(&path).await.map_err(DomainError::internal)?;
    let body = futures_util::stream::unfold((handle, path), |(mut handle, path)| async move {
        use tokio::io::AsyncReadExt;
        let mut chunk = vec![0u8; 64 * 1024];
        match handle.read(&mut chunk).await {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((Ok::<_, std::io::Error>(actix_web::web::Bytes::from(chunk)), (handle, path)))
            }
            Err(e) => Some((Err(e), (handle, path))),
        }
    });
    Ok(actix_web::HttpResponse::Ok()
        .content_type(content_type.to_owned())
        .insert_header((actix_web::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(actix_web::body::SizedStream::new(size, body)))
}
