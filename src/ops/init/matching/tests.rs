//! Tests for matching pools to clusters.
