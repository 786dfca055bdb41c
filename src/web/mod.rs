//! STUB (web helper replaces this).
use std::sync::Arc;
use crate::store::Store;
#[derive(Debug, thiserror::Error)]
#[error("web")]
pub struct WebError;
pub struct Application { port: u16 }
impl Application {
    pub async fn build(bind: &str, store: Arc<dyn Store>) -> Result<Application, WebError> { let _ = (bind, store); todo!() }
    pub fn port(&self) -> u16 { self.port }
    pub async fn run_until_stopped(self, shutdown: tokio_util::sync::CancellationToken) -> Result<(), WebError> { let _ = shutdown; todo!() }
}
