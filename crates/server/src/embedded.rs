//! `kensa-api serve`: the HTTP application and, unless `KENSA_EMBEDDED_WORKER=false`, the
//! worker loop in the same process, woken by the API's own transactions and, with Redis, by
//! other replicas'.

use kensa_api::Application;
use kensa_domain::config::{ConfigError, Settings};
use kensa_worker::health::{self, HealthServer};
use kensa_worker::{Worker, mail};
use tokio::sync::watch;

pub struct Server {
    app: Application,
    worker: Option<Worker>,
    /// Where the embedded worker hears other replicas' wake-ups: Redis URL and channel.
    wakeups: Option<(String, String)>,
    /// The embedded worker's health port (`KENSA_WORKER_HEALTH_BIND`), when set.
    health: Option<HealthServer>,
}

impl Server {
    /// Connects, migrates and binds as [`Application::build`] does, then checks the mail
    /// settings even without the embedded worker, as `serve` always did. Not before: the
    /// outbox would create the data directory before the database makes it private (0700).
    pub async fn build(settings: Settings) -> Result<Self, ConfigError> {
        let app = Application::build(settings.clone()).await?;
        let mailer = mail::from_settings(&settings)?;
        let worker = settings
            .embedded_worker
            .then(|| Worker::new(app.kensa(), mailer).with_concurrency(settings.worker_concurrency));
        let wakeups = settings.redis_url.as_ref().map(|url| (url.expose().clone(), settings.wakeup_channel()));
        let health = match &worker {
            Some(worker) => health::serve_if_configured(&settings, worker, &app.kensa())?,
            None => None,
        };
        Ok(Self { app, worker, wakeups, health })
    }

    pub fn port(&self) -> u16 {
        self.app.port()
    }

    /// Serves until SIGTERM or SIGINT: in-flight requests drain, then the embedded worker
    /// finishes its current job and stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = watch::channel(false);
        if let (Some((url, channel)), Some(_)) = (self.wakeups, &self.worker) {
            let notify = self.app.kensa().job_wakeup.clone();
            tokio::spawn(kensa_worker::wakeups::listen(url, channel, notify, stopped.clone(), None));
        }
        let worker = self.worker.map(|w| tokio::spawn(async move { w.run(stopped).await }));
        let result = self.app.run_until_stopped().await;
        let _ = stop.send(true);
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        if let Some(health) = self.health {
            health.stop().await;
        }
        result
    }
}
