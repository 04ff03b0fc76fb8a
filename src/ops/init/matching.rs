//! Matching pools to clusters (issue #18): origin addresses against Services and Ingresses, then names. Being built.
