"""publish_once and the effects under it (workflows/effects.py): once per key, nothing lost, a crash waits."""

from datetime import UTC, datetime

import pytest

from model_governance.adapters.notifications import Message
from model_governance.workflows.effects import EffectBusy, once
from model_governance.workflows.ports import publish_once
from tests.fakes import MemoryEffects, MemoryNotices


class Origin:
    id = "event-1"
    time = datetime(2026, 11, 23, 9, tzinfo=UTC)


class FailingPublisher:
    def publish(self, message: Message) -> str:
        raise ConnectionError("SNS unreachable")


class Killed(BaseException):
    pass


def test_a_key_publishes_once_however_often_it_is_asked():
    effects, notices = MemoryEffects(), MemoryNotices()
    message = Message(subject="s", body="b")
    assert [publish_once(effects, "k", Origin(), notices, message) for _ in range(3)] == [True, False, False]
    assert notices.sent == [message]


def test_a_failed_publish_releases_the_lease_so_the_retry_sends_it_at_once():
    effects, notices = MemoryEffects(), MemoryNotices()
    message = Message(subject="s", body="b")
    with pytest.raises(ConnectionError):
        publish_once(effects, "k", Origin(), FailingPublisher(), message)
    assert not effects.done("k")
    assert publish_once(effects, "k", Origin(), notices, message) is True
    assert notices.sent == [message]


def test_a_killed_attempt_holds_its_lease_until_it_expires_then_the_retry_finishes_the_work():
    effects = MemoryEffects(lease_seconds=90)

    def killed(run):
        run.step("first", lambda: {"n": 1}, lambda plan: None)
        raise Killed()

    with pytest.raises(Killed):
        once(effects, "k", Origin(), killed)
    with pytest.raises(EffectBusy):  # a minute later: the killed attempt might still be running
        once(effects, "k", Origin(), lambda run: None)
    effects.now += 91
    steps = []
    once(effects, "k", Origin(), lambda run: steps.append(run.step("first", lambda: {"n": 2}, lambda p: None)))
    assert steps == [{"n": 1}]  # the first attempt's plan, not a new one
    assert effects.done("k")


def test_a_plan_is_made_once_and_a_done_step_does_not_act_again():
    effects, acted = MemoryEffects(), []

    def work(run):
        run.step("a", lambda: {"v": len(acted)}, acted.append)
        run.step("b", lambda: {"v": "b"}, lambda plan: (_ for _ in ()).throw(ConnectionError("down")))

    with pytest.raises(ConnectionError):
        once(effects, "k", Origin(), work)
    with pytest.raises(ConnectionError):
        once(effects, "k", Origin(), work)
    assert acted == [{"v": 0}]  # step a acted once, with its first plan


def test_records_of_an_effect_are_stamped_by_the_attempt_that_began_it():
    effects = MemoryEffects()
    stamps = []

    class Later:
        id = "event-2"
        time = datetime(2026, 11, 23, 10, tzinfo=UTC)

    def fail_once(run):
        stamps.append((run.lease.id, run.lease.time))
        if len(stamps) == 1:
            raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        once(effects, "k", Origin(), fail_once)
    once(effects, "k", Later(), fail_once)
    assert stamps == [("event-1", Origin.time), ("event-1", Origin.time)]


def test_one_aws_call_with_every_retry_fits_in_the_function_timeout():
    from model_governance.adapters.clients import RETRY_CONFIG

    attempts = RETRY_CONFIG.retries["total_max_attempts"]  # the first attempt included
    per_attempt = RETRY_CONFIG.connect_timeout + RETRY_CONFIG.read_timeout
    throttling_backoff = sum(min(2**i, 20) for i in range(attempts - 1))  # botocore standard: base 1 s
    assert attempts * per_attempt + throttling_backoff < 60
