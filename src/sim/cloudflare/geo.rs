//! Where check regions and cloud regions are, so probes report plausible
//! round-trip times: `pop_health` keys are data-centre labels like the
//! official example's `"Amsterdam, NL"`, one per check region.

/// A data-centre label per check region, as `pop_health` keys look
/// (`"Amsterdam, NL"` in the official example), with its coordinates.
const POPS: [(&str, &str, f64, f64); 13] = [
    ("WNAM", "Los Angeles, US", 34.05, -118.24),
    ("ENAM", "Ashburn, US", 39.04, -77.49),
    ("WEU", "Amsterdam, NL", 52.37, 4.90),
    ("EEU", "Warsaw, PL", 52.23, 21.01),
    ("NSAM", "Bogota, CO", 4.71, -74.07),
    ("SSAM", "Sao Paulo, BR", -23.55, -46.63),
    ("OC", "Sydney, AU", -33.87, 151.21),
    ("ME", "Dubai, AE", 25.20, 55.27),
    ("NAF", "Cairo, EG", 30.04, 31.24),
    ("SAF", "Johannesburg, ZA", -26.20, 28.05),
    ("SAS", "Mumbai, IN", 19.08, 72.88),
    ("SEAS", "Singapore, SG", 1.35, 103.82),
    ("NEAS", "Tokyo, JP", 35.68, 139.69),
];

/// Rough locations of cloud regions by name prefix, for plausible RTTs.
const REGIONS: [(&str, f64, f64); 16] = [
    ("us-east", 39.0, -77.5),
    ("us-west", 45.6, -121.2),
    ("us-central", 41.3, -95.9),
    ("ca-", 45.5, -73.6),
    ("sa-", -23.5, -46.6),
    ("eu-west", 53.3, -6.3),
    ("eu-north", 59.3, 18.1),
    ("eu-south", 45.5, 9.2),
    ("eu-", 50.1, 8.7),
    ("me-", 26.1, 50.6),
    ("af-", -33.9, 18.4),
    ("ap-south-", 19.1, 72.9),
    ("ap-southeast-2", -33.9, 151.2),
    ("ap-southeast", 1.35, 103.8),
    ("ap-northeast", 35.7, 139.7),
    ("ap-east", 22.3, 114.2),
];

pub(super) fn pop_label(code: &str) -> &str {
    POPS.iter().find(|p| p.0 == code).map_or(code, |p| p.1)
}

/// Round-trip times from each check region to `region`: distance at
/// fibre speed plus a little jitter.
pub(super) fn rtts(regions: &[&'static str], region: &str) -> Vec<(&'static str, f64)> {
    let (lat, lon) = REGIONS
        .iter()
        .find(|r| region.starts_with(r.0))
        .map_or((39.0, -77.5), |r| (r.1, r.2));
    regions
        .iter()
        .map(|code| {
            let (plat, plon) = POPS
                .iter()
                .find(|p| p.0 == *code)
                .map_or((lat, lon), |p| (p.2, p.3));
            let km = great_circle_km(lat, lon, plat, plon);
            let ms = 1.5 + km / 100.0 + fastrand::f64() * 2.0;
            (*code, (ms * 10.0).round() / 10.0)
        })
        .collect()
}

fn great_circle_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    6371.0 * 2.0 * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtts_grow_with_distance() {
        let r = rtts(&["WEU", "OC"], "eu-central-1");
        assert!(r[0].1 < 20.0, "{r:?}");
        assert!(r[1].1 > 100.0, "{r:?}");
        assert_eq!(pop_label("WEU"), "Amsterdam, NL");
    }
}
