"""Demo scenarios, one module per feature, each with ``run(world, say)``; local/demo.py runs them in ORDER."""

ORDER = ("carry_forward", "violation_alerts", "review_workflow", "stage_gate", "account_sweep", "data_quality")
