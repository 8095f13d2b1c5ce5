"""Our data-quality monitor (issue 10): its own layer, one function, a schedule per monitor, exact S3 grants,
and a Step Functions Distributed Map for periods too large for one invocation."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration, ILocalBundling, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.governed_function import GovernedFunction
from infra.nag import acknowledge
from infra.shared import SharedResources
from infra.violation_alerts import grant_model_tracing
from model_governance import constants
from model_governance.monitoring.dq_monitors import RUN_MANIFEST, DataQualityMonitor, bucket_and_key, monitors_json
from model_governance.monitoring.mq_monitors import (
    MODEL_QUALITY_PARTS,
    ModelQualityMonitor,
)

DQ_LAYER_DIR = Path(__file__).resolve().parent.parent / "layers" / "dq"
# DataSketches publishes no CPython 3.14 wheels: the monitor runs on the newest runtime it has wheels for.
DQ_RUNTIME = lambda_.Runtime.PYTHON_3_13
BUILD_CACHE = Path.home() / ".cache" / "model-governance" / "dq-layer"
CHECK_TIMEOUT = Duration.minutes(15)
MAP_CONCURRENCY = 40


@jsii.implements(ILocalBundling)
class CompiledWheelsLocally:
    """pip install of layers/dq/requirements.txt for manylinux aarch64 / CPython 3.13, cached by the file's
    hash (a synth reuses the last build instead of reinstalling 55 MB of wheels)."""

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_: object) -> bool:
        requirements = DQ_LAYER_DIR / "requirements.txt"
        cache = BUILD_CACHE / hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
        if not (cache / ".complete").exists():
            shutil.rmtree(cache, ignore_errors=True)
            subprocess.run(
                [
                    sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--requirement", str(requirements), "--target", str(cache),
                    "--python-version", DQ_RUNTIME.name.removeprefix("python"), "--only-binary=:all:",
                    "--implementation", "cp", "--platform", "manylinux2014_aarch64",
                    "--platform", "manylinux_2_28_aarch64", "--no-compile",
                ],
                check=True,
            )  # fmt: skip
            (cache / ".complete").touch()
        target = Path(output_dir) / "python"
        shutil.copytree(cache, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".complete"))
        shutil.copytree(
            DQ_LAYER_DIR / "python", target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        return True


class DataQualityLayer(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            description="data_quality package with numpy, Apache DataSketches and orjson (the data-quality monitor only)",
            compatible_runtimes=[DQ_RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            code=lambda_.Code.from_asset(
                str(DQ_LAYER_DIR),
                asset_hash_type=AssetHashType.SOURCE,
                exclude=["**/__pycache__", "**/*.pyc"],
                bundling=BundlingOptions(
                    image=DQ_RUNTIME.bundling_image,
                    local=CompiledWheelsLocally(),
                    command=[
                        "bash",
                        "-c",
                        "pip install -r requirements.txt -t /asset-output/python && cp -r python/* /asset-output/python/",
                    ],
                ),
            ),
        )


class DataQualityMonitors(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, shared: SharedResources) -> None:
        super().__init__(scope, construct_id)
        config = shared.config
        monitors = config.data_quality_monitors
        quality_monitors = config.model_quality_monitors
        layer = DataQualityLayer(self, "Layer").layer
        self._retention = shared.log_retention
        self._monitors = monitors
        self._quality_monitors = quality_monitors
        self.handler = GovernedFunction(
            self,
            "Handler",
            handler_dir="dq_monitor",
            description="Data-quality monitor without Model Monitor: baseline, check capture, Model Monitor's files, alerts",
            shared=shared,
            timeout_seconds=int(CHECK_TIMEOUT.to_seconds()),
            memory_size=1769,  # one full vCPU: the check is CPU-bound (bench/data_quality.py)
            runtime=DQ_RUNTIME,
            extra_layers=(layer,),
            environment={
                constants.ENV_STATE_TABLE: shared.state.table.table_name,
                constants.ENV_OPS_TOPIC: shared.topics.ops.topic_arn,
                constants.ENV_VIOLATION_COOLDOWN_HOURS: str(config.violation_cooldown_hours),
                constants.ENV_DQ_MONITORS: monitors_json(monitors),
                constants.ENV_MQ_MONITORS: monitors_json(quality_monitors),
            },
        )
        acknowledge(
            self.handler.function,
            "L1",
            "Apache DataSketches publishes no CPython 3.14 wheels; python3.13 is the newest runtime it supports",
        )
        fn = self.handler
        grant_model_tracing(fn)
        for monitor in monitors:
            self._grant(fn, monitor)
        for quality in quality_monitors:
            self._grant_model_quality(fn, quality)
        self.state_machine = self._state_machine(fn) if monitors or quality_monitors else None
        scheduled = [(m.name, m.endpoint, m.schedule, "Data-quality") for m in monitors]
        scheduled += [(m.name, m.endpoint, m.schedule, "Model-quality") for m in quality_monitors]
        for name, endpoint, schedule, kind in scheduled:
            assert self.state_machine is not None
            rule = events.Rule(
                self,
                f"Schedule-{name}",
                description=f"{kind} check of endpoint {endpoint} (monitor {name})",
                schedule=events.Schedule.expression(schedule),
            )
            rule.add_target(
                targets.SfnStateMachine(
                    self.state_machine,
                    input=events.RuleTargetInput.from_object(
                        {"action": "check", "monitor": name, "time": events.EventField.time}
                    ),
                    dead_letter_queue=fn.dead_letter_queue,
                    retry_attempts=8,
                    max_event_age=Duration.hours(2),
                )
            )

    @staticmethod
    def _grant_model_quality(fn: GovernedFunction, monitor: ModelQualityMonitor) -> None:
        """Read its endpoint's capture, its ground truth prefix and its baseline's two files; write its output."""
        partition = Stack.of(fn).partition
        reason = f"monitor {monitor.name}: objects under its own configured prefix only (dated sub-folders)"
        capture_bucket, capture_key = bucket_and_key(monitor.capture_prefix)
        truth_bucket, truth_key = bucket_and_key(monitor.ground_truth_prefix)
        output_bucket, output_key = bucket_and_key(monitor.output_prefix)
        readable = (
            (capture_bucket, f"{capture_key}/{monitor.endpoint}/{monitor.variant}".strip("/")),
            (truth_bucket, truth_key),
        )
        for bucket, prefix in readable:
            fn.allow(["s3:ListBucket"], [f"arn:{partition}:s3:::{bucket}"], StringLike={"s3:prefix": [f"{prefix}/*"]})
            fn.allow(["s3:GetObject"], [f"arn:{partition}:s3:::{bucket}/{prefix}/*"], wildcard_reason=reason)
        baseline_bucket, baseline_key = bucket_and_key(monitor.baseline_prefix)
        baseline = f"arn:{partition}:s3:::{baseline_bucket}/{baseline_key}"
        # constraints.json to judge; statistics.json only for the baseline's values beside the run's in report.html
        fn.allow(["s3:GetObject"], [f"{baseline}/constraints.json", f"{baseline}/statistics.json"])
        output = f"{output_key}/{monitor.endpoint}/{monitor.name}".strip("/")
        fn.allow(["s3:PutObject"], [f"arn:{partition}:s3:::{output_bucket}/{output}/*"], wildcard_reason=reason)
        # A fanned-out run's Finish reads its manifest and its batches' parts back; listing the output makes a
        # missing part a 404 (the run fails naming its batch) rather than an access denied.
        fn.allow(
            ["s3:GetObject"],
            [
                f"arn:{partition}:s3:::{output_bucket}/{output}/*/{RUN_MANIFEST}",
                f"arn:{partition}:s3:::{output_bucket}/{output}/*/{MODEL_QUALITY_PARTS}/*",
            ],
            wildcard_reason=reason,
        )
        fn.allow(
            ["s3:ListBucket"], [f"arn:{partition}:s3:::{output_bucket}"], StringLike={"s3:prefix": [f"{output}/*"]}
        )
        if monitor.kms_key_arns:
            fn.allow(
                ["kms:Decrypt", "kms:GenerateDataKey"],
                list(monitor.kms_key_arns),
                StringEquals={"kms:ViaService": f"s3.{Stack.of(fn).region}.amazonaws.com"},
            )

    @staticmethod
    def _grant(fn: GovernedFunction, monitor: DataQualityMonitor) -> None:
        """Exactly this monitor's prefixes: read its endpoint's capture and its baseline, write its output."""
        partition = Stack.of(fn).partition
        capture_bucket, capture_key = bucket_and_key(monitor.capture_prefix)
        capture = f"{capture_key}/{monitor.endpoint}/{monitor.variant}".strip("/")
        baseline_bucket, baseline_key = bucket_and_key(monitor.baseline_prefix)
        output_bucket, output_key = bucket_and_key(monitor.output_prefix)
        output = f"{output_key}/{monitor.endpoint}/{monitor.name}".strip("/")
        reason = f"monitor {monitor.name}: objects under its own configured prefix only (dated sub-folders)"
        fn.allow(
            ["s3:ListBucket"],
            [f"arn:{partition}:s3:::{capture_bucket}"],
            StringLike={"s3:prefix": [f"{capture}/*"]},
        )
        fn.allow(["s3:GetObject"], [f"arn:{partition}:s3:::{capture_bucket}/{capture}/*"], wildcard_reason=reason)
        base = f"arn:{partition}:s3:::{baseline_bucket}/{baseline_key}".rstrip("/")
        fn.allow(["s3:GetObject"], [f"{base}/statistics.json", f"{base}/constraints.json"])
        fn.allow(
            ["s3:ListBucket"], [f"arn:{partition}:s3:::{output_bucket}"], StringLike={"s3:prefix": [f"{output}/*"]}
        )
        fn.allow(
            ["s3:GetObject", "s3:PutObject"],
            [f"arn:{partition}:s3:::{output_bucket}/{output}/*"],
            wildcard_reason=reason,
        )
        if monitor.kms_key_arns:
            fn.allow(
                ["kms:Decrypt", "kms:GenerateDataKey"],
                list(monitor.kms_key_arns),
                StringEquals={"kms:ViaService": f"s3.{Stack.of(fn).region}.amazonaws.com"},
            )

    def _state_machine(self, fn: GovernedFunction) -> sfn.StateMachine:
        """check (one invocation when the period fits) -> else Distributed Map over the manifest -> finish."""

        def invoke(name: str, payload: sfn.TaskInput | None = None) -> tasks.LambdaInvoke:
            """Without a payload the function gets the state's whole input (a payload of ``$`` would render
            ``"Parameters": "$"``, which Step Functions sends as the string "$")."""
            task = tasks.LambdaInvoke(
                self,
                name,
                lambda_function=fn.function,
                payload=payload,
                payload_response_only=True,
                retry_on_service_exceptions=True,
            )
            task.add_retry(  # throttled when many batches start at once, or the account's concurrency is low
                errors=["Lambda.TooManyRequestsException"],
                interval=Duration.seconds(5),
                max_attempts=8,
                backoff_rate=2,
                jitter_strategy=sfn.JitterType.FULL,
            )
            return task

        monitor_and_time = {"monitor": sfn.JsonPath.string_at("$.monitor"), "time": sfn.JsonPath.string_at("$.time")}
        # Each manifest item is already a group of capture objects bounded by their bytes (workflow.py
        # BATCH_MAX_BYTES): one item is one ProfileBatch invocation that fits the function's time.
        fan_out = sfn.DistributedMap(
            self,
            "ProfileCaptureObjects",
            item_reader=sfn.S3JsonItemReader(
                bucket_name_path=sfn.JsonPath.string_at("$.manifest_bucket"),
                key=sfn.JsonPath.string_at("$.manifest_key"),
            ),
            item_selector={
                "action": "profile",
                **monitor_and_time,
                # what the item's objects are: capture, or a model-quality run's ground truth
                "Kind": sfn.JsonPath.string_at("$$.Map.Item.Value.kind"),
                "Items": sfn.JsonPath.list_at("$$.Map.Item.Value.objects"),
            },
            max_concurrency=MAP_CONCURRENCY,
            result_path=sfn.JsonPath.DISCARD,
        )
        fan_out.item_processor(invoke("ProfileBatch"))
        finish = invoke("Finish", sfn.TaskInput.from_object({"action": "finish", **monitor_and_time}))
        definition = invoke("Check").next(
            sfn.Choice(self, "FitsOneInvocation")
            .when(sfn.Condition.string_equals("$.mode", "fan_out"), fan_out.next(finish))
            .otherwise(sfn.Succeed(self, "Checked"))
        )
        log_group = logs.LogGroup(self, "RunLogs", retention=self._retention)
        machine = sfn.StateMachine(
            self,
            "Runs",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(2),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        # the Distributed Map reads the manifest a big run writes to its output
        fanned_out: list[DataQualityMonitor | ModelQualityMonitor] = [*self._monitors, *self._quality_monitors]
        for monitor in fanned_out:
            bucket, key = bucket_and_key(monitor.output_prefix)
            output = f"{key}/{monitor.endpoint}/{monitor.name}".strip("/")
            machine.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[f"arn:{Stack.of(self).partition}:s3:::{bucket}/{output}/*/{RUN_MANIFEST}"],
                )
            )
            if monitor.kms_key_arns:  # the item reader reads with this role: a CMK-encrypted manifest needs the key
                machine.add_to_role_policy(
                    iam.PolicyStatement(
                        actions=["kms:Decrypt"],
                        resources=list(monitor.kms_key_arns),
                        conditions={"StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"}},
                    )
                )
        fn.accept_invocations_from(machine.role)  # the Lambda tasks above granted the role the invoke
        function_arn = Stack.of(self).resolve(fn.function.function_arn)["Fn::GetAtt"][0]
        reasons = {
            "IAM5[Resource::*]": "X-Ray tracing and CloudWatch Logs delivery support no resource-level permissions",
            f"IAM5[Resource::<{function_arn}.Arn>:*]": "CDK's Lambda task grant covers the function's versions",
        }
        for finding, reason in reasons.items():
            acknowledge(machine, finding, reason)
        for monitor in fanned_out:
            bucket, key = bucket_and_key(monitor.output_prefix)
            output = f"{key}/{monitor.endpoint}/{monitor.name}".strip("/")
            acknowledge(
                machine, f"IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{output}/*/{RUN_MANIFEST}]",
                "a run's manifest only, under the monitor's dated output folder (one folder per period)",
            )  # fmt: skip
        for suffix in (":*", "/*:*"):
            acknowledge(
                machine,
                f'IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{Stack.of(self).get_logical_id(machine.node.default_child)}"}}]}}]}}{suffix}]',  # type: ignore[arg-type]
                "Distributed Map child executions have generated names under this state machine",
            )
        fn.alarm(
            "RunsFailed",
            machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
            "A data-quality run's state machine failed (the monitor's period was not checked)",
        )
        return machine
