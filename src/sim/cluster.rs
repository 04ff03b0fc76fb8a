//! One region's simulated Kubernetes cluster: its objects and controller.
//!
//! (Skeleton: filled in by the Kubernetes-side work of issue 3.)

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::app::{self, AppRequest, AppResponse};
use super::log::EventLog;
use super::options::SimOptions;
use crate::manifest::Region;

/// A region's cluster.
#[derive(Debug)]
pub struct Cluster {
    /// The region's name.
    pub region: String,
    log: EventLog,
}

impl Cluster {
    /// A cluster seeded for `region`: blue live with replicas, green at 0,
    /// the live and preview Services.
    pub fn seeded(region: &Region, _options: &SimOptions, log: EventLog) -> Self {
        Cluster {
            region: region.name.to_string(),
            log,
        }
    }

    /// What the Service `service` in `namespace` answers: a ready pod's
    /// response, or 503 when it selects no ready pods.
    pub fn serve_service(&self, _namespace: &str, service: &str, _req: &AppRequest) -> AppResponse {
        app::unavailable(&self.region, service)
    }

    /// Moves Deployment status toward spec until cancelled.
    pub async fn run_controller(self: Arc<Self>, cancel: CancellationToken) {
        let _ = &self.log;
        cancel.cancelled().await;
    }
}
