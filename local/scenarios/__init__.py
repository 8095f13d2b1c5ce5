"""Demo scenarios, one module per feature, each with ``run(world, say)``; local/demo.py runs them in ORDER."""

ORDER = (
    "reconciliation",
    "carry_forward",
    "violation_alerts",
    "review_workflow",
    "stage_gate",
    "account_sweep",
    "data_quality",
    "chat_and_security_hub",
)
