"""The ASL interpreter (local/asl.py) against the Amazon States Language specification's own examples: paths,
payload templates, input and output processing, Retry and Catch, Choice rules, Pass, Fail, inline and
distributed Map with an S3 item reader and the item batcher; and the definitions it must refuse."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.asl import DefinitionError, StateMachine, StatesError, select

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:adder"


def machine(states: dict[str, Any], invoke: Any = None, **kwargs: Any) -> StateMachine:
    return StateMachine({"StartAt": next(iter(states)), "States": states}, invoke=invoke or (lambda f, p: p), **kwargs)


def task(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": FUNCTION, "End": True, **fields}


# Paths and payload templates ----------------------------------------------------------------------------
def test_reference_paths_select_one_node_as_the_specification_shows():
    data = {"foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": True}}
    assert select("$.foo", data) == 123
    assert select("$.bar", data) == ["a", "b", "c"]
    assert select("$.car.cdr", data) is True
    assert select("$.bar[1]", data) == "b"
    assert select("$['car']['cdr']", data) is True
    assert select("$", data) == data


def test_paths_through_wildcards_and_slices_select_lists():
    data = {"vals": [0, 10, 20, 30, 40, 50], "rows": [{"a": 1}, {"a": 5}, {"b": 2}]}
    assert select("$.vals[3:]", data) == [30, 40, 50]
    assert select("$.vals[-2:]", data) == [40, 50]
    assert select("$.rows[*].a", data) == [1, 5]
    assert select("$[*][*]", {"x": [[1], [2]]}) == [[1], [2]]


def test_a_path_that_names_nothing_is_a_runtime_error():
    with pytest.raises(StatesError) as error:
        select("$.missing", {"present": 1})
    assert error.value.error == "States.Runtime"


def test_parameters_keys_ending_in_dollar_take_paths_and_the_rest_are_literal():
    # The specification's Parameters example, with the context object's execution name.
    states = {
        "X": task(
            Parameters={
                "flagged": True,
                "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[3:]"},
                "literal": "$.vals",
                "execution.$": "$$.Execution.Name",
                "list": [{"item.$": "$.flagged"}],
            }
        )
    }
    execution = machine(states).execute({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]}, name="run-1")
    assert execution.output == {
        "flagged": True,
        "parts": {"first": 0, "last3": [30, 40, 50]},
        "literal": "$.vals",
        "execution": "run-1",
        "list": [{"item": 7}],
    }


# Input and output processing ----------------------------------------------------------------------------
def test_input_path_result_path_and_output_path_as_in_the_specification():
    adder = machine(
        {"Add": task(InputPath="$.numbers", ResultPath="$.sum")},
        invoke=lambda f, p: p["val1"] + p["val2"],
    )
    raw = {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}
    assert adder.execute(raw).output == {**raw, "sum": 7}
    trimmed = machine(
        {"Add": task(InputPath="$.numbers", ResultPath="$.sum", OutputPath="$.sum")},
        invoke=lambda f, p: p["val1"] + p["val2"],
    )
    assert trimmed.execute(raw).output == 7


def test_a_null_result_path_keeps_the_raw_input_and_null_paths_give_an_empty_object():
    discard = machine({"X": task(ResultPath=None)}, invoke=lambda f, p: "ignored")
    assert discard.execute({"kept": 1}).output == {"kept": 1}
    nothing = machine({"X": task(InputPath=None)}, invoke=lambda f, p: {"got": p})
    assert nothing.execute({"kept": 1}).output == {"got": {}}
    assert machine({"X": task(OutputPath=None)}).execute({"kept": 1}).output == {}


def test_result_selector_shapes_the_result_before_result_path():
    invoke_integration = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": FUNCTION, "Payload.$": "$"},
        "ResultSelector": {"value.$": "$.Payload.value", "status.$": "$.StatusCode"},
        "ResultPath": "$.result",
        "End": True,
    }
    execution = machine({"X": invoke_integration}, invoke=lambda f, p: {"value": p["n"] * 2, "f": f}).execute({"n": 4})
    assert execution.output == {"n": 4, "result": {"value": 8, "status": 200}}
    assert execution.invocations("X") == [{"n": 4}]


def test_the_history_records_each_states_input_and_output():
    adder = machine(
        {"Add": task(ResultPath="$.sum", End=None, Next="Done"), "Done": {"Type": "Succeed", "OutputPath": "$.sum"}},
        invoke=lambda f, p: p["a"] + p["b"],
    )
    execution = adder.execute({"a": 1, "b": 2})
    assert [(e.kind, e.state, e.data) for e in execution.events if e.kind in ("Entered", "Exited")] == [
        ("Entered", "Add", {"a": 1, "b": 2}),
        ("Exited", "Add", {"a": 1, "b": 2, "sum": 3}),
        ("Entered", "Done", {"a": 1, "b": 2, "sum": 3}),
        ("Exited", "Done", 3),
    ]
    assert execution.output == 3


def test_a_result_path_through_a_non_object_is_a_result_path_match_failure():
    execution = machine({"X": task(ResultPath="$.n.deeper")}).execute({"n": 1})
    assert (execution.status, execution.error) == ("FAILED", "States.ResultPathMatchFailure")


def test_pass_with_result_and_result_path_as_in_the_specification():
    coords = {"x-datum": 0.381018, "y-datum": 622.2269926397355}
    passing = machine({"P": {"Type": "Pass", "Result": coords, "ResultPath": "$.coords", "End": True}})
    assert passing.execute({"georefOf": "Home"}).output == {"georefOf": "Home", "coords": coords}


def test_an_output_over_256_kib_fails_with_data_limit_exceeded_which_states_all_cannot_catch():
    big = machine(
        {
            "X": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], End=None, Next="Done"),
            "Done": {"Type": "Succeed"},
            "Caught": {"Type": "Succeed"},
        },
        invoke=lambda f, p: "x" * 300_000,
    )
    execution = big.execute({})
    assert (execution.status, execution.error) == ("FAILED", "States.DataLimitExceeded")


# Errors ---------------------------------------------------------------------------------------------------
class Throttled(Exception):
    pass


def test_retry_waits_interval_times_backoff_and_gives_up_after_max_attempts():
    calls: list[Any] = []
    delays: list[float] = []

    def flaky(function: str, payload: Any) -> Any:
        calls.append(payload)
        raise StatesError("Lambda.TooManyRequestsException", "Rate Exceeded.")

    retrying = machine(
        {
            "X": task(
                Retry=[
                    {
                        "ErrorEquals": ["Lambda.TooManyRequestsException"],
                        "IntervalSeconds": 3,
                        "MaxAttempts": 2,
                        "BackoffRate": 1.5,
                    }
                ]
            )
        },
        invoke=flaky,
        sleep=delays.append,
    )
    execution = retrying.execute({"n": 1})
    assert (execution.status, execution.error, len(calls), delays) == (
        "FAILED",
        "Lambda.TooManyRequestsException",
        3,
        [3, 4.5],
    )


def test_retry_stops_at_max_delay_and_zero_attempts_never_retries():
    delays: list[float] = []

    def failing(function: str, payload: Any) -> Any:
        raise Throttled("busy")

    retrier = {
        "ErrorEquals": ["Throttled"],
        "IntervalSeconds": 4,
        "MaxAttempts": 3,
        "BackoffRate": 3,
        "MaxDelaySeconds": 10,
    }
    machine({"X": task(Retry=[retrier])}, invoke=failing, sleep=delays.append).execute({})
    assert delays == [4, 10, 10]
    calls: list[Any] = []
    never = machine(
        {"X": task(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}])},
        invoke=lambda f, p: calls.append(p) or failing(f, p),
    )
    assert never.execute({}).status == "FAILED" and len(calls) == 1


def test_catch_puts_error_and_cause_at_its_result_path_and_goes_to_next():
    def failing(function: str, payload: Any) -> Any:
        raise ValueError("bad input")

    catching = machine(
        {
            "X": task(
                Catch=[{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error-info", "Next": "Recover"}],
                End=None,
                Next="Done",
            ),
            "Done": {"Type": "Succeed"},
            "Recover": {"Type": "Pass", "End": True},
        },
        invoke=failing,
    )
    execution = catching.execute({"kept": 1})
    assert execution.status == "SUCCEEDED"
    assert execution.output["kept"] == 1
    assert execution.output["error-info"]["Error"] == "ValueError"  # Lambda names the error by its class
    assert json.loads(execution.output["error-info"]["Cause"])["errorMessage"] == "bad input"
    assert execution.entered() == ["X", "Recover"]


def test_a_fail_state_ends_the_execution_with_its_error_and_cause():
    execution = machine({"F": {"Type": "Fail", "Error": "Nope", "Cause": "because"}}).execute({})
    assert (execution.status, execution.error, execution.cause) == ("FAILED", "Nope", "because")


# Choice ---------------------------------------------------------------------------------------------------
CHOICE = {
    "Type": "Choice",
    "Choices": [
        {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
        {
            "And": [
                {"Variable": "$.value", "IsPresent": True},
                {"Variable": "$.value", "IsNumeric": True},
                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                {"Variable": "$.value", "NumericLessThan": 30},
            ],
            "Next": "ValueInTwenties",
        },
        {
            "And": [{"Variable": "$.file", "IsPresent": True}, {"Variable": "$.file", "StringMatches": "log-*.txt"}],
            "Next": "Log",
        },
        {
            "And": [
                {"Variable": "$.when", "IsPresent": True},
                {"Variable": "$.when", "TimestampLessThanPath": "$.deadline"},
            ],
            "Next": "Early",
        },
    ],
    "Default": "DefaultState",
}


@pytest.mark.parametrize(
    ("data", "chosen"),
    [
        ({"type": "Public"}, "Public"),
        ({"type": "Private", "value": 25}, "ValueInTwenties"),
        ({"type": "Private", "value": "25"}, "DefaultState"),  # a string never matches a numeric test
        ({"type": "Private", "file": "log-2026.txt"}, "Log"),
        ({"type": "Private", "file": "log-2026.csv"}, "DefaultState"),
        ({"type": "Private", "when": "2026-01-01T00:00:00Z", "deadline": "2026-02-01T00:00:00Z"}, "Early"),
        ({"type": "Private"}, "DefaultState"),
    ],
)
def test_choice_rules_as_in_the_specification(data, chosen):
    ends = {name: {"Type": "Succeed"} for name in ("Public", "ValueInTwenties", "Log", "Early", "DefaultState")}
    execution = machine({"C": CHOICE, **ends}).execute(data)
    assert execution.entered() == ["C", chosen]


def test_a_choice_rule_on_a_missing_variable_is_a_runtime_error():
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.x", "BooleanEquals": True, "Next": "Yes"}],
        "Default": "Yes",
    }
    execution = machine({"C": choice, "Yes": {"Type": "Succeed"}}).execute({})
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")


def test_no_matching_choice_without_default_is_no_choice_matched():
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": True, "Next": "Yes"}]}
    execution = machine({"C": choice, "Yes": {"Type": "Succeed"}}).execute({"x": False})
    assert (execution.status, execution.error) == ("FAILED", "States.NoChoiceMatched")


# Map -----------------------------------------------------------------------------------------------------
def processor(mode: str = "INLINE") -> dict[str, Any]:
    return {"ProcessorConfig": {"Mode": mode}, "StartAt": "Work", "States": {"Work": task()}}


def test_inline_map_selects_items_with_the_context_object():
    # The Step Functions guide's ItemSelector example: each item with its index and a value of the input.
    mapper = {
        "Type": "Map",
        "ItemsPath": "$.detail.shipped",
        "ItemSelector": {
            "parcel.$": "$$.Map.Item.Value",
            "index.$": "$$.Map.Item.Index",
            "courier.$": "$.detail.delivery-partner",
        },
        "ItemProcessor": processor(),
        "ResultPath": "$.detail.shipped",
        "End": True,
    }
    data = {"detail": {"delivery-partner": "UQS", "shipped": [{"prod": "R31"}, {"prod": "S39"}]}}
    execution = machine({"M": mapper}).execute(data)
    assert execution.output["detail"]["shipped"] == [
        {"parcel": {"prod": "R31"}, "index": 0, "courier": "UQS"},
        {"parcel": {"prod": "S39"}, "index": 1, "courier": "UQS"},
    ]


def test_an_inline_iteration_error_is_the_map_states_error():
    mapper = {"Type": "Map", "ItemProcessor": processor(), "End": True}
    execution = machine({"M": mapper}, invoke=lambda f, p: 1 / p).execute([1, 0])
    assert (execution.status, execution.error) == ("FAILED", "ZeroDivisionError")


@pytest.fixture
def s3() -> Any:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="manifests")
        yield client


def distributed(**fields: Any) -> dict[str, Any]:
    return {
        "Type": "Map",
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": fields.pop("input_type", "JSON")},
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"},
        },
        "ItemProcessor": processor("DISTRIBUTED"),
        "End": True,
        **fields,
    }


def test_distributed_map_reads_a_json_manifest_and_batches_with_batch_input(s3):
    s3.put_object(Bucket="manifests", Key="m.json", Body=json.dumps([{"n": i} for i in range(5)]).encode())
    mapper = distributed(
        ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"who.$": "$.who", "literal": "$.who"}},
    )
    execution = machine({"M": mapper}, s3=s3).execute({"bucket": "manifests", "key": "m.json", "who": "me"})
    batch_input = {"who": "me", "literal": "$.who"}  # a key without .$ is copied as it is written
    assert execution.output == [
        {"BatchInput": batch_input, "Items": [{"n": 0}, {"n": 1}]},
        {"BatchInput": batch_input, "Items": [{"n": 2}, {"n": 3}]},
        {"BatchInput": batch_input, "Items": [{"n": 4}]},
    ]


def test_max_input_bytes_per_batch_counts_the_batch_json_not_what_items_point_at(s3):
    items = [{"Key": f"capture/{i:02d}.jsonl", "Size": 10**9} for i in range(6)]
    s3.put_object(Bucket="manifests", Key="m.jsonl", Body="\n".join(json.dumps(i) for i in items).encode())
    two = len(json.dumps({"Items": items[:2]}, separators=(",", ":")))  # the JSON of a batch of two items
    mapper = distributed(input_type="JSONL", ItemBatcher={"MaxInputBytesPerBatch": two - 1})
    execution = machine({"M": mapper}, s3=s3).execute({"bucket": "manifests", "key": "m.jsonl"})
    assert [len(batch["Items"]) for batch in execution.output] == [1] * 6
    wider = distributed(input_type="JSONL", ItemBatcher={"MaxInputBytesPerBatch": two})
    execution = machine({"M": wider}, s3=s3).execute({"bucket": "manifests", "key": "m.jsonl"})
    assert [len(batch["Items"]) for batch in execution.output] == [2, 2, 2]  # 6 GB of objects, all the same


def test_a_failed_child_fails_the_distributed_map_unless_tolerated(s3):
    s3.put_object(Bucket="manifests", Key="m.json", Body=json.dumps([1, 0, 2, 4]).encode())
    location = {"bucket": "manifests", "key": "m.json"}
    strict = machine({"M": distributed()}, invoke=lambda f, p: 1 / p, s3=s3).execute(location)
    assert (strict.status, strict.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    assert "ZeroDivisionError" in str(strict.cause)
    tolerant = machine({"M": distributed(ToleratedFailurePercentage=25)}, invoke=lambda f, p: 1 / p, s3=s3)
    execution = tolerant.execute(location)
    assert execution.status == "SUCCEEDED"
    assert execution.output[1]["Error"] == "ZeroDivisionError"


def test_a_missing_manifest_is_item_reader_failed(s3):
    execution = machine({"M": distributed()}, s3=s3).execute({"bucket": "manifests", "key": "absent.json"})
    assert (execution.status, execution.error) == ("FAILED", "States.ItemReaderFailed")


# Definitions refused ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("states", "problem"),
    [
        ({"X": task(Parameters="$")}, "Parameters must be a JSON object"),
        ({"X": task(ResultSelector=["$"])}, "ResultSelector must be a JSON object"),
        (
            {"M": {**distributed(), "ItemBatcher": {"BatchInput": "$"}}},
            "BatchInput must be a JSON object",
        ),
        ({"M": {**distributed(), "ItemSelector": "$$.Map.Item.Value"}}, "ItemSelector must be a JSON object"),
        ({"X": task(Parameters={"a.$": "States.Format('{}', $.x)"})}, "intrinsic functions are not supported"),
        ({"X": task(Resource="arn:aws:states:::sqs:sendMessage")}, "only Lambda functions"),
        ({"X": task(End=None, Next="Nowhere")}, "Next 'Nowhere' is not a state"),
        ({"M": {**distributed(), "ResultWriter": {}}}, "ResultWriter is not supported"),
        ({"W": {"Type": "Wait", "Seconds": 1, "End": True}}, "Type 'Wait' is not supported"),
    ],
)
def test_definitions_step_functions_would_misread_or_this_interpreter_cannot_run_are_refused(states, problem):
    with pytest.raises(DefinitionError, match=problem):
        machine(states)


def test_jsonata_definitions_are_refused():
    with pytest.raises(DefinitionError, match="only JSONPath"):
        StateMachine({"QueryLanguage": "JSONata", "StartAt": "X", "States": {"X": task()}}, invoke=lambda f, p: p)
