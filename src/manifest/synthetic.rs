//! Generated fleets of any size, for benchmarks and scale tests.

use std::fmt::Write as _;

/// A valid manifest in the seed fleet's shape with `regions` regions
/// (`region-0` …), one rollout wave per ten regions.
pub fn fleet_yaml(regions: usize) -> String {
    let mut s = String::from(
        "apiVersion: ocfail.dev/v1\nkind: Fleet\nmetadata:\n  name: synthetic\n\
         defaults: { namespace: openclaw, deployment: openclaw-api, service: openclaw-api, port: 8080 }\n\
         cloudflare:\n  accountId: 023e105f4ecef8ad9ca31a8372d0c353\n  zoneId: 9a7806061c88ada191ed06f989cc3dac\n\
         \x20 loadBalancer: api.openclaw.com\n  apiToken: { fromEnv: CLOUDFLARE_API_TOKEN }\nregions:\n",
    );
    for i in 0..regions {
        let _ = writeln!(
            s,
            "  - {{ name: region-{i}, context: ctx-{i}, namespace: ns-{i}, pool: pool-{i}, probe: https://r{i}.example.com/healthz }}"
        );
    }
    s.push_str("traffic: { url: https://api.openclaw.com/healthz, rps: 5, timeout: 2s, regionHeader: x-openclaw-region }\n");
    s.push_str("rollout:\n  waves:\n");
    let names: Vec<String> = (0..regions).map(|i| format!("region-{i}")).collect();
    for wave in names.chunks(10) {
        let _ = writeln!(s, "    - [{}]", wave.join(", "));
    }
    s.push_str(
        "  readyTimeout: 5m\n  smoke:\n    - { name: healthz, path: /healthz, expectStatus: [200] }\n\
         \x20 verifyFor: 30s\n  maxErrorRate: 1%\ndrill: { hold: 60s, minHealthyPools: 1, maxErrorRate: 5% }\n",
    );
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_fleets_are_valid() {
        for n in [2, 3, 50, 100] {
            let f = crate::manifest::parse_str("synthetic.yaml", &super::fleet_yaml(n)).unwrap();
            assert_eq!(f.regions.len(), n);
        }
    }
}
