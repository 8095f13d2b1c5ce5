"""`make smoke`: is the deployed stack working? One PASS/FAIL line per check, exit 1 if any fails.

    python -m ops.smoke [--stack ModelGovernance] [--no-sweep]

It checks that every rule is enabled and targets a function whose resource policy lets that rule invoke it, that
the alert topics have confirmed subscriptions (an email subscription waits for its recipient to click the link),
that every alarm notifies the ops topic, then runs the sweep once in report-only mode (it reads the account and
writes its report, replays nothing and sends nothing). Read-only otherwise; run it as an operator named in
``operatorPrincipalArns`` (only they may invoke the functions by hand).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from model_governance.constants import SWEEP_REPORT_ONLY
from ops.cli import OneLineParser, run, session
from ops.stack import DEFAULT_STACK, DeployedStack, read_stack

OPS_TOPIC = "AlertsOpsTopic"  # logical id prefixes of infra.alerting's topics
NOTICES_TOPIC = "AlertsNoticesTopic"
EVENTS = "events.amazonaws.com"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str = ""
    warning: bool = False  # worth saying, not a failure

    def line(self) -> str:
        mark = "PASS" if self.passed else ("WARN" if self.warning else "FAIL")
        return f"{mark}  {self.name}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Rule:
    name: str
    arn: str
    state: str
    target_arns: tuple[str, ...]


@dataclass(frozen=True)
class Subscription:
    protocol: str
    endpoint: str
    arn: str  # "PendingConfirmation" until the recipient confirms

    @property
    def confirmed(self) -> bool:
        return self.arn.startswith("arn:")


# --- the checks: pure functions of what was read ---


def rule_checks(rules: Iterable[Rule], policies: Mapping[str, Mapping[str, Any] | None]) -> list[Check]:
    """Each rule is enabled, and each function it targets lets exactly that rule invoke it (as Lambda evaluates it:
    an Allow for EventBridge with the rule as source, and no Deny that applies)."""
    checks = []
    for rule in rules:
        checks.append(Check(f"rule {rule.name} enabled", rule.state == "ENABLED", rule.state))
        for target in rule.target_arns:
            function = target.split(":")[6] if target.count(":") >= 6 else target
            policy = policies.get(function)
            verdict = invocable_by(policy, rule.arn) if policy is not None else "the function has no resource policy"
            checks.append(Check(f"{function} invocable by rule {rule.name}", verdict == "", verdict))
    return checks


def invocable_by(policy: Mapping[str, Any], rule_arn: str) -> str:
    """'' when EventBridge, delivering for ``rule_arn``, may invoke under ``policy``; else why not."""
    context = {"aws:SourceArn": rule_arn}
    statements = policy.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    relevant = [s for s in statements if _names_invoke(s) and _principal_matches(s.get("Principal"), EVENTS)]
    denied = [s.get("Sid", "a Deny") for s in relevant if s.get("Effect") == "Deny" and _conditions_hold(s, context)]
    if denied:
        return f"denied by {', '.join(denied)}"
    if not any(s.get("Effect") == "Allow" and _conditions_hold(s, context) for s in relevant):
        return f"no statement allows {EVENTS} from this rule"
    return ""


def topic_checks(ops: Sequence[Subscription] | None, notices: Sequence[Subscription] | None) -> list[Check]:
    checks = []
    for topic, subscriptions, required in (("ops", ops, True), ("notices", notices, False)):
        if subscriptions is None:
            continue
        pending = [s.endpoint for s in subscriptions if not s.confirmed]
        confirmed = [f"{s.protocol} {s.endpoint}" for s in subscriptions if s.confirmed]
        if pending:
            checks.append(
                Check(
                    f"{topic} topic subscriptions confirmed",
                    False,
                    f"waiting for {', '.join(pending)} to click the link in the AWS Notification email",
                )
            )
        if confirmed:
            checks.append(Check(f"{topic} topic reaches someone", True, ", ".join(confirmed)))
        elif not pending:
            reason = "nobody receives " + ("alarms and alerts: set alertEmails" if required else "notices")
            checks.append(Check(f"{topic} topic reaches someone", False, reason, warning=not required))
    return checks


def alarm_checks(alarms: Mapping[str, Sequence[str]], ops_topic_arn: str) -> list[Check]:
    unwired = sorted(name for name, actions in alarms.items() if ops_topic_arn not in actions)
    detail = f"{len(alarms)} alarms" + (f"; not notifying ops: {', '.join(unwired)}" if unwired else "")
    return [Check("every alarm notifies the ops topic", not unwired and bool(alarms), detail)]


def sweep_check(response: Mapping[str, Any]) -> Check:
    if response.get("FunctionError"):
        payload = response.get("payload") or {}
        return Check("report-only sweep", False, f"{payload.get('errorType')}: {payload.get('errorMessage')}")
    summary = response.get("payload") or {}
    total = sum((summary.get("counts") or {}).values())
    calls = (summary.get("scanned") or {}).get("sagemaker_calls", "?")
    return Check(
        "report-only sweep", True, f"{total} findings, {calls} SageMaker calls, report {summary.get('report_uri', '?')}"
    )


def _names_invoke(statement: Mapping[str, Any]) -> bool:
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    return any(
        fnmatchcase("lambda:InvokeFunction", a) or fnmatchcase("lambda:invokefunction", a.lower()) for a in actions
    )


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        for kind in ("Service", "AWS"):
            values = principal.get(kind, [])
            values = [values] if isinstance(values, str) else values
            if "*" in values or (kind == "Service" and service in values):
                return True
    return False


def _conditions_hold(statement: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Every condition of the statement holds for a request with ``context`` (keys absent from it are absent)."""
    for operator, tests in (statement.get("Condition") or {}).items():
        base = operator.removesuffix("IfExists")
        for key, expected in tests.items():
            values = [expected] if isinstance(expected, str) else list(expected)
            actual = context.get(key)
            if base == "Null":
                if (actual is None) != (str(values[0]).lower() == "true"):
                    return False
                continue
            if actual is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            if not _operator_holds(base, actual, values):
                return False
    return True


def _operator_holds(operator: str, actual: str, values: list[str]) -> bool:
    match = {
        "ArnEquals": lambda v: actual == v,
        "ArnLike": lambda v: fnmatchcase(actual, v),
        "StringEquals": lambda v: actual == v,
        "StringLike": lambda v: fnmatchcase(actual, v),
    }
    if operator in match:
        return any(match[operator](v) for v in values)
    negated = operator.replace("Not", "")
    if negated in match:
        return not any(match[negated](v) for v in values)
    return False  # an operator this check does not know: treat the statement as not applying


# --- reading the deployed stack ---


def read_rules(events: Any, stack: DeployedStack) -> list[Rule]:
    rules = []
    for resource in stack.of_type("AWS::Events::Rule"):
        bus, _, name = resource.physical_id.rpartition("|")
        described = events.describe_rule(Name=name, **({"EventBusName": bus} if bus else {}))
        targets = events.list_targets_by_rule(Rule=name, **({"EventBusName": bus} if bus else {}))["Targets"]
        rules.append(Rule(name, described["Arn"], described.get("State", ""), tuple(t["Arn"] for t in targets)))
    return rules


def read_policies(lambda_client: Any, functions: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    policies: dict[str, dict[str, Any] | None] = {}
    for function in functions:
        try:
            policies[function] = json.loads(lambda_client.get_policy(FunctionName=function)["Policy"])
        except lambda_client.exceptions.ResourceNotFoundException:
            policies[function] = None
    return policies


def read_subscriptions(sns: Any, topic_arn: str | None) -> list[Subscription] | None:
    if not topic_arn:
        return None
    found = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        found += [Subscription(s["Protocol"], s["Endpoint"], s["SubscriptionArn"]) for s in page["Subscriptions"]]
    return found


def read_alarms(cloudwatch: Any, names: Sequence[str]) -> dict[str, list[str]]:
    alarms: dict[str, list[str]] = {}
    for start in range(0, len(names), 100):
        for alarm in cloudwatch.describe_alarms(AlarmNames=list(names[start : start + 100]))["MetricAlarms"]:
            alarms[alarm["AlarmName"]] = list(alarm.get("AlarmActions", []))
    return alarms


def invoke_report_only_sweep(lambda_client: Any, function: str) -> dict[str, Any]:
    response = lambda_client.invoke(FunctionName=function, Payload=json.dumps({"mode": SWEEP_REPORT_ONLY}).encode())
    return {**response, "payload": json.loads(response["Payload"].read() or b"{}")}


def smoke(aws: Any, stack_name: str, *, sweep: bool = True) -> list[Check]:
    stack = read_stack(aws.client("cloudformation"), stack_name)
    functions = [f.physical_id for f in stack.of_type("AWS::Lambda::Function")]
    lambda_client = aws.client("lambda")
    checks = rule_checks(read_rules(aws.client("events"), stack), read_policies(lambda_client, functions))
    ops_topic, notices_topic = stack.topic(OPS_TOPIC), stack.topic(NOTICES_TOPIC)
    sns = aws.client("sns")
    checks += topic_checks(
        read_subscriptions(sns, ops_topic.physical_id if ops_topic else None),
        read_subscriptions(sns, notices_topic.physical_id if notices_topic else None),
    )
    alarms = read_alarms(aws.client("cloudwatch"), [a.physical_id for a in stack.of_type("AWS::CloudWatch::Alarm")])
    checks += alarm_checks(alarms, ops_topic.physical_id if ops_topic else "")
    sweeper = stack.function("account_sweep")
    if sweep and sweeper is not None:
        checks.append(sweep_check(invoke_report_only_sweep(lambda_client, sweeper.physical_id)))
    return checks


def main(argv: Sequence[str] | None = None, *, aws: Any = None) -> int:
    parser = OneLineParser(prog="make smoke", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default=DEFAULT_STACK, help=f"stack name (default {DEFAULT_STACK})")
    parser.add_argument("--no-sweep", action="store_true", help="skip the report-only sweep")
    args = parser.parse_args(argv)
    checks = smoke(aws or session(), args.stack, sweep=not args.no_sweep)
    for check in checks:
        print(check.line())
    failed = [c for c in checks if not c.passed and not c.warning]
    print(f"{len(checks)} checks, {len(failed)} failed" + ("" if failed else ": the stack is working"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run(main))
