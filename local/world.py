"""The synthesized stack, stood up on moto: tables, topics, queues, buckets and rules from the template.

Events are put on moto's default bus; the rules (with the template's own patterns) deliver them to one SQS
queue per function (moto's EventBridge delivers only to SQS), and ``deliver`` hands each delivered event to
the real handler module with the environment the template gives that function, and with its role's DynamoDB
grants enforced (``local/dynamodb_grants.py``). An asynchronous Lambda invocation one function makes of
another (the sweep's replays of lost events) is queued the same way and delivered after the events.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from infra.governed_function import HANDLER_METADATA_KEY
from local import asl, dynamodb_grants
from local.offline import ACCOUNT, REGION
from model_governance.adapters.clients import reset_clients

ROOT = Path(__file__).resolve().parent.parent


_INVOKE_PARAMS = "local-invoke-params"


_CURRENT_WORLD: LocalWorld | None = None


def _invoke_later(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    assert _CURRENT_WORLD is not None
    return _CURRENT_WORLD.invoke_later(context[_INVOKE_PARAMS])


def _keep_invoke_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_INVOKE_PARAMS] = dict(params)  # before-call sees the serialized request; the queue wants the params


def synthesize(context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stack's CloudFormation template, synthesized in-process (no bundling, no AWS calls)."""
    from app import STACK_NAME, build_app

    defaults = json.loads((ROOT / "cdk.json").read_text())["context"]
    app, _ = build_app({**defaults, "aws:cdk:bundling-stacks": [], **(context or {})})
    return dict(app.synth().get_stack_by_name(STACK_NAME).template)


@dataclass
class Published:
    topic: str
    subject: str
    body: str
    attributes: dict[str, str]


@dataclass
class Invocation:
    function: str
    event: dict[str, Any]
    result: Any = None
    error: Exception | None = None
    metrics: list[dict[str, Any]] = field(default_factory=list)


class FakeLambdaContext:
    def __init__(self, function: str) -> None:
        self.function_name = function
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 256
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
        self.aws_request_id = f"local-{function}"
        self.log_group_name = f"/aws/lambda/{function}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class LocalFunction:
    logical_id: str
    handler_dir: str
    environment: dict[str, str]
    grants: list[dynamodb_grants.Grant] = field(default_factory=list)
    delivery_queue_url: str = ""
    _module: ModuleType | None = None

    def module(self) -> ModuleType:
        if self._module is None:
            path = ROOT / "functions" / self.handler_dir / "app.py"
            spec = importlib.util.spec_from_file_location(f"local_functions.{self.handler_dir}", path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            with mock.patch.dict(os.environ, self.environment):
                spec.loader.exec_module(module)
            self._module = module
        return self._module

    def run(self, event: dict[str, Any]) -> Any:
        """Run the handler as Lambda would, letting whatever it raises through (tests of retries use this)."""
        with mock.patch.dict(os.environ, self.environment), dynamodb_grants.acting_as(self.handler_dir, self.grants):
            return self.module().handler(event, FakeLambdaContext(self.handler_dir))

    def invoke(self, event: dict[str, Any]) -> Invocation:
        invocation = Invocation(function=self.handler_dir, event=event)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                invocation.result = self.run(event)
            except Exception as error:  # the demo reports it; Lambda would retry and then dead-letter it
                invocation.error = error
        for line in out.getvalue().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and "_aws" in record:
                    invocation.metrics.append(record)
        return invocation


class LocalWorld:
    """Build inside ``moto.mock_aws()``: every resource lives in moto's memory."""

    def __init__(self, template: dict[str, Any]) -> None:
        dynamodb_grants.install()  # before any client exists: clients copy the session's handlers
        reset_clients()
        self.template = template
        self.resources: dict[str, Any] = template["Resources"]
        self.physical: dict[str, str] = {}
        self.functions: dict[str, LocalFunction] = {}
        self._inboxes: dict[str, str] = {}
        self._invocations: list[tuple[LocalFunction, dict[str, Any]]] = []
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.events = boto3.client("events", region_name=REGION)
        self._create_tables()
        self._create_topics()
        self._create_buckets()
        self._create_functions()
        self._create_rules()
        global _CURRENT_WORLD
        _CURRENT_WORLD = self  # the session's handlers are registered once (unique ids): they ask for the world
        session_events = boto3._get_default_session().events
        session_events.register("before-parameter-build.lambda.Invoke", _keep_invoke_params, unique_id="local-keep")
        session_events.register("before-call.lambda.Invoke", _invoke_later, unique_id="local-lambda-invoke")

    # Resources -----------------------------------------------------------------------------------------
    def _of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}

    def _create_tables(self) -> None:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for logical_id, resource in {
            **self._of_type("AWS::DynamoDB::GlobalTable"),
            **self._of_type("AWS::DynamoDB::Table"),
        }.items():
            props = resource["Properties"]
            request: dict[str, Any] = {
                "TableName": f"local-{logical_id}",
                "KeySchema": props["KeySchema"],
                "AttributeDefinitions": props["AttributeDefinitions"],
                "BillingMode": "PAY_PER_REQUEST",
            }
            if props.get("GlobalSecondaryIndexes"):
                request["GlobalSecondaryIndexes"] = [
                    {
                        "IndexName": i["IndexName"],
                        "KeySchema": i["KeySchema"],
                        "Projection": i.get("Projection", {"ProjectionType": "ALL"}),
                    }
                    for i in props["GlobalSecondaryIndexes"]
                ]
            dynamodb.create_table(**request)
            self.physical[logical_id] = request["TableName"]

    def _create_topics(self) -> None:
        for logical_id in self._of_type("AWS::SNS::Topic"):
            arn = self.sns.create_topic(Name=f"local-{logical_id}")["TopicArn"]
            self.physical[logical_id] = arn
            queue_url = self.sqs.create_queue(QueueName=f"inbox-{logical_id}")["QueueUrl"]
            queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            self.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
            self._inboxes[logical_id] = queue_url

    def _create_buckets(self) -> None:
        s3 = boto3.client("s3", region_name=REGION)
        for logical_id in self._of_type("AWS::S3::Bucket"):
            name = f"local-{logical_id.lower()}"[:63]
            s3.create_bucket(Bucket=name)
            properties = self.template["Resources"][logical_id].get("Properties") or {}
            if (properties.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            self.physical[logical_id] = name

    def _create_functions(self) -> None:
        for logical_id, resource in self._of_type("AWS::Lambda::Function").items():
            handler_dir = (resource.get("Metadata") or {}).get(HANDLER_METADATA_KEY)
            if not handler_dir:
                continue
            variables = ((resource["Properties"].get("Environment") or {}).get("Variables")) or {}
            environment = {name: self._resolve(value) for name, value in variables.items()}
            environment.setdefault("POWERTOOLS_SERVICE_NAME", "model-governance")
            grants = dynamodb_grants.role_grants(self.template, resource["Properties"]["Role"]["Fn::GetAtt"][0])
            self.functions[logical_id] = LocalFunction(logical_id, handler_dir, environment, grants)

    def _create_rules(self) -> None:
        for logical_id, resource in self._of_type("AWS::Events::Rule").items():
            props = resource["Properties"]
            if "EventPattern" not in props:
                continue  # schedules: the demo invokes those functions directly
            for target in props.get("Targets", []):
                function_id = (target.get("Arn") or {}).get("Fn::GetAtt", [None])[0]
                function = self.functions.get(function_id)
                if function is None:
                    continue
                if not function.delivery_queue_url:
                    function.delivery_queue_url = self.sqs.create_queue(QueueName=f"deliveries-{function_id}")[
                        "QueueUrl"
                    ]
                queue_arn = self.sqs.get_queue_attributes(
                    QueueUrl=function.delivery_queue_url, AttributeNames=["QueueArn"]
                )["Attributes"]["QueueArn"]
                self.events.put_rule(Name=logical_id, EventPattern=json.dumps(props["EventPattern"]))
                self.events.put_targets(Rule=logical_id, Targets=[{"Id": function_id, "Arn": queue_arn}])

    def invoke_later(self, params: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
        """Lambda's asynchronous invoke: accepted (202) and queued for ``deliver``; only functions of the stack."""
        name = str(params["FunctionName"]).rsplit(":", 1)[-1]
        function = self.functions.get(name)
        if function is None or params.get("InvocationType") != "Event":
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": f"Function not found: {name}"}}, "Invoke"
            )
        self._invocations.append((function, json.loads(params["Payload"])))
        return AWSResponse("https://lambda.local", 202, {}, None), {"StatusCode": 202}

    def _resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return str(separator).join(self._resolve(part) for part in parts)
        if isinstance(value, dict) and "Ref" in value:
            return self.physical.get(value["Ref"], str(value["Ref"]))
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return self.physical.get(value["Fn::GetAtt"][0], str(value))
        return json.dumps(value)

    # Use -----------------------------------------------------------------------------------------------
    def function(self, handler_dir: str) -> LocalFunction:
        return next(f for f in self.functions.values() if f.handler_dir == handler_dir)

    def state_machine(self, logical_prefix: str) -> asl.StateMachine:
        """The synthesized state machine whose logical id starts with ``logical_prefix``, its definition read
        from the template (function ARNs resolved to this world's handlers), run by ``local/asl.py``."""
        [(logical_id, machine)] = [
            (k, v) for k, v in self._of_type("AWS::StepFunctions::StateMachine").items() if k.startswith(logical_prefix)
        ]
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::URLSuffix": "amazonaws.com",
        }

        def substitute(value: Any) -> str:
            if isinstance(value, str):
                return value
            if "Fn::Join" in value:
                separator, parts = value["Fn::Join"]
                return str(separator).join(substitute(part) for part in parts)
            if "Ref" in value and value["Ref"] in pseudo:
                return pseudo[value["Ref"]]
            if "Fn::GetAtt" in value and value["Fn::GetAtt"][0] in self.functions:
                return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{value['Fn::GetAtt'][0]}"
            raise ValueError(f"state machine {logical_id}: cannot resolve {value}")

        return asl.StateMachine(
            substitute(machine["Properties"]["DefinitionString"]),
            invoke=self._invoke_synchronously,
            s3=boto3.client("s3", region_name=REGION),
            name=logical_id,
        )

    def _invoke_synchronously(self, function_arn: str, payload: Any) -> Any:
        """Lambda's RequestResponse invoke from Step Functions: the payload and the result cross as JSON."""
        function = self.functions.get(function_arn.rsplit(":", 1)[-1])
        if function is None:
            raise asl.StatesError("Lambda.ResourceNotFoundException", f"Function not found: {function_arn}")
        invocation = function.invoke(json.loads(json.dumps(payload)))  # its log lines stay out of the demo's output
        if invocation.error is not None:
            raise invocation.error
        result = invocation.result
        try:
            return json.loads(json.dumps(result))
        except (TypeError, ValueError) as error:
            raise asl.StatesError("Runtime.MarshalError", f"Unable to marshal response: {error}") from error

    def card_keys(self) -> set[str]:
        """The KMS keys the template lets functions use through SageMaker (the modelCardKmsKeyArns setting)."""
        keys: set[str] = set()
        for policy in self._of_type("AWS::IAM::Policy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                via = ((statement.get("Condition") or {}).get("StringEquals") or {}).get("kms:ViaService")
                if via and "sagemaker." in json.dumps(via):
                    resource = statement["Resource"]
                    keys.update(resource if isinstance(resource, list) else [resource])
        return keys

    def topic_arn(self, logical_prefix: str) -> str:
        return next(arn for lid, arn in self.physical.items() if lid.startswith(logical_prefix) and ":sns:" in arn)

    def put_event(self, event: dict[str, Any]) -> list[Invocation]:
        """Put ``event`` on the default bus and run every function whose synthesized rule matched it."""
        self._put(event)
        return self.deliver()

    def _put(self, event: dict[str, Any]) -> None:
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": event.get("resources", []),
        }
        response = self.events.put_events(Entries=[entry])
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused the event: {response['Entries']}")

    def deliver(self) -> list[Invocation]:
        """Run every delivered event, then every queued invocation (and what those queue in turn)."""
        done: list[Invocation] = []
        while batch := self.delivered() + self.invocations():
            done += [function.invoke(event) for function, event in batch]
        return done

    def invocations(self) -> list[tuple[LocalFunction, dict[str, Any]]]:
        """The asynchronous invocations functions made since last asked (the sweep's replays), not yet run."""
        queued, self._invocations = self._invocations, []
        return queued

    def route(self, event: dict[str, Any]) -> list[tuple[LocalFunction, dict[str, Any]]]:
        """Put ``event`` on the bus; the (function, event) pairs its rules delivered, not yet invoked.

        moto stamps a new id and time on what it delivers; SageMaker's events keep theirs, so they are put back.
        """
        self._put(event)
        kept: dict[str, Any] = {key: event[key] for key in ("id", "time") if key in event}
        return [(function, {**delivered, **kept}) for function, delivered in self.delivered()]

    def delivered(self) -> list[tuple[LocalFunction, dict[str, Any]]]:
        deliveries = []
        for function in self.functions.values():
            if not function.delivery_queue_url:
                continue
            for body in self._drain(function.delivery_queue_url):
                event = json.loads(body)
                # moto's SQS delivery drops the envelope's account; EventBridge always sends it.
                event.setdefault("account", ACCOUNT)
                deliveries.append((function, event))
        return deliveries

    def inbox(self, logical_prefix: str) -> list[Published]:
        """Messages published to the topic whose logical id starts with ``logical_prefix`` since last read."""
        messages = []
        for logical_id, url in self._inboxes.items():
            if not logical_id.startswith(logical_prefix):
                continue
            for body in self._drain(url):
                envelope = json.loads(body)
                attributes = {k: v.get("Value") for k, v in (envelope.get("MessageAttributes") or {}).items()}
                messages.append(Published(logical_id, envelope.get("Subject", ""), envelope["Message"], attributes))
        return messages

    def _drain(self, url: str) -> list[str]:
        bodies: list[str] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return bodies
            for message in batch:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
