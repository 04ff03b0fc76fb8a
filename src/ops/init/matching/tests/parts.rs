//! Tests for the parts of matching on their own: the region tokenizer and
//! the Deployments behind a selector.

use super::super::region::{canonical, regions_in};
use super::super::region_token;
use super::super::workload::of_selector;
use super::{dep, labels};
use crate::facts::init::Workload;
use crate::kube::COLOR_LABEL;

#[test]
fn workloads_blue_green_single_several_and_not_found() {
    let app = |c: &'static str| vec![("app", "api"), (COLOR_LABEL, c)];
    let deps = vec![
        dep("ns", "api-green", &app("green")),
        dep("ns", "api-blue", &app("blue")),
        dep("other", "api", &[("app", "api")]),
    ];
    let bg = |live: Option<&str>| Workload::BlueGreen {
        base: "api".into(),
        live: live.map(Into::into),
    };
    assert_eq!(
        of_selector(
            &labels(&[("app", "api"), (COLOR_LABEL, "green")]),
            "ns",
            &deps
        ),
        bg(Some("green"))
    );
    // Selecting both colours at once: a pair, no live colour.
    assert_eq!(
        of_selector(&labels(&[("app", "api")]), "ns", &deps),
        bg(None)
    );
    // Only the other namespace's Deployment counts there.
    assert_eq!(
        of_selector(&labels(&[("app", "api")]), "other", &deps),
        Workload::Single {
            deployment: "api".into()
        }
    );
    assert_eq!(
        of_selector(&labels(&[("app", "web")]), "ns", &deps),
        Workload::NotFound
    );
    assert_eq!(of_selector(&labels(&[]), "ns", &deps), Workload::NotFound);
    // A colour alone does not make unrelated Deployments a pair.
    let odd = vec![
        dep("ns", "x-blue", &[(COLOR_LABEL, "blue")]),
        dep("ns", "x-green", &[(COLOR_LABEL, "blue")]),
    ];
    assert_eq!(
        of_selector(&labels(&[(COLOR_LABEL, "blue")]), "ns", &odd),
        Workload::Several {
            deployments: vec!["x-blue".into(), "x-green".into()]
        }
    );
}

#[test]
fn region_tokens_in_each_clouds_spelling() {
    let cases = [
        ("openclaw-us-east-1", Some("us-east-1")),
        ("openclaw_eu_central_1", Some("eu-central-1")),
        ("openclaw.ap-southeast-2", Some("ap-southeast-2")),
        (
            "arn:aws:eks:us-gov-west-1:123:cluster/x",
            Some("us-gov-west-1"),
        ),
        ("gke_acme_us-east1", Some("us-east1")),
        ("gke_acme_europe-west1_prod", Some("europe-west1")),
        ("northamerica-northeast1", Some("northamerica-northeast1")),
        ("aks-eastus-prod", Some("eastus")),
        ("aks-eastus2", Some("eastus2")),
        ("pool-westeurope", Some("westeurope")),
        ("germanywestcentral", Some("germanywestcentral")),
        ("southafricanorth", Some("southafricanorth")),
        ("OpenClaw-US-East-1", Some("us-east-1")),
        ("my-service-1", None),
        ("openclaw-api", None),
        ("east", None),
        ("us", None),
        ("openclaw-backup", None),
        ("", None),
    ];
    for (name, want) in cases {
        assert_eq!(region_token(name).as_deref(), want, "{name}");
    }
    assert_eq!(
        regions_in("failover-us-east-1-to-eu-west-1"),
        ["us-east-1", "eu-west-1"]
    );
    assert_eq!(canonical("us-east-1"), canonical("us-east1"));
    assert_ne!(canonical("us-east-1"), canonical("us-east-2"));
}
