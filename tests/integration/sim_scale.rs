//! A 50-region simulator works end to end (its speed is measured in
//! `benches/sim.rs`, not asserted here).

use std::time::Duration;

use crate::util::{Launch, http};

#[tokio::test(flavor = "multi_thread")]
async fn fifty_regions_serve_their_apis_and_the_lb() {
    let sim = Launch::regions(50).start().await.sim;
    let client = http(Duration::from_secs(5));

    for region in ["region-0", "region-25", "region-49"] {
        let ns = region.replace("region", "ns");
        let url = format!(
            "{}/apis/apps/v1/namespaces/{ns}/deployments/openclaw-api-blue",
            sim.kube_url(region).unwrap()
        );
        let resp = client.get(&url).bearer_auth("t").send().await.unwrap();
        assert_eq!(resp.status(), 200, "{region}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["status"]["readyReplicas"], 3, "{region}");
    }
    let pools = client
        .get(format!(
            "{}/accounts/023e105f4ecef8ad9ca31a8372d0c353/load_balancers/pools",
            sim.cloudflare_url()
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    let pools: serde_json::Value = pools.json().await.unwrap();
    assert_eq!(pools["result"].as_array().unwrap().len(), 50);
    let resp = client
        .get(format!("{}/healthz", sim.lb_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-openclaw-region"], "region-0");
    sim.shutdown().await;
}
