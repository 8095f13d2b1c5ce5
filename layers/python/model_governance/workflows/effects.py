"""The one crash-safe way the system changes anything: effects under a lease, planned ahead, marked done after.

Lambda may kill a function inside any AWS call (a timeout), an AWS call may have happened although the caller
saw an error, and SageMaker sends one state change several times. So every piece of work that changes the
account (a card created and linked, an embedded card filled, a notice sent, an approval reverted) is an
*effect* with a key naming what it is about (a package ARN, a card version, a processing job), never the event:

1. ``begin`` takes a lease on the key that expires after the function's timeout. A live lease held by another
   delivery raises ``EffectBusy`` (Lambda retries a minute later); a lease left by a killed function has expired
   by then, so its retry takes over. A key already done returns ``None``: nothing to do.
2. Each step's plan (the content to write, the message to send, the ledger record's before/after) is computed
   on the first attempt and written to the lease *before* the step acts; a retry replays the same plan even if
   the account moved on, so every branch of a retry converges on the same final state.
3. A step is marked done only after it acted; the effect is marked done only after its last step. An ordinary
   error releases the lease at once (the retry need not wait); a crash leaves it to expire.
4. Ledger records of an effect are stamped with the attempt that first began it, so whichever delivery
   finishes the work writes the same, conditional, record.

The one thing this cannot make exactly once is a publish to an SNS standard topic that died mid-call: SNS has no
idempotency key, so that message is sent again rather than lost (at least once; tests/faults.py shows it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Plan = dict[str, Any]  # a step's plan: JSON-serialisable, so it can be written ahead to the lease


class Origin(Protocol):
    """What stamps a ledger record: an event envelope, or the lease of an effect (its first attempt)."""

    @property
    def id(self) -> str: ...
    @property
    def time(self) -> datetime: ...


class EffectBusy(RuntimeError):
    """Another delivery holds the lease of this effect right now; raised so Lambda retries after it ended."""


class LeaseLost(RuntimeError):
    """This attempt outlived its lease and another took over: stop, the other attempt finishes the work."""


@dataclass
class Lease:
    key: str
    token: str
    id: str  # the event id of the attempt that first began the effect
    time: datetime  # that event's time
    plans: dict[str, Plan | None] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)


class Effects(Protocol):
    def begin(self, key: str, origin: Origin) -> Lease | None: ...
    def plan_step(self, lease: Lease, step: str, plan: Plan | None) -> None: ...
    def step_done(self, lease: Lease, step: str, plan: Plan | None = ...) -> None: ...
    def finish(self, lease: Lease) -> None: ...
    def release(self, lease: Lease) -> None: ...


class EffectRun:
    """The steps of one effect under its lease (see the module docstring)."""

    def __init__(self, effects: Effects, lease: Lease) -> None:
        self._effects = effects
        self.lease = lease
        self.open = False

    def keep_open(self) -> None:
        """Leave the effect unfinished (its plans and done steps kept): a later attempt picks it up at once."""
        self.open = True

    def step(
        self, name: str, plan: Callable[[], Plan | None], act: Callable[[Plan], object], *, settles: bool = False
    ) -> Plan | None:
        """Run step ``name`` once: ``plan()`` on the first attempt only (None: nothing to do), then ``act(plan)``
        until the step is marked done. Returns the step's plan (also when an earlier attempt completed it).

        ``settles``: ``act`` returns the plan as it turned out (a choice the plan left open, such as which of two
        planned names was free); it is written with the step's completion, and later steps and retries see it."""
        if name in self.lease.plans:
            planned = self.lease.plans[name]
        else:
            planned = plan()
            self.lease.plans[name] = planned
            if planned is None:  # nothing to do: the plan and its completion are one write
                self._effects.step_done(self.lease, name, planned)
                self.lease.done.add(name)
                return None
            self._effects.plan_step(self.lease, name, planned)
        if name in self.lease.done:
            return planned
        outcome = act(planned) if planned is not None else None
        if settles and isinstance(outcome, dict) and outcome != planned:
            self._effects.step_done(self.lease, name, outcome)
            self.lease.plans[name] = planned = outcome
        else:
            self._effects.step_done(self.lease, name)
        self.lease.done.add(name)
        return planned


def once(effects: Effects, key: str, origin: Origin, work: Callable[[EffectRun], T]) -> T | None:
    """Run ``work`` as the effect ``key``: None when the effect was already done (by this or another delivery)."""
    lease = effects.begin(key, origin)
    if lease is None:
        return None
    run = EffectRun(effects, lease)
    try:
        result = work(run)
    except Exception:
        effects.release(lease)  # a crash (BaseException) releases nothing: the lease expires instead
        raise
    if run.open:
        effects.release(lease)
    else:
        effects.finish(lease)
    return result


def once_per_state(
    effects: Effects,
    name: str,
    subject: str,
    origin: Origin,
    state: str | None,
    work: Callable[[EffectRun], T],
    *,
    may_be_ours: bool = True,
) -> T | None:
    """Run ``work`` once per state of ``subject``: the effect ``<name>#<subject>#<state>``, ``state`` as read back
    from AWS now (None: nothing to judge). None when that state was judged already, or this delivery was handled.

    A gate's work changes the state it judges (a revert), so a retry would find another state and never finish
    the first attempt's work (its messages). The first attempt of a delivery therefore writes the state it saw
    ahead (the effect ``<name>-delivery#<subject>#<event id>``), and every retry of that delivery finishes that
    state's effect; the state the work left is judged by its own event. The event only names the delivery: what
    is judged, and under which key, is the subject's own state, and a state no delivery judged is found by the
    account sweep (it reads these effects). ``may_be_ours`` False: nothing to judge now, and the subject is not
    as the work leaves it, so no first attempt can be waiting: no call at all."""
    if state is None and not may_be_ours:
        return None

    def deliver(run: EffectRun) -> T | None:
        seen = run.step("state", lambda: {"state": state} if state is not None else None, lambda _: None)
        first = str(seen["state"]) if seen is not None else None
        return once(effects, state_effect_key(name, subject, first), origin, work) if first else None

    return once(effects, f"{name}-delivery#{subject}#{origin.id}", origin, deliver)


def state_effect_key(name: str, subject: str, state: str) -> str:
    """The effect ``once_per_state`` judges one state of ``subject`` under (the sweep reads it to find states
    never judged)."""
    return f"{name}#{subject}#{state}"
