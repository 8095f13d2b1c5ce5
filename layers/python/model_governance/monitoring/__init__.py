"""Model Monitor executions: typed facts, report parsing, the dedup decision and the alert emails (pure)."""
