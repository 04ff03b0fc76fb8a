//! API errors as findings carry them: the error's message and its hint, so
//! a reader of the JSON or JUnit report knows what to do. `report/words`
//! joins them (`error; hint: …`).

use crate::cloudflare::CfError;
use crate::facts::api::ApiProblem;
use crate::kube::KubeError;

/// A Cloudflare error as a finding carries it.
pub fn cf_problem(e: &CfError) -> ApiProblem {
    ApiProblem {
        message: e.to_string(),
        hint: e.hint.clone(),
    }
}

/// A Kubernetes error as a finding carries it.
pub fn kube_problem(e: &KubeError) -> ApiProblem {
    ApiProblem {
        message: e.to_string(),
        hint: e.hint.clone(),
    }
}
