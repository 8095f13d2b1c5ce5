"""A small interpreter of the Amazon States Language (JSONPath query language) for the states our stacks use.

moto's interpreter rejects ``ItemBatcher`` and runs Lambda tasks through a moto server; this one runs a state
machine's *synthesized* definition in-process, calling the handlers you give it, so tests and the local demo
run what is deployed. Supported: Task (a Lambda function ARN, or ``arn:aws:states:::lambda:invoke`` with
``FunctionName``/``Payload``) with InputPath, Parameters, ResultSelector, ResultPath, OutputPath, Retry and
Catch; Choice; Pass; Map, inline and distributed, with ItemsPath or an S3 ItemReader (JSON array or JSON
Lines), ItemSelector, ItemBatcher (BatchInput, MaxItemsPerBatch, MaxInputBytesPerBatch) and tolerated
failures; Succeed; Fail. Anything else is refused when the definition is loaded, as is a payload template
that is not a JSON object (``"Parameters": "$"``): Step Functions would pass such a value on as a literal.
Iterations run one after another; retries do not sleep unless given a ``sleep``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = Any
Invoke = Callable[[str, JSON], JSON]  # (function ARN or name, payload) -> the function's JSON result
PAYLOAD_LIMIT = 256 * 1024  # bytes of a state's input or output, and of a Map child's input
STATE_TYPES = {"Task", "Choice", "Pass", "Map", "Succeed", "Fail"}
TERMINAL_ERRORS = {"States.Runtime", "States.DataLimitExceeded"}  # States.ALL does not match these
LAMBDA_INVOKE = re.compile(r"^arn:aws[\w-]*:states:::lambda:invoke$")
LAMBDA_ARN = re.compile(r"^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$")
S3_GET_OBJECT = re.compile(r"^arn:aws[\w-]*:states:::s3:getObject$")
TEMPLATE_FIELDS = ("Parameters", "ItemSelector", "ResultSelector")


class DefinitionError(ValueError):
    """The definition uses something Step Functions rejects, or this interpreter does not implement."""


class StatesError(Exception):
    """A runtime error with its States error name (what Retry and Catch match)."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error, self.cause = error, cause


# Paths ---------------------------------------------------------------------------------------------------
_SEGMENT = re.compile(
    r"\.(?P<name>[^.\[\]]+)|\[(?P<index>-?\d+)\]|\['(?P<quoted>[^']*)'\]|\[(?P<star>\*)\]"
    r"|\[(?P<start>-?\d*):(?P<stop>-?\d*)\]"
)
_WILDCARD = object()  # [*] and .*: like a slice, the path then selects a list of what matched


def _segments(path: str) -> list[Any]:
    body = path[2:] if path.startswith("$$") else path[1:]
    if not path.startswith("$"):
        raise DefinitionError(f"{path!r} is not a path: paths start with $")
    segments, at = [], 0
    while at < len(body):
        match = _SEGMENT.match(body, at)
        if not match:
            raise DefinitionError(f"path {path!r}: cannot read {body[at:]!r}")
        if match["name"] == "*" or match["star"]:
            segments.append(_WILDCARD)
        elif match["start"] is not None:
            segments.append(
                slice(int(match["start"]) if match["start"] else None, int(match["stop"]) if match["stop"] else None)
            )
        elif match["index"] is not None:
            segments.append(int(match["index"]))
        else:
            segments.append(match["name"] if match["name"] is not None else match["quoted"])
        at = match.end()
    return segments


def select(path: str, data: JSON, context: JSON | None = None) -> JSON:
    """The value ``path`` names in ``data`` (``$$...`` in the context object). A path through ``[*]`` or ``.*``
    gives the list of what it matches; a path that names nothing is States.Runtime, as in Step Functions."""
    nodes: list[JSON] = [context if path.startswith("$$") else data]
    many = False
    for segment in _segments(path):
        found: list[JSON] = []
        for node in nodes:
            if segment is _WILDCARD:
                many = True
                found += list(node.values()) if isinstance(node, dict) else list(node) if isinstance(node, list) else []
            elif isinstance(segment, slice):
                many = True
                found += node[segment] if isinstance(node, list) else []
            elif _holds_member(node, segment):
                found.append(node[segment])
        if not found and not many:
            raise StatesError("States.Runtime", f"The JSONPath {path} could not be found in the input")
        nodes = found
    return nodes if many else nodes[0]


def _holds_member(node: JSON, segment: Any) -> bool:
    if isinstance(segment, int) and isinstance(node, list):
        return -len(node) <= segment < len(node)
    return isinstance(segment, str) and isinstance(node, dict) and segment in node


def is_present(path: str, data: JSON) -> bool:
    try:
        select(path, data)
    except StatesError:
        return False
    return True


def place(result: JSON, raw_input: JSON, result_path: str | None) -> JSON:
    """ResultPath: ``result`` put into a copy of the state's raw input (``$`` replaces it, null discards it)."""
    if result_path is None:
        return raw_input
    segments = _segments(result_path)
    if not segments:
        return result
    if any(s is _WILDCARD or isinstance(s, slice) for s in segments) or result_path.startswith("$$"):
        raise DefinitionError(f"ResultPath {result_path!r} must be a reference path to one node")
    output = json.loads(json.dumps(raw_input))
    node = output
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if isinstance(segment, str) and isinstance(node, dict):
            if last:
                node[segment] = result
            else:
                node = node.setdefault(segment, {})
        elif isinstance(segment, int) and isinstance(node, list) and -len(node) <= segment < len(node):
            if last:
                node[segment] = result
            else:
                node = node[segment]
        else:
            raise StatesError("States.ResultPathMatchFailure", f"cannot apply ResultPath {result_path} to the input")
    return output


def render(template: dict[str, Any], data: JSON, context: JSON) -> dict[str, Any]:
    """A payload template: keys ending in ``.$`` take the value their path selects; other values are literal
    (a string such as ``"$.x"`` under a key without ``.$`` stays that string); objects and lists recurse."""
    return {
        key[:-2] if key.endswith(".$") else key: select(value, data, context)
        if key.endswith(".$")
        else _render_value(value, data, context)
        for key, value in template.items()
    }


def _render_value(value: JSON, data: JSON, context: JSON) -> JSON:
    if isinstance(value, dict):
        return render(value, data, context)
    if isinstance(value, list):
        return [_render_value(v, data, context) for v in value]
    return value


# Validation ----------------------------------------------------------------------------------------------
def validate(definition: dict[str, Any], where: str = "") -> None:
    """Refuse what Step Functions refuses or passes on literally, and what this interpreter does not run."""
    if definition.get("QueryLanguage", "JSONPath") != "JSONPath":
        raise DefinitionError(f"{where}QueryLanguage {definition['QueryLanguage']}: only JSONPath is supported")
    states = definition.get("States")
    if not isinstance(states, dict) or definition.get("StartAt") not in states:
        raise DefinitionError(f"{where}StartAt must name one of States")
    for name, state in states.items():
        _validate_state(f"{where}{name}", state, states)


def _validate_state(name: str, state: dict[str, Any], states: dict[str, Any]) -> None:
    kind = state.get("Type")
    if kind not in STATE_TYPES:
        raise DefinitionError(f"state {name}: Type {kind!r} is not supported")
    followers = [c.get("Next") for c in state.get("Catch", []) + state.get("Choices", [])]
    for target in [state.get("Next"), state.get("Default"), *followers]:
        if target is not None and target not in states:
            raise DefinitionError(f"state {name}: Next {target!r} is not a state")
    if kind not in ("Choice", "Succeed", "Fail") and not state.get("End") and "Next" not in state:
        raise DefinitionError(f"state {name}: needs Next or End")
    for template_field in TEMPLATE_FIELDS:
        if template_field in state:
            _validate_template(f"state {name}: {template_field}", state[template_field])
    if kind == "Task":
        resource = state.get("Resource")
        if not isinstance(resource, str) or not (LAMBDA_INVOKE.match(resource) or LAMBDA_ARN.match(resource)):
            raise DefinitionError(f"state {name}: Resource {resource!r}: only Lambda functions are supported")
        if LAMBDA_INVOKE.match(resource) and "Parameters" not in state:
            raise DefinitionError(f"state {name}: lambda:invoke needs Parameters with FunctionName")
    if kind == "Choice" and not state.get("Choices"):
        raise DefinitionError(f"state {name}: a Choice state needs Choices")
    if kind == "Map":
        _validate_map(name, state)


def _validate_map(name: str, state: dict[str, Any]) -> None:
    processor = state.get("ItemProcessor") or state.get("Iterator")
    if not isinstance(processor, dict):
        raise DefinitionError(f"state {name}: a Map state needs ItemProcessor")
    if "ResultWriter" in state:
        raise DefinitionError(f"state {name}: ResultWriter is not supported")
    distributed = (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"
    if not distributed and ("ItemReader" in state or "ItemBatcher" in state):
        raise DefinitionError(f"state {name}: ItemReader and ItemBatcher need ProcessorConfig Mode DISTRIBUTED")
    reader = state.get("ItemReader")
    if reader is not None:
        if not S3_GET_OBJECT.match(str(reader.get("Resource"))):
            raise DefinitionError(f"state {name}: ItemReader Resource must be s3:getObject")
        if (reader.get("ReaderConfig") or {}).get("InputType") not in ("JSON", "JSONL"):
            raise DefinitionError(f"state {name}: ItemReader InputType must be JSON or JSONL")
        _validate_template(f"state {name}: ItemReader Parameters", reader.get("Parameters"))
    batcher = state.get("ItemBatcher")
    if batcher is not None and "BatchInput" in batcher:
        _validate_template(f"state {name}: BatchInput", batcher["BatchInput"])
    validate(processor, where=f"{name}/")


def _validate_template(where: str, template: JSON) -> None:
    if not isinstance(template, dict):
        raise DefinitionError(f"{where} must be a JSON object (a payload template), not {json.dumps(template)}")
    for key, value in template.items():
        if key.endswith(".$"):
            if not isinstance(value, str) or not value.startswith("$"):
                raise DefinitionError(f"{where}: {key} must be a path (intrinsic functions are not supported)")
            _segments(value)
        elif isinstance(value, dict):
            _validate_template(f"{where}.{key}", value)


# Execution -----------------------------------------------------------------------------------------------
@dataclass
class Event:
    kind: str  # Entered | Exited | Invoked | Retried | Caught | MapRun
    state: str
    data: JSON = None


@dataclass
class Execution:
    status: str  # SUCCEEDED | FAILED
    output: JSON = None
    error: str | None = None
    cause: str | None = None
    events: list[Event] = field(default_factory=list)

    def invocations(self, state: str) -> list[JSON]:
        """The payloads the Task ``state`` sent (every attempt, child executions included)."""
        return [e.data["payload"] for e in self.events if e.kind == "Invoked" and e.state == state]

    def entered(self) -> list[str]:
        return [e.state for e in self.events if e.kind == "Entered"]


def _size(value: JSON) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def _within_limit(value: JSON, what: str) -> JSON:
    if _size(value) > PAYLOAD_LIMIT:
        raise StatesError("States.DataLimitExceeded", f"{what} is {_size(value)} bytes, over {PAYLOAD_LIMIT}")
    return value


def _matches(names: list[str], error: str) -> bool:
    if error in names:
        return True
    if error in TERMINAL_ERRORS:
        return False
    return "States.ALL" in names or ("States.TaskFailed" in names and error != "States.Timeout")


class StateMachine:
    """A loaded definition; ``execute`` runs it to the end. ``invoke`` runs a Lambda function (raise
    ``StatesError`` to fail like the service, e.g. ``Lambda.TooManyRequestsException``; any other exception is
    the function's error, named by its class as Lambda names it); ``s3`` is a boto3 client for ItemReader."""

    def __init__(
        self,
        definition: dict[str, Any] | str,
        *,
        invoke: Invoke,
        s3: Any = None,
        sleep: Callable[[float], None] = lambda seconds: None,
        name: str = "local",
    ) -> None:
        self.definition = json.loads(definition) if isinstance(definition, str) else definition
        validate(self.definition)
        self.invoke, self.s3, self.sleep, self.name = invoke, s3, sleep, name

    def execute(self, execution_input: JSON, *, name: str = "run") -> Execution:
        events: list[Event] = []
        context = {
            "Execution": {"Name": name, "Input": execution_input, "StartTime": datetime.now(UTC).isoformat()},
            "StateMachine": {"Name": self.name},
        }
        try:
            output = self._run(self.definition, execution_input, context, events)
        except StatesError as failure:
            return Execution("FAILED", None, failure.error, failure.cause, events)
        return Execution("SUCCEEDED", output, events=events)

    # One state list (the machine, or a Map's ItemProcessor) --------------------------------------------
    def _run(self, definition: dict[str, Any], data: JSON, context: JSON, events: list[Event]) -> JSON:
        name: str | None = definition["StartAt"]
        while name is not None:
            state = definition["States"][name]
            context = {**context, "State": {"Name": name, "EnteredTime": datetime.now(UTC).isoformat()}}
            events.append(Event("Entered", name, data))
            _within_limit(data, f"the input of state {name}")
            data, following = self._state(name, state, data, context, events)
            events.append(Event("Exited", name, data))
            name = following
        return data

    def _state(
        self, name: str, state: dict[str, Any], raw: JSON, context: JSON, events: list[Event]
    ) -> tuple[JSON, str | None]:
        kind = state["Type"]
        if kind == "Fail":
            raise StatesError(state.get("Error", "States.Fail"), state.get("Cause", ""))
        input_path = state.get("InputPath", "$")
        effective = select(input_path, raw, context) if input_path is not None else {}
        if kind == "Succeed":
            return self._output(state, effective, context), None
        if kind == "Choice":
            return self._output(state, effective, context), self._choose(name, state, effective)
        try:
            result = self._with_retries(name, state, effective, context, events)
            if "ResultSelector" in state:
                result = render(state["ResultSelector"], result, context)
            output = self._output(state, place(result, raw, state.get("ResultPath", "$")), context)
            return _within_limit(output, f"the output of state {name}"), self._next(state)
        except StatesError as failure:
            catcher = next((c for c in state.get("Catch", []) if _matches(c["ErrorEquals"], failure.error)), None)
            if catcher is None:
                raise
            events.append(Event("Caught", name, {"Error": failure.error, "Cause": failure.cause}))
            caught = {"Error": failure.error, "Cause": failure.cause}
            return place(caught, raw, catcher.get("ResultPath", "$")), catcher["Next"]

    def _with_retries(
        self, name: str, state: dict[str, Any], effective: JSON, context: JSON, events: list[Event]
    ) -> JSON:
        attempts: dict[int, int] = {}
        while True:
            try:
                return self._work(name, state, effective, context, events)
            except StatesError as failure:
                retriers = list(enumerate(state.get("Retry", [])))
                found = next(((i, r) for i, r in retriers if _matches(r["ErrorEquals"], failure.error)), None)
                if found is None:
                    raise
                index, retrier = found
                done = attempts.get(index, 0)
                if done >= retrier.get("MaxAttempts", 3):
                    raise
                delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** done
                delay = min(delay, retrier.get("MaxDelaySeconds", delay))
                attempts[index] = done + 1
                events.append(Event("Retried", name, {"Error": failure.error, "attempt": done + 1, "delay": delay}))
                self.sleep(delay)

    def _work(self, name: str, state: dict[str, Any], effective: JSON, context: JSON, events: list[Event]) -> JSON:
        kind = state["Type"]
        if kind == "Pass":
            if "Result" in state:
                return state["Result"]
            return render(state["Parameters"], effective, context) if "Parameters" in state else effective
        if kind == "Map":
            return self._map(name, state, effective, context, events)
        task_input = render(state["Parameters"], effective, context) if "Parameters" in state else effective
        resource = state["Resource"]
        if LAMBDA_INVOKE.match(resource):
            function, payload = task_input.get("FunctionName"), task_input.get("Payload", {})
            return {
                "ExecutedVersion": "$LATEST",
                "Payload": self._call(name, str(function), payload, events),
                "StatusCode": 200,
            }
        return self._call(name, resource, task_input, events)

    def _call(self, name: str, function: str, payload: JSON, events: list[Event]) -> JSON:
        events.append(Event("Invoked", name, {"function": function, "payload": payload}))
        try:
            return self.invoke(function, payload)
        except StatesError:
            raise
        except Exception as error:  # the function's own error: Lambda names it by the exception's class
            cause = {"errorMessage": str(error), "errorType": type(error).__name__}
            raise StatesError(type(error).__name__, json.dumps(cause)) from error

    def _output(self, state: dict[str, Any], data: JSON, context: JSON) -> JSON:
        output_path = state.get("OutputPath", "$")
        return select(output_path, data, context) if output_path is not None else {}

    @staticmethod
    def _next(state: dict[str, Any]) -> str | None:
        return None if state.get("End") else state["Next"]

    # Choice ------------------------------------------------------------------------------------------
    def _choose(self, name: str, state: dict[str, Any], data: JSON) -> str:
        for rule in state["Choices"]:
            if _holds(rule, data):
                return str(rule["Next"])
        if "Default" in state:
            return str(state["Default"])
        raise StatesError("States.NoChoiceMatched", f"no choice rule of {name} matched")

    # Map ---------------------------------------------------------------------------------------------
    def _map(self, name: str, state: dict[str, Any], effective: JSON, context: JSON, events: list[Event]) -> JSON:
        processor = state.get("ItemProcessor") or state["Iterator"]
        distributed = (processor.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"
        items = self._items(state, effective, context)
        selector = state.get("ItemSelector", state.get("Parameters"))
        if selector is not None:
            items = [
                render(selector, effective, {**context, "Map": {"Item": {"Index": i, "Value": item}}})
                for i, item in enumerate(items)
            ]
        inputs = _batches(state["ItemBatcher"], items, effective, context) if "ItemBatcher" in state else items
        events.append(Event("MapRun", name, {"items": len(items), "children": len(inputs)}))
        results: list[JSON] = []
        failures: list[StatesError] = []
        for child_input in inputs:
            _within_limit(child_input, f"a child input of Map state {name}")
            try:
                results.append(self._run(processor, child_input, context, events))
            except StatesError as failure:
                if not distributed:
                    raise
                failures.append(failure)
                results.append({"Error": failure.error, "Cause": failure.cause})
        if failures and not _tolerated(state, len(failures), len(inputs)):
            first = failures[0]
            raise StatesError(
                "States.ExceedToleratedFailureThreshold",
                f"{len(failures)} of {len(inputs)} child executions failed; first: {first.error}: {first.cause}",
            )
        return results

    def _items(self, state: dict[str, Any], effective: JSON, context: JSON) -> list[JSON]:
        reader = state.get("ItemReader")
        if reader is None:
            items = select(state.get("ItemsPath", "$"), effective, context)
            if not isinstance(items, list):
                raise StatesError("States.Runtime", f"ItemsPath {state.get('ItemsPath', '$')} is not an array")
            return items
        location = render(reader["Parameters"], effective, context)
        if self.s3 is None:
            raise StatesError("States.ItemReaderFailed", "no S3 client was given to read the items")
        try:
            body = self.s3.get_object(Bucket=location["Bucket"], Key=location["Key"])["Body"].read()
            if reader["ReaderConfig"]["InputType"] == "JSONL":
                items = [json.loads(line) for line in body.splitlines() if line.strip()]
            else:
                items = json.loads(body)
        except Exception as error:  # a missing object, an unreadable one, or malformed JSON
            raise StatesError(
                "States.ItemReaderFailed", f"s3://{location.get('Bucket')}/{location.get('Key')}: {error}"
            ) from error
        if not isinstance(items, list):
            raise StatesError("States.ItemReaderFailed", "a JSON ItemReader needs a JSON array")
        return items[: reader["ReaderConfig"].get("MaxItems", len(items))]


def _batches(batcher: dict[str, Any], items: list[JSON], effective: JSON, context: JSON) -> list[JSON]:
    """Consecutive items, as many as MaxItemsPerBatch allows and as fit in MaxInputBytesPerBatch: the bytes of
    the batch's JSON (its items and BatchInput), never the size of what the items point at."""
    base: dict[str, Any] = {}
    if "BatchInput" in batcher:
        base["BatchInput"] = render(batcher["BatchInput"], effective, context)
    max_items = int(batcher.get("MaxItemsPerBatch", len(items) or 1))
    max_bytes = int(batcher.get("MaxInputBytesPerBatch", PAYLOAD_LIMIT))
    batches: list[JSON] = []
    current: list[JSON] = []
    for item in items:
        if current and (len(current) >= max_items or _size({**base, "Items": [*current, item]}) > max_bytes):
            batches.append({**base, "Items": current})
            current = []
        current.append(item)
        if _size({**base, "Items": current}) > max_bytes:
            raise StatesError("States.DataLimitExceeded", f"one item alone is over MaxInputBytesPerBatch {max_bytes}")
    if current:
        batches.append({**base, "Items": current})
    return batches


def _tolerated(state: dict[str, Any], failed: int, total: int) -> bool:
    count = state.get("ToleratedFailureCount", 0)
    percentage = state.get("ToleratedFailurePercentage", 0)
    return failed <= count or (total > 0 and 100 * failed / total <= percentage)


# Choice rules ------------------------------------------------------------------------------------------
_COMPARISONS: dict[str, tuple[Callable[[JSON], bool], Callable[[Any, Any], bool]]] = {}
_KINDS: dict[str, Callable[[JSON], bool]] = {
    "String": lambda v: isinstance(v, str),
    "Numeric": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "Timestamp": lambda v: isinstance(v, str) and _timestamp(v) is not None,
}
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
for _kind, _is_kind in _KINDS.items():
    for _name, _operator in _OPERATORS.items():
        if _kind != "Boolean" or _name == "Equals":
            _COMPARISONS[f"{_kind}{_name}"] = (_is_kind, _operator)


def _timestamp(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _wildcard(pattern: str) -> re.Pattern[str]:
    """StringMatches: ``*`` matches any run of characters, ``\\*`` a literal star (and ``\\\\`` a backslash)."""
    parts = re.split(r"(\\\\|\\\*|\*)", pattern)
    escaped = {"\\\\": re.escape("\\"), "\\*": re.escape("*"), "*": ".*"}
    return re.compile("".join(escaped.get(part, re.escape(part)) for part in parts), re.DOTALL)


def _holds(rule: dict[str, Any], data: JSON) -> bool:
    if "And" in rule:
        return all(_holds(r, data) for r in rule["And"])
    if "Or" in rule:
        return any(_holds(r, data) for r in rule["Or"])
    if "Not" in rule:
        return not _holds(rule["Not"], data)
    variable = rule["Variable"]
    if "IsPresent" in rule:
        return is_present(variable, data) == rule["IsPresent"]
    value = select(variable, data)
    for test, expected in rule.items():
        if test in ("Variable", "Next"):
            continue
        if test.startswith("Is"):
            checks = {"IsNull": value is None, **{f"Is{k}": is_kind(value) for k, is_kind in _KINDS.items()}}
            return checks[test] == expected
        if test == "StringMatches":
            return isinstance(value, str) and _wildcard(expected).fullmatch(value) is not None
        if test.removesuffix("Path") not in _COMPARISONS:
            raise DefinitionError(f"choice rule test {test} is not supported")
        operand = select(expected, data) if test.endswith("Path") else expected
        is_kind, operator = _COMPARISONS[test.removesuffix("Path")]
        if not (is_kind(value) and is_kind(operand)):
            return False
        if test.startswith("Timestamp"):
            return operator(_timestamp(value), _timestamp(operand))
        return operator(value, operand)
    raise DefinitionError(f"choice rule {rule} has no test")
