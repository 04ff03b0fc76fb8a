//! The whole simulated world: one [`Cluster`] per region, one Cloudflare
//! account, the event log and the faults.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::cloudflare::Cloudflare;
use super::cluster::Cluster;
use super::faults::Faults;
use super::log::EventLog;
use super::options::SimOptions;
use crate::manifest::Fleet;

/// Everything the listeners and background loops share.
#[derive(Debug)]
pub struct World {
    /// The manifest the world mirrors.
    pub fleet: Fleet,
    /// Timings and seeds.
    pub options: SimOptions,
    /// Every health flip, scale and switch.
    pub log: EventLog,
    /// Injected trouble.
    pub faults: Arc<Faults>,
    /// One cluster per region, by region name.
    pub clusters: BTreeMap<String, Arc<Cluster>>,
    /// The Cloudflare account, zone, pools, monitor and LB.
    pub cloudflare: Arc<Cloudflare>,
}

impl World {
    /// A world seeded from `fleet` (docs/simulator.md, the seeded world).
    pub fn new(fleet: &Fleet, options: SimOptions) -> Arc<World> {
        let log = EventLog::new();
        let faults = Arc::new(Faults::new());
        let clusters = fleet
            .regions
            .iter()
            .map(|r| {
                (
                    r.name.to_string(),
                    Arc::new(Cluster::seeded(r, &options, log.clone(), faults.clone())),
                )
            })
            .collect();
        let cloudflare = Arc::new(Cloudflare::seeded(fleet, &options, log.clone()));
        Arc::new(World {
            fleet: fleet.clone(),
            options,
            log,
            faults,
            clusters,
            cloudflare,
        })
    }

    /// The cluster of `region`.
    pub fn cluster(&self, region: &str) -> Option<&Arc<Cluster>> {
        self.clusters.get(region)
    }
}
