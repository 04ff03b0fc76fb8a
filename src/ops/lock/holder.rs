//! [`Holder`]: the identity a run writes into the lock's Leases, and the
//! run id read back from it (what `ocfail restore` takes over by).

/// Who holds the lock: `ocfail/<command>/<user>@<host>/<runId>`, written
/// into the Lease's `spec.holderIdentity`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Holder(String);

impl Holder {
    /// The holder for `command` (e.g. `drill`) in run `run_id`, with the user
    /// from `$USER` and the host from `/etc/hostname` or `$HOSTNAME`
    /// (`unknown` when neither says).
    pub fn new(command: &str, run_id: &str) -> Self {
        let user = std::env::var("USER").ok();
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .filter(|h| !h.trim().is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok());
        Self::from_parts(
            command,
            user.as_deref().unwrap_or("unknown"),
            host.as_deref().unwrap_or("unknown"),
            run_id,
        )
    }

    /// The holder from explicit parts. Slashes and whitespace in a part are
    /// replaced by `-` so [`Holder::run_id`] can always find the run id again.
    pub fn from_parts(command: &str, user: &str, host: &str, run_id: &str) -> Self {
        let part = |s: &str| {
            let cleaned: String = s
                .trim()
                .chars()
                .map(|c| {
                    if c == '/' || c.is_whitespace() {
                        '-'
                    } else {
                        c
                    }
                })
                .collect();
            if cleaned.is_empty() {
                "unknown".to_owned()
            } else {
                cleaned
            }
        };
        Holder(format!(
            "ocfail/{}/{}@{}/{}",
            part(command),
            part(user),
            part(host),
            part(run_id)
        ))
    }

    /// A holder as read back from a Lease (any text; only ocfail's own form
    /// has a run id).
    pub fn parse(text: &str) -> Self {
        Holder(text.to_owned())
    }

    /// The text written into the Lease.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The run id, when this is an ocfail holder
    /// (`ocfail/<command>/<user>@<host>/<runId>`).
    pub fn run_id(&self) -> Option<&str> {
        let mut parts = self.0.splitn(4, '/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("ocfail"), Some(_), Some(who), Some(run))
                if who.contains('@') && !run.is_empty() =>
            {
                Some(run)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
