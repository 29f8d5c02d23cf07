"""Traces on OpenSearch: retention of Jaeger's daily indices (docs/traces.md)."""
