//! Terraform's view of the load balancer (issue #18): `terraform show -json` output or a state file, read into [`super::LbSource`]. Being built.
