"""`make redrive`: what sits in the dead-letter queues, and, once you confirm, hand it back to its function.

    python -m ops.redrive [--stack ModelGovernance]          # list, then ask before handing anything back
    python -m ops.redrive --yes                               # hand back without asking

Each function's dead-letter queue holds the events it failed on after Lambda's retries (and those EventBridge could
not deliver). Fix the cause first (the function's logs and the alarm say what it was); then each event is handed
back to the function that failed on it as an asynchronous invocation, as EventBridge would, and deleted from the
queue. Every handler is safe to run twice, so an event handed back that had in fact been handled changes nothing;
one that fails again returns to its queue. Run it as an operator named in ``operatorPrincipalArns``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from model_governance import text
from ops.cli import OneLineParser, run, session
from ops.stack import DEFAULT_STACK, read_stack

HIDE_SECONDS = 600  # messages listed stay hidden from other readers while you decide
MAX_MESSAGES = 1000


@dataclass(frozen=True)
class Parked:
    """One failed event in a dead-letter queue, and the function to hand it back to."""

    function: str
    queue_url: str
    receipt: str
    body: str
    error: str
    sent_at: str

    def describe(self) -> str:
        try:
            event = json.loads(self.body)
        except ValueError:
            return f"{self.function}: unreadable message ({len(self.body)} bytes)"
        what = event.get("detail-type") or event.get("mode") or "invocation" if isinstance(event, dict) else "?"
        about = ", ".join(map(str, event.get("resources", []))) if isinstance(event, dict) else ""
        line = f"{self.function}: {what}" + (f" {about}" if about else "") + f" (failed {self.sent_at})"
        return text.one_line(line + (f": {self.error}" if self.error else ""))


def dead_letter_queues(lambda_client: Any, sqs: Any, functions: Sequence[str]) -> dict[str, str]:
    """{function name: its dead-letter queue's URL}, read from each function's own configuration."""
    queues = {}
    for function in functions:
        target = lambda_client.get_function_configuration(FunctionName=function).get("DeadLetterConfig", {})
        arn = target.get("TargetArn", "")
        if arn.startswith("arn:") and ":sqs:" in arn:
            _, _, _, _, account, name = arn.split(":", 5)
            queues[function] = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return queues


def parked_events(sqs: Any, queues: dict[str, str]) -> list[Parked]:
    """Every message of the queues, kept hidden (HIDE_SECONDS) so that each is seen once."""
    parked: list[Parked] = []
    for function, url in sorted(queues.items()):
        while len(parked) < MAX_MESSAGES:
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=HIDE_SECONDS,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["SentTimestamp"],
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                attributes = message.get("MessageAttributes", {})
                error = " ".join(
                    attributes.get(name, {}).get("StringValue", "") for name in ("ErrorCode", "ErrorMessage")
                ).strip()
                sent = message.get("Attributes", {}).get("SentTimestamp", "")
                parked.append(Parked(function, url, message["ReceiptHandle"], message["Body"], error, _when(sent)))
    return parked


def hand_back(lambda_client: Any, sqs: Any, parked: Sequence[Parked]) -> int:
    """Invoke each event's function asynchronously, then delete it from its queue (in that order: a crash between
    the two hands it back twice, which the handlers' idempotency makes one effect)."""
    for event in parked:
        lambda_client.invoke(FunctionName=event.function, InvocationType="Event", Payload=event.body.encode())
        sqs.delete_message(QueueUrl=event.queue_url, ReceiptHandle=event.receipt)
    return len(parked)


def release(sqs: Any, parked: Sequence[Parked]) -> None:
    """Leave the messages where they were, visible again at once."""
    for event in parked:
        sqs.change_message_visibility(QueueUrl=event.queue_url, ReceiptHandle=event.receipt, VisibilityTimeout=0)


def _when(epoch_millis: str) -> str:
    from datetime import UTC, datetime

    if not epoch_millis.isdigit():
        return "at an unknown time"
    return f"{datetime.fromtimestamp(int(epoch_millis) / 1000, UTC):%Y-%m-%d %H:%M} UTC"


def main(argv: Sequence[str] | None = None, *, aws: Any = None, ask: Callable[[str], str] | None = None) -> int:
    parser = OneLineParser(prog="make redrive", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default=DEFAULT_STACK, help=f"stack name (default {DEFAULT_STACK})")
    parser.add_argument("--yes", action="store_true", help="hand everything listed back without asking")
    args = parser.parse_args(argv)
    aws = aws or session()
    stack = read_stack(aws.client("cloudformation"), args.stack)
    lambda_client, sqs = aws.client("lambda"), aws.client("sqs")
    functions = [f.physical_id for f in stack.of_type("AWS::Lambda::Function")]
    parked = parked_events(sqs, dead_letter_queues(lambda_client, sqs, functions))
    if not parked:
        print("The dead-letter queues are empty: nothing failed.")
        return 0
    print(f"{len(parked)} failed event(s) in the dead-letter queues:")
    for event in parked:
        print(f"  - {event.describe()}")
    if not args.yes:
        answer = (ask or _ask)(f"Hand these {len(parked)} event(s) back to their functions? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            release(sqs, parked)
            print("Nothing handed back; the events stay in their queues.")
            return 0
    print(f"Handed {hand_back(lambda_client, sqs, parked)} event(s) back; any that fails again returns to its queue.")
    return 0


def _ask(prompt: str) -> str:
    if not sys.stdin.isatty():
        return ""  # no one to ask: list only (use --yes to hand back)
    return input(prompt)


if __name__ == "__main__":
    sys.exit(run(main))
