"""`make bench`: figures for the README, one module per feature, each with ``run() -> list[str]``."""

ORDER = ("carry_forward", "cold_start", "violation_alerts", "account_sweep", "data_quality")
