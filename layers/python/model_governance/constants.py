"""Literals shared by the stack, the handlers, the demo and the tests: defined once, imported everywhere."""

SERVICE_NAME = "model-governance"
METRICS_NAMESPACE = "ModelGovernance"

# Environment contract between the stack (writer) and the functions (readers).
ENV_STATE_TABLE = "STATE_TABLE_NAME"
ENV_OPS_TOPIC = "OPS_TOPIC_ARN"
ENV_NOTICES_TOPIC = "NOTICES_TOPIC_ARN"
ENV_CREATE_CARD_WITHOUT_PREDECESSOR = "CREATE_CARD_WITHOUT_PREDECESSOR"
ENV_EVIDENCE_BUCKET = "EVIDENCE_BUCKET_NAME"
ENV_APPROVAL_GATE = "APPROVAL_GATE_MODE"
ENV_GATED_STAGES = "GATED_STAGES"  # model registry stages the approval gate covers, comma-separated
ENV_VIOLATION_COOLDOWN_HOURS = "VIOLATION_COOLDOWN_HOURS"
ENV_PENDING_REVIEW_MAX_DAYS = "PENDING_REVIEW_MAX_DAYS"
ENV_SEND_ALL_CLEAR = "SEND_ALL_CLEAR"
# How long an effect's lease lasts: past the function's timeout, so a killed attempt's lease has expired when
# Lambda retries it (workflows/effects.py).
ENV_EFFECT_LEASE_SECONDS = "EFFECT_LEASE_SECONDS"
ENV_RECONCILE = "RECONCILE"  # the sweep replays lost events (sweep/reconcile.py); false: report only
ENV_RECONCILE_LOOKBACK_HOURS = "RECONCILE_LOOKBACK_HOURS"
ENV_RECONCILE_FUNCTIONS = "RECONCILE_FUNCTIONS"  # JSON: handler name -> function name
ENV_DQ_MONITORS = "DATA_QUALITY_MONITORS"  # our own data-quality monitors, as JSON (issue 10)
ENV_MQ_MONITORS = "MODEL_QUALITY_MONITORS"  # our own model-quality monitors, as JSON
ENV_SECURITY_HUB_FINDINGS = "SECURITY_HUB_FINDINGS"  # "true": the sweep imports its findings (issue 11)

# Event sources and detail-types as SageMaker sends them (aws-facts.md section 1).
SAGEMAKER_SOURCE = "aws.sagemaker"
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
MODEL_CARD_STATE_CHANGE = "SageMaker Model Card State Change"
MODEL_CARD_EXPORT_JOB_STATE_CHANGE = "SageMaker Model Card Export Job State Change"
PROCESSING_JOB_STATE_CHANGE = "SageMaker Processing Job State Change"

# Provenance keys written into additional_information.custom_details of carried cards.
PROVENANCE_SOURCE_CARD = "carried_from_card"
PROVENANCE_SOURCE_CARD_VERSION = "carried_from_card_version"
PROVENANCE_SOURCE_PACKAGE_VERSION = "carried_from_model_package_version"
PROVENANCE_CARRIED_AT = "carried_at"
PROVENANCE_CARRIED_BY = "carried_by"
# What carry-forward could not carry as it was: read back by the notice, also on a retry (cards/carry_forward.py).
PROVENANCE_UNREADABLE_SOURCE = "carry_refused_unreadable_card"
PROVENANCE_TRIMMED = "carry_trimmed_to_fit"
PROVENANCE_REGISTRANT_KEPT = "registrant_values_kept"
# The version's model registry stage when its card was made (model_package_details has no field for it: the
# CloudFormation ModelPackageDetails schema lists none and allows no other key), a package fact, never carried.
PACKAGE_STAGE = "model_lifecycle_stage"
PACKAGE_STAGE_STATUS = "model_lifecycle_stage_status"

# Model Monitor violation alerts (issue 3).
PROCESSING_JOB_TERMINAL_STATUSES = ("Completed", "Failed", "Stopped")
VIOLATIONS_REPORT_FILE = "constraint_violations.json"  # the SDK's and the schema page's spelling (aws-facts 2.2)
METRIC_MONITOR_EXECUTIONS_WITH_VIOLATIONS = "MonitorExecutionsWithViolations"
METRIC_MONITOR_VIOLATIONS = "MonitorViolations"
METRIC_MONITOR_VIOLATIONS_BY_CHECK_TYPE = "MonitorViolationsByCheckType"
METRIC_MONITOR_FAILURES = "MonitorFailures"
METRIC_MONITOR_REPORTS_UNREADABLE = "MonitorReportsUnreadable"
METRIC_VIOLATION_ALERTS_SENT = "ViolationAlertsSent"
METRIC_VIOLATION_ALERTS_SUPPRESSED = "ViolationAlertsSuppressed"

# Model card review and approval gate (issue 4).
# CloudFormation output naming the state table: `python -m ops.ledger` reads it from the deployed stack.
STATE_TABLE_OUTPUT = "StateTableName"

# Account sweep and backfill (issue 5).
SWEEP_REPORT_PREFIX = "sweeps/"  # evidence bucket prefix of the sweep's JSON reports (the only one it may write)
# CloudFormation output naming the backfill function: `python -m ops.backfill` reads it from the deployed stack.
BACKFILL_FUNCTION_OUTPUT = "BackfillFunctionName"
# An invocation of the sweep with {"mode": SWEEP_REPORT_ONLY} (make smoke) replays nothing and sends nothing.
SWEEP_REPORT_ONLY = "report-only"
# The job name of our own data-quality runs starts with this; each run also writes report.html (no processing job).
SERVERLESS_RUN_PREFIX = "dq-"
HTML_REPORT_FILE = "report.html"
