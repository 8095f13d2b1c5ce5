"""A burst of registrations against an account-wide Search rate, in simulated time.

Every registration's carry-forward runs the real handler on the in-memory AWS; what AWS and Lambda add is
simulated around it, on one virtual clock (nobody sleeps for real):
- SageMaker Search is throttled account-wide (a token bucket of ``search_rate`` calls a second), every other
  AWS call succeeds; every call takes ``CALL_SECONDS``;
- Lambda runs at most ``concurrency`` invocations at once (the others wait, as Lambda holds throttled async
  invocations), each in its own container (its own clients: botocore's retry state is per client), kills an
  invocation at its timeout, retries a failed one 1 and then 2 minutes after it failed, then dead-letters it.
Simulated threads take turns: one runs at a time, and the clock jumps to the next wake-up when all wait.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import json
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from unittest import mock

import boto3

from local.world import REGION, LocalWorld, synthesize

TIMEOUT_SECONDS = 60.0  # the carry-forward function's timeout (infra/governed_function.py)
LAMBDA_RETRY_DELAYS = (60.0, 120.0)  # Lambda's async retries: 1 minute after the first failure, 2 after the second
CALL_SECONDS = 0.05  # one AWS call, round trip
START = datetime(2026, 12, 1, 9, tzinfo=UTC)


class TimedOut(BaseException):
    """Lambda ended the invocation at its timeout (a BaseException: no handler code may catch it)."""


class VirtualClock:
    """Cooperative scheduler of simulated threads on one clock (time-machine moves ``datetime`` and ``time``)."""

    def __init__(self, traveller: Any) -> None:
        self.now = 0.0
        self._traveller = traveller
        self._queue: list[tuple[float, int, threading.Event]] = []
        self._order = itertools.count()
        self._turn_over = threading.Event()
        self._local = threading.local()
        self.errors: list[BaseException] = []

    def spawn(self, at: float, work: Callable[[], None]) -> None:
        go = threading.Event()

        def body() -> None:
            go.wait()
            self._local.simulated = True
            try:
                work()
            finally:
                self._turn_over.set()

        threading.Thread(target=body, daemon=True).start()
        self._at(at, go)

    def spawn_checked(self, at: float, work: Callable[[], None]) -> None:
        """Like ``spawn``; an error of the simulation itself (not of the code it runs) stops ``run``."""

        def checked() -> None:
            try:
                work()
            except BaseException as error:
                self.errors.append(error)

        self.spawn(at, checked)

    def _at(self, at: float, go: threading.Event) -> None:
        heapq.heappush(self._queue, (max(at, self.now), next(self._order), go))

    def run(self) -> None:
        while self._queue:
            at, _, go = heapq.heappop(self._queue)
            if at > self.now:
                self.now = at
                self._traveller.move_to(START.timestamp() + at)
            self._turn_over.clear()
            go.set()
            self._turn_over.wait()
            if self.errors:
                raise RuntimeError("the simulation failed") from self.errors[0]

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` of simulated threads; a thread past its invocation's deadline is killed."""
        if not self.simulating():
            return _REAL_SLEEP(seconds)
        deadline: float | None = getattr(self._local, "deadline", None)
        wake = self.now + max(seconds, 1e-6)  # a wait always moves the clock (botocore's token bucket loops on it)
        if deadline is not None and wake >= deadline:
            self._wait_until(deadline)
            raise TimedOut()
        self._wait_until(wake)

    def simulating(self) -> bool:
        return bool(getattr(self._local, "simulated", False))

    def wait(self, go: threading.Event) -> None:
        """Give the turn away until ``wake(go)``."""
        self._turn_over.set()
        go.wait()

    def wake(self, go: threading.Event) -> None:
        self._at(self.now, go)

    def _wait_until(self, at: float) -> None:
        go = threading.Event()
        self._at(at, go)
        self.wait(go)

    @contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        self._local.deadline = self.now + seconds
        try:
            yield
        finally:
            self._local.deadline = None


_REAL_SLEEP = time.sleep


class _VirtualCondition:
    """botocore's adaptive token bucket waits on a Condition; in simulated time that wait is a virtual sleep."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock

    def __enter__(self) -> _VirtualCondition:
        return self

    def __exit__(self, *_: Any) -> None:
        return None

    def wait(self, timeout: float | None = None) -> None:
        self._clock.sleep(timeout or 0.0)

    def notify(self) -> None:
        return None

    notify_all = notify


def _virtual_threading(clock: VirtualClock) -> Any:
    return SimpleNamespace(Lock=threading.Lock, Condition=lambda *_: _VirtualCondition(clock))


class SearchRate:
    """The account's Search quota: a token bucket of ``rate`` a second, one second of burst."""

    def __init__(self, clock: VirtualClock, rate: float) -> None:
        self._clock, self._rate = clock, rate
        self._capacity = max(1.0, rate)
        self._tokens, self._at = self._capacity, 0.0
        self.throttled = 0

    def take(self) -> bool:
        self._tokens = min(self._capacity, self._tokens + (self._clock.now - self._at) * self._rate)
        self._at = self._clock.now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self.throttled += 1
        return False


def _throttled_response() -> Any:
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
    headers = {"x-amzn-RequestId": "throttled", "Content-Type": "application/x-amz-json-1.1"}
    return AWSResponse("https://api.sagemaker.local", 400, headers, MockRawResponse(body))


@dataclass
class BurstResult:
    registrations: int
    carded: int
    dead_lettered: int
    duplicate_notices: int
    attempts: Counter[int] = field(default_factory=Counter)  # registrations by the attempt that carded them
    throttled_calls: int = 0
    simulated_seconds: float = 0.0


@dataclass
class _Container:
    dependencies: Any
    busy: bool = False


class _Lambda:
    """Async invocation of one function: concurrency, containers, timeout, two retries, then the DLQ."""

    def __init__(self, clock: VirtualClock, function: Any, concurrency: int) -> None:
        from local import dynamodb_grants
        from model_governance.adapters.clients import reset_clients

        module = function.module()
        self._clock, self._handler, self._module, self._concurrency = clock, module.handler, module, concurrency
        self._grants_list = function.grants  # its role's DynamoDB grants, enforced as in the local replay
        self._containers: list[_Container] = []
        self._waiting: list[threading.Event] = []
        self._local = threading.local()
        self._reset_clients = reset_clients
        self._grants = dynamodb_grants
        module._dependencies = lambda: self._local.container.dependencies  # per container, not per process
        self.dead_letters: list[dict[str, Any]] = []
        self.carded_at: dict[str, int] = {}

    def invoke_async(self, event: dict[str, Any], key: str, at: float = 0.0, attempt: int = 1) -> None:
        self._clock.spawn_checked(at, lambda: self._attempt(event, key, attempt))

    def _container(self) -> _Container:
        while True:
            free = next((c for c in self._containers if not c.busy), None)
            if free is None and len(self._containers) < self._concurrency:
                self._reset_clients()  # a new container: its own clients
                free = _Container(self._module.carry_forward_dependencies())
                self._containers.append(free)
            if free is not None:
                free.busy = True
                return free
            go = threading.Event()  # Lambda holds the invocation until a container is free
            self._waiting.append(go)
            self._clock.wait(go)

    def _release(self, container: _Container) -> None:
        container.busy = False
        if self._waiting:
            self._clock.wake(self._waiting.pop(0))

    def _attempt(self, event: dict[str, Any], key: str, attempt: int) -> None:
        container = self._container()
        self._local.container = container
        clock = self._clock
        deadline = clock.now + TIMEOUT_SECONDS

        class Context:
            function_name = "carry_forward"
            function_version = "$LATEST"
            memory_limit_in_mb = 256
            invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:carry_forward"
            aws_request_id = f"{key}-{attempt}"

            @staticmethod
            def get_remaining_time_in_millis() -> int:
                return max(0, int((deadline - clock.now) * 1000))

        failed = False
        try:
            with clock.deadline(TIMEOUT_SECONDS), self._grants.acting_as("carry_forward", self._grants_list):
                self._handler(event, Context())
        except (Exception, TimedOut):
            failed = True
        finally:
            self._release(container)
        if not failed:
            self.carded_at.setdefault(key, attempt)
        elif attempt <= len(LAMBDA_RETRY_DELAYS):
            self.invoke_async(event, key, clock.now + LAMBDA_RETRY_DELAYS[attempt - 1], attempt + 1)
        else:
            self.dead_letters.append(event)


def _registration(template_event: dict[str, Any], group: str, arn: str) -> dict[str, Any]:
    event = json.loads(json.dumps(template_event))
    event["region"], event["resources"] = REGION, [arn]
    event["detail"].update(ModelPackageGroupName=group, ModelPackageVersion=1, ModelPackageArn=arn)
    return event


def simulate(
    registrations: int, search_rate: float, *, concurrency: int = 1000, seed: int = 7, template: dict[str, Any]
) -> BurstResult:
    """``registrations`` first versions of as many groups, all registered at the same instant."""
    import time_machine
    from botocore.retries import bucket
    from moto import mock_aws

    from local.moto_gaps import sagemaker_gaps_filled
    from model_governance.cards.naming import card_name_for

    random.seed(seed)
    with open("events/model_package_state_change.json") as file:
        template_event = json.load(file)
    with (
        mock_aws(),
        sagemaker_gaps_filled(),
        time_machine.travel(START, tick=False) as traveller,
        mock.patch.dict(os.environ),
    ):
        world = LocalWorld(template)
        function = world.function("carry_forward")
        os.environ.update(function.environment)
        clock = VirtualClock(traveller)
        search = SearchRate(clock, search_rate)
        sm = boto3.client("sagemaker", region_name=REGION)
        events = []
        for index in range(registrations):
            group = f"burst-{index:04d}"
            sm.create_model_package_group(ModelPackageGroupName=group)
            arn = sm.create_model_package(
                ModelPackageGroupName=group,
                InferenceSpecification={
                    "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
            )["ModelPackageArn"]
            events.append((group, _registration(template_event, group, arn)))

        def aws_call(event_name: str, **_: Any) -> Any:
            if not clock.simulating():
                return None
            clock.sleep(CALL_SECONDS)  # the round trip; past the deadline, Lambda kills the invocation here
            if event_name.startswith("before-send.sagemaker.Search") and not search.take():
                return _throttled_response()
            return None

        session_events = boto3._get_default_session().events
        session_events.register_first("before-send", aws_call, unique_id="burst-aws-call")
        lambda_ = _Lambda(clock, function, concurrency)
        try:
            with (
                mock.patch.object(time, "sleep", clock.sleep),
                mock.patch.object(bucket, "threading", _virtual_threading(clock)),
                contextlib.redirect_stdout(io.StringIO()),  # the handlers' logs and metrics
            ):
                for group, event in events:
                    lambda_.invoke_async(event, group)
                clock.run()
        finally:
            session_events.unregister("before-send", unique_id="burst-aws-call")
        names = {
            card["ModelCardName"]
            for page in sm.get_paginator("list_model_cards").paginate()
            for card in page["ModelCardSummaries"]
        }
        notices = Counter(message.subject for message in world.inbox("Notices"))
        return BurstResult(
            registrations=registrations,
            carded=sum(card_name_for(group, 1) in names for group, _ in events),
            dead_lettered=len(lambda_.dead_letters),
            duplicate_notices=sum(n - 1 for n in notices.values() if n > 1),
            attempts=Counter(lambda_.carded_at.values()),
            throttled_calls=search.throttled,
            simulated_seconds=clock.now,
        )


def run() -> list[str]:
    from bench import FULL

    template = synthesize()
    boto3.setup_default_session(region_name=REGION)
    lines = [
        "### A burst of registrations, Search throttled account-wide (simulated time, in-memory AWS)",
        "",
        "| registrations at once | Search quota | Lambda concurrency | carded | dead-lettered | duplicate notices | "
        "carded on attempt 1 / 2 / 3 | throttled Search calls | simulated time |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    # The full run: 300 at 3/s with the account's default concurrency (1,000) and a new account's quota (10).
    # The quick run keeps the ratio of registrations to Search rate at a fifth of the size (a few minutes less).
    sizes = ((300, 3.0, 1000), (300, 3.0, 10)) if FULL else ((60, 0.6, 1000),)
    for registrations, rate, concurrency in sizes:
        result = simulate(registrations, rate, concurrency=concurrency, template=template)
        by_attempt = " / ".join(str(result.attempts.get(n, 0)) for n in (1, 2, 3))
        lines.append(
            f"| {registrations} | {rate:g}/s | {concurrency:,} | {result.carded} | {result.dead_lettered} | "
            f"{result.duplicate_notices} | {by_attempt} | {result.throttled_calls:,} | "
            f"{result.simulated_seconds / 60:.1f} min |"
        )
    lines += [
        "",
        "A throttled call is retried with jittered backoff while the invocation has time left (15 s kept to finish), "
        "then Lambda's own retries (1 and 2 minutes later) take over; with the earlier budget of 3 attempts per "
        "call, the same simulation at 20 registrations and 0.2/s carded 5 and dead-lettered 15.",
    ]
    return lines
