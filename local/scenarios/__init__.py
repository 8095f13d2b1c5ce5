"""Demo scenarios, one module per feature, each with ``run(world, say)``; local/demo.py runs them in ORDER and
tells them in TOLD: the everyday story first (a new version, its review, the gate, monitor alerts), then the sweep
and its repairs. Reconciliation runs first (its sweep must see only its own lost events) and is told later."""

ORDER = (
    "reconciliation",
    "carry_forward",
    "review_workflow",
    "stage_gate",
    "violation_alerts",
    "data_quality",
    "model_quality",
    "account_sweep",
    "chat_and_security_hub",
)
TOLD = (
    "carry_forward",
    "review_workflow",
    "stage_gate",
    "violation_alerts",
    "data_quality",
    "model_quality",
    "account_sweep",
    "reconciliation",
    "chat_and_security_hub",
)
