//! Region names inside pool, context and namespace names: `us-east-1` in
//! `openclaw-us-east-1`, `us-east1` in `gke_acme_us-east1`, `eastus2` in
//! `aks-eastus2-prod`. Names are cut into tokens at every character that
//! is not a letter or digit, then the tokens are read against the shapes
//! the three big clouds use, so `my-service-1` is not taken for a region.

/// Direction words, as AWS and GCP put them in the middle of a region.
const DIRECTIONS: &[&str] = &[
    "east",
    "west",
    "north",
    "south",
    "central",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
];

/// GCP's geographies (`europe-west1`, `northamerica-northeast1`).
const GCP_GEOS: &[&str] = &[
    "us",
    "europe",
    "asia",
    "australia",
    "northamerica",
    "southamerica",
    "me",
    "africa",
];

/// Azure's single-word regions (`eastus`, `westeurope`, `germanywestcentral`)
/// are a geography glued to directions; these are the geographies.
const AZURE_GEOS: &[&str] = &[
    "us",
    "europe",
    "asia",
    "uk",
    "japan",
    "korea",
    "canada",
    "france",
    "germany",
    "sweden",
    "brazil",
    "india",
    "uae",
    "switzerland",
    "norway",
    "qatar",
    "poland",
    "italy",
    "spain",
    "australia",
    "africa",
    "israel",
    "mexico",
    "taiwan",
    "chile",
    "indonesia",
    "malaysia",
    "newzealand",
];

/// Azure's direction atoms; `southeast` is `south` + `east`.
const AZURE_DIRECTIONS: &[&str] = &["east", "west", "north", "south", "central"];

/// The region name in `name`, as written there with its separators made
/// `-`: `us-east-1` from `openclaw_us_east_1`, `us-east1` from
/// `gke_acme_us-east1`, `eastus` from `aks-eastus`. The first one when a
/// name holds several; `None` when it holds none.
pub fn region_token(name: &str) -> Option<String> {
    regions_in(name).into_iter().next()
}

/// Every region name in `name`, left to right.
pub(super) fn regions_in(name: &str) -> Vec<String> {
    let toks = tokens(name);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match region_at(&toks[i..]) {
            Some(len) => {
                out.push(toks[i..i + len].join("-"));
                i += len;
            }
            None => i += 1,
        }
    }
    out
}

/// `name` cut at every character that is not a letter or digit, lowercased.
/// Kubeconfig contexts use `_` (GKE), `:` and `/` (EKS ARNs) as well as `-`.
pub(super) fn tokens(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A region with its separators dropped, so AWS's `us-east-1` and GCP's
/// `us-east1` compare equal: a fleet's pools are often named in one
/// cloud's style and its clusters in another's.
pub(super) fn canonical(region: &str) -> String {
    region
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `name` holds `region` (compared in [`canonical`] form).
pub(super) fn carries_region(name: &str, region: &str) -> bool {
    let want = canonical(region);
    regions_in(name).iter().any(|r| canonical(r) == want)
}

/// Whether `name`'s tokens hold `run` as consecutive tokens.
pub(super) fn carries_run(name: &str, run: &[String]) -> bool {
    !run.is_empty() && tokens(name).windows(run.len()).any(|w| w == run)
}

/// How many tokens at the start of `toks` form a region, if they do.
fn region_at(toks: &[String]) -> Option<usize> {
    let t = |i: usize| toks.get(i).map(String::as_str);
    let is_dir = |s: Option<&str>| s.is_some_and(|s| DIRECTIONS.contains(&s));
    let is_num = |s: Option<&str>| s.is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()));
    let first = t(0)?;
    // AWS: `us-east-1`, `us-gov-west-1`.
    if first.len() == 2 && first.bytes().all(|b| b.is_ascii_lowercase()) {
        if is_dir(t(1)) && is_num(t(2)) {
            return Some(3);
        }
        if t(1) == Some("gov") && is_dir(t(2)) && is_num(t(3)) {
            return Some(4);
        }
    }
    // GCP: `europe-west1`.
    if GCP_GEOS.contains(&first) && t(1).is_some_and(gcp_zone_word) {
        return Some(2);
    }
    azure_word(first).then_some(1)
}

/// `east1`, `northeast2`: a direction then digits.
fn gcp_zone_word(s: &str) -> bool {
    let letters = s.trim_end_matches(|c: char| c.is_ascii_digit());
    letters.len() < s.len() && DIRECTIONS.contains(&letters)
}

/// `eastus`, `westeurope2`, `germanywestcentral`: one geography and at least
/// one direction, glued, with optional digits after.
fn azure_word(s: &str) -> bool {
    let letters = s.trim_end_matches(|c: char| c.is_ascii_digit());
    split_azure(letters, false, false)
}

/// Whether `rest` splits into Azure atoms, with exactly one geography and at
/// least one direction overall.
fn split_azure(rest: &str, geo: bool, dir: bool) -> bool {
    if rest.is_empty() {
        return geo && dir;
    }
    let by_geo = !geo
        && AZURE_GEOS.iter().any(|g| {
            rest.strip_prefix(g)
                .is_some_and(|r| split_azure(r, true, dir))
        });
    by_geo
        || AZURE_DIRECTIONS.iter().any(|d| {
            rest.strip_prefix(d)
                .is_some_and(|r| split_azure(r, geo, true))
        })
}
