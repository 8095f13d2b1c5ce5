import pytest

from model_governance.adapters.notifications import Message
from model_governance.workflows.ports import publish_once
from tests.fakes import MemoryLinks, MemoryNotices


class FailingPublisher:
    def publish(self, message: Message) -> str:
        raise ConnectionError("SNS unreachable")


def test_a_key_publishes_once_however_often_it_is_asked():
    claims, notices = MemoryLinks(), MemoryNotices()
    message = Message(subject="s", body="b")
    assert [publish_once(claims, "k", (notices, message)) for _ in range(3)] == [True, False, False]
    assert notices.sent == [message]


def test_a_failed_publish_releases_the_claim_so_the_retry_sends_it():
    claims, notices = MemoryLinks(), MemoryNotices()
    message = Message(subject="s", body="b")
    with pytest.raises(ConnectionError):
        publish_once(claims, "k", (notices, message), (FailingPublisher(), message))
    assert "k" not in claims.claims
    assert publish_once(claims, "k", (notices, message)) is True
