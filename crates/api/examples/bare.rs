//! The yardstick for `GET /api/v1/me`: a bare actix-web handler returning the same bytes,
//! with no middleware, authentication or database. See docs/benchmarks.md.
//!
//! `cargo run --release -p kensa-api --example bare -- 127.0.0.1:18090 /tmp/me.json`

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:18090".into());
    let body = match args.next() {
        Some(path) => std::fs::read(path)?,
        None => b"{}".to_vec(),
    };
    let body = web::Bytes::from(body);
    HttpServer::new(move || {
        let body = body.clone();
        App::new().route(
            "/api/v1/me",
            web::get().to(move || {
                let body = body.clone();
                async move { HttpResponse::Ok().content_type("application/json").body(body) }
            }),
        )
    })
    .bind(bind)?
    .run()
    .await
}
