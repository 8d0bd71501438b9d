"""The bank side of the finance domain: the adapter interface and its implementations."""
