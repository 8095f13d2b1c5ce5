"""Exactly once under crashes: every workflow, a fault at every AWS call, Lambda's retries, the same account.

For each story, the fault-free run gives the account it must end with and the number of AWS calls it makes.
Each call is then the site of two faults (the function killed inside it; the response lost after AWS acted),
the story is played again in a fresh account with Lambda's retries and a DLQ replay, and the account it ends
with must be the same: the same cards, links, embedded cards, evidence, ledger and messages.

The one thing no design can make exactly once is an SNS publish whose outcome is unknown (the function died
inside ``Publish``, lost its response, or died before recording it done): SNS standard topics take no
idempotency key, so the message is sent again rather than lost. For those faults alone, one repeat of that same
message is allowed.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from moto import mock_aws

from local.moto_cards import model_cards_emulated
from local.moto_gaps import sagemaker_gaps_filled
from local.moto_monitoring import monitoring_emulated
from local.scenarios import model_quality as mq_scenario
from local.world import LocalFunction, LocalWorld
from model_governance import constants
from model_governance.adapters.clients import reset_clients
from model_governance.cards.trust import CARD_METADATA_KEY
from tests.conftest import read_event
from tests.faults import (
    CallLog,
    Fault,
    MetricRecord,
    account_state,
    aws_calls,
    faults_for,
    frozen_clock,
    invoke_like_lambda,
    metric_sums,
)

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PUBLISH = "sns.Publish"
SLOT = timedelta(hours=1)  # longer than Lambda's retries and a DLQ replay of one delivery (tests/faults.py)
REGION = "us-east-1"

Deliveries = Iterable[tuple[Any, dict[str, Any]]]  # (something with .run(event), the event)


@dataclass(frozen=True)
class Story:
    """``play`` sets the account up and yields the deliveries; it resumes after each one was handled (so a
    delivery may depend on what the previous one did, as an export job's event does)."""

    name: str
    play: Callable[[LocalWorld], Deliveries]
    context: tuple[tuple[str, Any], ...] = ()  # settings of the stack this story runs on (default: cdk.json's)
    files: str = ""  # s3://bucket/prefix: the story's output files, compared by content too (not only by name)
    metrics: bool = False  # the CloudWatch metrics its functions publish are compared too


@dataclass
class Outcome:
    state: dict[str, Any]
    calls: list[str]
    metrics: list[MetricRecord]


@functools.cache
def _session() -> boto3.Session:
    return boto3.Session(region_name=REGION)


@functools.cache
def _template_with(context: str) -> dict[str, Any]:
    """The template with ``context`` (a story's settings as JSON: a setting may be a list, which is unhashable)."""
    from local.world import synthesize

    return synthesize(dict(json.loads(context)))


def _files(uri: str) -> dict[str, bytes]:
    """Every object under ``uri`` with its content."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", region_name=REGION)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def run(template: dict[str, Any], story: Story, fault: Fault | None = None) -> Outcome:
    template = _template_with(json.dumps(story.context)) if story.context else template
    with (
        mock_aws(),
        sagemaker_gaps_filled(),
        monitoring_emulated(),
        model_cards_emulated(),
        frozen_clock(START) as clock,
    ):
        # moto drops boto3's default session on start; one kept session loads each service model once (~1 s a run).
        boto3.DEFAULT_SESSION = _session()
        world = LocalWorld(template)
        deliveries = iter(story.play(world))
        log = CallLog()
        for slot in itertools.count():
            # Each delivery (and what the story does before it) has its own hour, whatever the retries of
            # the one before took: the account's timestamps are the same in every run.
            clock.move_to(START + slot * SLOT)
            delivery = next(deliveries, None)
            if delivery is None:
                break
            function, event = delivery

            def attempt(function: Any = function, event: dict[str, Any] = event) -> Any:
                log.attempt()
                return function.run(event)

            with aws_calls(log, fault):
                invoke_like_lambda(attempt, clock)
        state = account_state(world)
        state["files"] = _files(story.files) if story.files else {}
    reset_clients()
    return Outcome(state, log.calls, log.metrics)


def assert_same_account(expected: dict[str, Any], actual: dict[str, Any], fault: Fault, calls: list[str]) -> None:
    site = calls[fault.at] if fault.at < len(calls) else "?"
    for part in ("cards", "packages", "table", "objects", "files", "security_hub"):
        assert actual[part] == expected[part], f"{part} differ after {fault} ({site})"
    sent, wanted = Counter(actual["messages"]), Counter(expected["messages"])
    assert set(sent) == set(wanted), f"messages differ after {fault} ({site})"
    repeats = sent - wanted
    # The outcome of a publish is unknown when the function dies inside it, or before it recorded it done (the
    # next call): at most one repeat of that one message.
    if PUBLISH in {site, calls[fault.at - 1] if fault.at else ""}:
        assert sum(repeats.values()) <= 1, f"{fault} ({site}) repeated {repeats}"
    else:
        assert not repeats, f"{fault} ({site}) repeated {repeats}"


def assert_same_metrics(
    expected: list[MetricRecord], actual: list[MetricRecord], fault: Fault, calls: list[str]
) -> None:
    """Each metric's Sum as the fault-free run published it. What a step printed just before the call it was killed
    in (the step's done mark) is printed again by the retry that does the step again: that alone may count twice."""
    site = calls[fault.at] if fault.at < len(calls) else "?"
    wanted, published = metric_sums(expected), metric_sums(actual)
    repeatable = metric_sums([r for r in expected if r.after_calls == fault.at]) if fault.kind == "crash" else {}
    for key in sorted(set(wanted) | set(published)):
        low, high = wanted[key], wanted[key] + repeatable.get(key, 0)
        assert low <= published[key] <= high, f"metric {key} is {published[key]}, not {low}, after {fault} ({site})"


# Stories ---------------------------------------------------------------------------------------------------
def _sagemaker() -> Any:
    return boto3.client("sagemaker", region_name=REGION)


def _register(sm: Any, group: str, version: int, **extra: Any) -> str:
    spec = {
        "Containers": [
            {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7", "ModelDataUrl": f"s3://m/v{version}"}
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    return str(
        sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=spec, **extra)["ModelPackageArn"]
    )


def _card_content(package_arn: str, group: str, risk: str = "Medium") -> dict[str, Any]:
    return {
        "model_overview": {"model_owner": "retention-ml team", "model_description": "Predicts churn"},
        "intended_uses": {"purpose_of_model": "Retention offers", "risk_rating": risk},
        "business_details": {"business_problem": "Subscribers leave", "line_of_business": "Consumer"},
        "model_package_details": {"model_package_arn": package_arn, "model_package_group_name": group},
    }


def _registered(group: str, arn: str, version: int) -> dict[str, Any]:
    event = read_event("model_package_state_change")
    event["detail"].update(ModelPackageGroupName=group, ModelPackageVersion=version, ModelPackageArn=arn)
    event.update(region=REGION, resources=[arn], id=f"registered-{version}")
    return event


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _hand_made_card(
    sm: Any, name: str, package_arn: str, group: str, status: str = "Draft", kms_key: str | None = None
) -> None:
    """A card written by a person (encrypted with ``kms_key`` when given), confirmed by its package (the trust
    rule)."""
    security = {"SecurityConfig": {"KmsKeyId": kms_key}} if kms_key else {}
    sm.create_model_card(
        ModelCardName=name, Content=json.dumps(_card_content(package_arn, group)), ModelCardStatus=status, **security
    )
    sm.update_model_package(ModelPackageArn=package_arn, CustomerMetadataProperties={CARD_METADATA_KEY: name})


def carry_forward_story(world: LocalWorld) -> Deliveries:
    sm = _sagemaker()
    group = "churn"
    sm.create_model_package_group(ModelPackageGroupName=group)
    v1 = _register(sm, group, 1)
    _hand_made_card(sm, "churn-by-hand", v1, group)
    v2 = _register(sm, group, 2)
    yield from world.route(_registered(group, v2, 2))


def encrypted_carry_forward_story(world: LocalWorld) -> Deliveries:
    """The predecessor's card is encrypted with KEY and the new version's package too: the plans hold digests, and
    the card and the embedded card are derived again from the same card version when written."""
    sm = _sagemaker()
    group = "churn"
    sm.create_model_package_group(ModelPackageGroupName=group)
    v1 = _register(sm, group, 1)
    _hand_made_card(sm, "churn-by-hand", v1, group, kms_key=KEY)
    v2 = _register(sm, group, 2, SecurityConfig={"KmsKeyId": KEY})
    yield from world.route(_registered(group, v2, 2))


def encrypted_card_review_story(world: LocalWorld) -> Deliveries:
    """A card encrypted with KEY, its package too, edited and submitted: the embedded card follows (derived again
    when written), the notice shows no content."""
    sm = _sagemaker()
    group = "fraud"
    sm.create_model_package_group(ModelPackageGroupName=group)
    v1 = _register(sm, group, 1, SecurityConfig={"KmsKeyId": KEY})
    _hand_made_card(sm, "fraud-card", v1, group, kms_key=KEY)
    sm.update_model_card(ModelCardName="fraud-card", Content=json.dumps(_card_content(v1, group, risk="High")))
    sm.update_model_card(ModelCardName="fraud-card", ModelCardStatus="PendingReview")
    yield from world.route(_card_event(sm, "fraud-card", "review-1"))


def squatted_name_story(world: LocalWorld) -> Deliveries:
    """Someone took version 2's card name before it was registered: its card is carried forward under the
    fallback name, once. The random part is fixed here so runs compare; that a retry reuses the name its plan drew
    is shown in tests/security/test_trust_attacks.py."""
    from unittest import mock

    with mock.patch("model_governance.workflows.carry_forward.new_fallback_token", lambda: "fixed"):
        sm = _sagemaker()
        group = "squatted"
        sm.create_model_package_group(ModelPackageGroupName=group)
        v1 = _register(sm, group, 1)
        _hand_made_card(sm, "squatted-by-hand", v1, group)
        sm.create_model_card(ModelCardName="squatted-v2", Content=json.dumps({}), ModelCardStatus="Draft")
        v2 = _register(sm, group, 2)
        yield from world.route(_registered(group, v2, 2))


def _card_event(sm: Any, name: str, event_id: str) -> dict[str, Any]:
    card = sm.describe_model_card(ModelCardName=name)
    event = read_event("model_card_state_change")
    event["detail"].update(
        ModelCardName=name,
        ModelCardVersion=card["ModelCardVersion"],
        ModelCardStatus=card["ModelCardStatus"],
        LastModifiedTime=card["LastModifiedTime"].isoformat(),
        CreationTime=card["CreationTime"].isoformat(),
    )
    event.update(region=REGION, id=event_id, resources=[card["ModelCardArn"]])
    return event


def card_review_story(world: LocalWorld) -> Deliveries:
    """A confirmed card is submitted for review (notice), edited, approved (export, embedded card in step), and
    its export job's event confirms the PDF."""
    from local.moto_cards import export_job_event, export_jobs

    sm = _sagemaker()
    group = "fraud"
    sm.create_model_package_group(ModelPackageGroupName=group)
    v1 = _register(sm, group, 1)
    _hand_made_card(sm, "fraud-card", v1, group)
    sm.update_model_card(ModelCardName="fraud-card", ModelCardStatus="PendingReview")
    yield from world.route(_card_event(sm, "fraud-card", "review-1"))
    sm.update_model_card(ModelCardName="fraud-card", ModelCardStatus="Approved")
    yield from world.route(_card_event(sm, "fraud-card", "approved-1"))
    for job in export_jobs():
        yield from world.route({**export_job_event(job["ModelCardExportJobArn"]), "id": "export-1"})


def approval_gate_story(world: LocalWorld) -> Deliveries:
    """A version approved while its card is still Draft: the gate (warn) alerts ops and tells the owner."""
    sm = _sagemaker()
    group = "credit"
    sm.create_model_package_group(ModelPackageGroupName=group)
    v1 = _register(sm, group, 1)
    _hand_made_card(sm, "credit-card", v1, group)
    sm.update_model_package(ModelPackageArn=v1, ModelApprovalStatus="Approved")
    event = _registered(group, v1, 1)
    event["detail"].update(ModelApprovalStatus="Approved", UpdatedModelPackageFields=["ModelApprovalStatus"])
    event["id"] = "approved-1"
    yield from ((f, e) for f, e in world.route(event) if f.handler_dir == "approval_gate")


def approval_gate_enforce_story(world: LocalWorld) -> Deliveries:
    """Under enforce, a version approved twice while its card is Draft, each event without LastModifiedTime or
    UpdatedModelPackageFields: reverted each time (the revert first), ops and the owner told once per approval."""
    function = world.function("approval_gate")
    function.environment[constants.ENV_APPROVAL_GATE] = "enforce"
    function._module = None  # a fresh container reads the setting
    sm = _sagemaker()
    group = "loans"
    sm.create_model_package_group(ModelPackageGroupName=group)
    v1 = _register(sm, group, 1)
    _hand_made_card(sm, "loans-card", v1, group)
    for approval in (1, 2):
        sm.update_model_package(ModelPackageArn=v1, ModelApprovalStatus="Approved")
        event = _registered(group, v1, 1)
        event["detail"]["ModelApprovalStatus"] = "Approved"
        event["id"] = f"approved-{approval}"
        yield function, event


def stage_gate_story(world: LocalWorld) -> Deliveries:
    """A version moved from QA to Production while its card is Draft: under enforce the gate alerts, tells the
    owner and puts it back to QA (from the ledger); the revert's own event is then recognised and only recorded."""
    function = world.function("approval_gate")
    function.environment[constants.ENV_APPROVAL_GATE] = "enforce"
    function._module = None  # a fresh container reads the setting
    sm = _sagemaker()
    group = "pricing"
    sm.create_model_package_group(ModelPackageGroupName=group)
    v1 = _register(sm, group, 1, ModelLifeCycle={"Stage": "QA", "StageStatus": "Approved"})
    _hand_made_card(sm, "pricing-card", v1, group)

    def staged(event_id: str) -> dict[str, Any]:
        event = _registered(group, v1, 1)
        modified = datetime.now(UTC).isoformat()
        event["detail"].update(UpdatedModelPackageFields=["ModelLifeCycle"], LastModifiedTime=modified)
        event.update(id=event_id, time=modified)
        return event

    yield function, staged("stage-qa")  # QA: recorded
    sm.update_model_package(ModelPackageArn=v1, ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"})
    yield function, staged("stage-production")  # entered Production with a Draft card: reverted to QA
    yield function, staged("stage-reverted")  # the revert's own event


def _two_groups_one_without_a_card(sm: Any) -> None:
    for group in ("sweep-a", "sweep-b"):
        sm.create_model_package_group(ModelPackageGroupName=group)
        arn = _register(sm, group, 1)
        if group == "sweep-a":
            _hand_made_card(sm, "sweep-a-card", arn, group)


def account_sweep_story(world: LocalWorld) -> Deliveries:
    """Two groups, one latest version without a card; in a third, version 1 is documented by hand and the
    registration events of versions 2 and 3 were lost. The scheduled sweep writes its report, replays the lost
    registrations to carry-forward in order (not version 1: its card counts), and sends a digest that says so; the
    replay (its own delivery) carries the cards forward."""
    sm = _sagemaker()
    _two_groups_one_without_a_card(sm)
    sm.create_model_package_group(ModelPackageGroupName="lost")
    v1 = _register(sm, "lost", 1)
    _hand_made_card(sm, "lost-card", v1, "lost")
    _register(sm, "lost", 2)
    world.route(_registered("lost", _register(sm, "lost", 3), 3))  # lost too: v2 and v3 are one ordered replay
    # Version 1's event reached the gate (nothing to judge: no AWS call), not carry-forward; the sweep runs an hour
    # later, past the settle time.
    yield world.function("approval_gate"), _registered("lost", v1, 1)
    yield world.function("account_sweep"), {**read_event("scheduled_event"), "region": REGION}
    yield from world.invocations()


def account_sweep_security_hub_story(world: LocalWorld) -> Deliveries:
    """The sweep story with securityHubFindings on: its finding is imported, and a finding of ours whose problem
    is gone (imported by an earlier sweep) is archived."""
    from model_governance.sweep.asff import HubContext

    context = HubContext(account="123456789012", region=REGION, now=START - timedelta(days=1), run_id="earlier")
    gone = {
        "SchemaVersion": "2018-10-08",
        "Id": f"model-governance/{REGION}/model_without_card/model-package/retired/1",
        "ProductArn": context.product_arn,
        "GeneratorId": "model-governance/account-sweep/model_without_card",
        "AwsAccountId": context.account,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards/SageMaker model governance"],
        "CreatedAt": "2026-11-22T09:00:00.000Z",
        "UpdatedAt": "2026-11-22T09:00:00.000Z",
        "Severity": {"Label": "LOW"},
        "Title": "Latest model versions without a model card: retired v1",
        "Description": "latest version has no model card",
        "Resources": [{"Type": "Other", "Id": context.arn("model-package/retired/1")}],
        "RecordState": "ACTIVE",
    }
    boto3.client("securityhub", region_name=REGION).batch_import_findings(Findings=[gone])
    # Registered ten days ago, before reconciliation's window: nothing to replay whenever a retry runs, so the
    # calls are the sweep's own and Security Hub's.
    with time_machine.travel(START - timedelta(days=10), tick=False):
        _two_groups_one_without_a_card(_sagemaker())
    # The schedule fires now: an import older than the finding's UpdatedAt would be ignored (Security Hub's rule).
    yield (
        world.function("account_sweep"),
        {**read_event("scheduled_event"), "region": REGION, "time": f"{START:%Y-%m-%dT%H:%M:%SZ}"},
    )


def backfill_story(world: LocalWorld) -> Deliveries:
    """A group whose latest version has no card: the backfill carries version 1's card forward."""
    sm = _sagemaker()
    group = "legacy"
    sm.create_model_package_group(ModelPackageGroupName=group)
    v1 = _register(sm, group, 1)
    _hand_made_card(sm, "legacy-card", v1, group)
    _register(sm, group, 2)
    yield BackfillOperator(world.function("backfill")), {"mode": "backfill", "dry_run": False, "run_id": "backfill-1"}


@dataclass(frozen=True)
class BackfillOperator:
    """Runs the backfill as ops do (`make backfill`): a run that reports failed versions is run again, same id."""

    function: LocalFunction

    @property
    def handler_dir(self) -> str:
        return self.function.handler_dir

    def run(self, event: dict[str, Any]) -> Any:
        result = self.function.run(event)
        if any(item.get("outcome") == "failed" for item in result.get("items", [])):
            raise RuntimeError(f"backfill run {event['run_id']} reported failed versions: run it again")
        return result


def violation_story(world: LocalWorld) -> Deliveries:
    """An hour with the seed article's violations, then a clean hour: an alert, then "resolved"."""
    from local.moto_monitoring import execution_event
    from tests.integration.test_violation_flow import SEED, Monitor

    monitor = Monitor(world)
    for hour, violations in ((0, SEED), (1, [])):
        description = monitor.execution(hour, violations)
        event = execution_event(description, detail_fields=("ProcessingJobName", "ProcessingJobStatus"))
        event["id"] = f"execution-{hour}"
        yield from world.route(event)


@dataclass(frozen=True)
class ScheduledRun:
    """What a monitor's schedule starts: an execution of the synthesized DataQualityRuns state machine. Its tasks
    retry only Lambda's own service errors, so a killed or failed invocation fails the execution; the RunsFailed
    alarm tells ops, who run it again with the same input (the harness's later attempts)."""

    world: LocalWorld
    handler_dir: str = "dq_monitor"

    def run(self, event: dict[str, Any]) -> Any:
        execution = self.world.state_machine("DataQualityRuns").execute(event)
        if execution.status != "SUCCEEDED":
            raise RuntimeError(f"the run failed: {execution.error}: {execution.cause}")
        # The story is the one-invocation path (its CALLS pin that path's calls); a fan-out is another story.
        invoked = [e.state for e in execution.events if e.kind == "Invoked"]
        assert len(invoked) == 1, f"the window no longer fits one invocation: {invoked}"
        return execution.output


MQ_DEGRADING = START - timedelta(hours=3)  # its run fires two hours later (08:05), inside the story's first slot
MQ_OUTPUT = f"mq-reports/{mq_scenario.ENDPOINT}/{mq_scenario.MONITOR}"
MQ_METRICS = ("accuracy", "precision", "recall", "f1", "auc")


def model_quality_story(world: LocalWorld) -> Deliveries:
    """A model-quality monitor's scheduled run on a degrading hour (an alert naming its five metrics), then on the
    recovered next hour ("resolved"): each one invocation of the monitor function (the window fits)."""
    from tests.integration.test_mq_flow import scheduled_input

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=mq_scenario.BUCKET)
    mq_scenario.put_baseline(s3)
    for hour, degraded in ((MQ_DEGRADING, True), (MQ_DEGRADING + SLOT, False)):
        mq_scenario.serve_hour(s3, hour, seed=3 if degraded else 4, degraded=degraded)
        yield ScheduledRun(world), scheduled_input(world.template, hour)


STORIES = [
    Story("carry_forward", carry_forward_story),
    Story("squatted_name", squatted_name_story),
    Story("card_review", card_review_story),
    Story("approval_gate", approval_gate_story),
    Story("approval_gate_enforce", approval_gate_enforce_story),
    Story("stage_gate", stage_gate_story),
    Story("violation_alert", violation_story, metrics=True),
    Story("account_sweep", account_sweep_story),
    Story("account_sweep_security_hub", account_sweep_security_hub_story, (("securityHubFindings", True),)),
    Story("backfill", backfill_story),
    Story("encrypted_carry_forward", encrypted_carry_forward_story),
    Story("encrypted_card_review", encrypted_card_review_story),
    Story(
        "model_quality",
        model_quality_story,
        tuple(mq_scenario.CONTEXT.items()),
        files=f"s3://{mq_scenario.BUCKET}/{MQ_OUTPUT}/",
        metrics=True,
    ),
]


# The AWS calls of each story's fault-free run: every one is the site of two faults. A change in the number of
# calls fails test_the_stories_make_the_calls_the_matrix_covers: update it here (the matrix follows).
CALLS = {
    "carry_forward": 23,
    "squatted_name": 26,
    "card_review": 51,  # the export settles: HeadObject, then GetObject to hash the PDF (no S3 checksum)
    "approval_gate": 22,
    "approval_gate_enforce": 52,
    "stage_gate": 52,
    "violation_alert": 42,
    "account_sweep": 88,  # the lost v2 and v3 carried in one ordered replay (v1 is documented by hand)
    "account_sweep_security_hub": 27,
    "backfill": 34,
    "encrypted_carry_forward": 25,
    "encrypted_card_review": 25,
    "model_quality": 57,
}
FAULTS = [(story, fault) for story in STORIES for fault in faults_for(CALLS[story.name])]


_FAULT_FREE: dict[str, Outcome] = {}


def fault_free(template: dict[str, Any], story: Story) -> Outcome:
    """The story without faults, played once per test process."""
    if story.name not in _FAULT_FREE:
        _FAULT_FREE[story.name] = run(template, story)
    return _FAULT_FREE[story.name]


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.name)
def test_the_stories_make_the_calls_the_matrix_covers(template, story):
    calls = fault_free(template, story).calls
    assert len(calls) == CALLS[story.name], calls


@pytest.mark.parametrize(("story", "fault"), FAULTS, ids=[f"{s.name}-{f.kind}-{f.at}" for s, f in FAULTS])
def test_a_fault_at_any_call_ends_in_the_fault_free_account(template, story, fault):
    baseline = fault_free(template, story)
    faulted = run(template, story, fault)
    assert_same_account(baseline.state, faulted.state, fault, baseline.calls)
    if story.metrics:
        assert_same_metrics(baseline.metrics, faulted.metrics, fault, baseline.calls)


def test_the_model_quality_story_alerts_naming_its_metrics_then_resolves(template):
    """What the matrix holds every faulted run to: the degrading hour's files, one email naming its five metrics
    and the alarms' metrics, the recovered hour's "resolved", the schedule's state back to clean."""
    outcome = fault_free(template, next(s for s in STORIES if s.name == "model_quality"))
    state = outcome.state
    published = {(name, dimensions): total for (_, name, dimensions), total in metric_sums(outcome.metrics).items()}
    service = (("service", "model-governance"),)
    assert published[("MonitorExecutionsWithViolations", service)] == 1, published
    assert published[("MonitorViolations", service)] == 5, published
    assert published[("ViolationAlertsSent", service)] == 1, published
    hours = {key.rsplit("/", 2)[-2] for key in state["files"]}
    assert hours == {"08", "09"}, sorted(state["files"])
    violations = state["files"][f"{MQ_OUTPUT}/2026/11/23/08/constraint_violations.json"]
    assert {v["metric_name"] for v in json.loads(violations)["violations"]} == set(MQ_METRICS)
    assert json.loads(state["files"][f"{MQ_OUTPUT}/2026/11/23/09/constraint_violations.json"])["violations"] == []
    [alert, resolved] = sorted(state["messages"], key=lambda m: "RESOLVED" in m[1])
    assert alert[1].startswith("[Unknown] 5 Model Monitor violations on endpoint churn-endpoint"), alert[1]
    assert all(metric in alert[2] for metric in MQ_METRICS), alert[2]
    assert resolved[1].startswith("[RESOLVED]"), resolved[1]
    [schedule] = [i for i in state["table"] if i["sk"]["S"] == "VIOLATIONS"]
    assert (schedule["violating"], schedule["last_decision"]) == ({"BOOL": False}, {"S": "resolved:NOW_CLEAN"})
