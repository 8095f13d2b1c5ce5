"""`make demo`: the synthesized stack on an in-memory AWS, driven by the events SageMaker would send.

No AWS account, no Docker: moto plays AWS, the rules are the template's own patterns, the handlers are the
real ones. Each feature's story lives in local/scenarios/<feature>.py.

By default the story is brief: one line per outcome and one sample of each kind of message; `VERBOSE=1 make demo`
tells everything (every message whole, metrics, repeated deliveries, the ledger).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import textwrap
import time

from local.offline import use_offline_environment

use_offline_environment(log_level="WARNING")


BRIEF_BLOCK_LINES = 8  # a message sample in the brief story: its subject and first lines


class Narrator:
    """Prints the story: headings, outcomes, details (verbose only) and indented blocks such as emails.

    Brief (the default) shows each kind of message once, cut to its first lines; verbose shows everything.
    """

    def __init__(self, *, verbose: bool = False) -> None:
        self.verbose = verbose
        self._kinds_shown: set[str] = set()

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)

    def detail(self, text: str = "") -> None:
        if self.verbose:
            print(text, flush=True)

    def heading(self, text: str) -> None:
        print(f"\n=== {text} ===", flush=True)

    def block(self, text: str, indent: str = "    | ", *, kind: str = "") -> None:
        lines = text.rstrip().splitlines()
        if not self.verbose:
            if kind in self._kinds_shown or not kind:
                return
            self._kinds_shown.add(kind)
            if len(lines) > BRIEF_BLOCK_LINES:
                hidden = len(lines) - BRIEF_BLOCK_LINES
                lines = [*lines[:BRIEF_BLOCK_LINES], f"... ({hidden} more lines: VERBOSE=1 make demo shows all)"]
        print(textwrap.indent("\n".join(lines), indent, lambda _: True), flush=True)


def main() -> int:
    from moto import mock_aws

    from local.moto_gaps import sagemaker_gaps_filled
    from local.moto_monitoring import monitoring_emulated
    from local.offline import DEMO_CARD_KEY
    from local.scenarios import ORDER
    from local.scenarios import TOLD as TOLD_ORDER
    from local.world import LocalWorld, synthesize

    say = Narrator(verbose=os.environ.get("VERBOSE", "") not in ("", "0"))
    started = time.perf_counter()
    say.heading("The stack, synthesized (cdk-nag checks included), on an in-memory AWS")
    from local.scenarios.data_quality import CONTEXT as DATA_QUALITY_CONTEXT
    from local.scenarios.model_quality import CONTEXT as MODEL_QUALITY_CONTEXT

    # The encrypted-card scene's key, and the data-quality and model-quality monitors of those stories.
    template = synthesize({**DATA_QUALITY_CONTEXT, **MODEL_QUALITY_CONTEXT, "modelCardKmsKeyArns": [DEMO_CARD_KEY]})
    kinds: dict[str, int] = {}
    for resource in template["Resources"].values():
        kinds[resource["Type"]] = kinds.get(resource["Type"], 0) + 1
    say.detail(
        f"{sum(kinds.values())} resources; "
        + ", ".join(
            f"{n} {t.split('::')[-1]}"
            for t, n in sorted(kinds.items())
            if t.startswith(
                (
                    "AWS::Lambda::Function",
                    "AWS::Events::Rule",
                    "AWS::CloudWatch::Alarm",
                    "AWS::SNS::Topic",
                    "AWS::SQS::Queue",
                )
            )
        )
    )

    failures = 0
    turns = list(TOLD_ORDER)
    told: dict[str, str] = {}  # a scenario's story, kept until its turn comes
    with mock_aws(), sagemaker_gaps_filled(), monitoring_emulated():
        world = LocalWorld(template)
        say(f"{sum(kinds.values())} resources; {len(world.functions)} functions wired to their synthesized rules.")
        for name in ORDER:
            try:
                scenario = importlib.import_module(f"local.scenarios.{name}")
            except ModuleNotFoundError:
                continue
            story = io.StringIO()
            with contextlib.redirect_stdout(story):
                try:
                    scenario.run(world, say)
                except Exception as error:  # keep telling the rest of the story, but fail the command
                    failures += 1
                    say(f"!! scenario {name} failed: {type(error).__name__}: {error}")
            told[name] = story.getvalue()
            while turns and turns[0] in told:  # print every story whose turn has come
                print(told.pop(turns.pop(0)), end="", flush=True)
    for rest in told.values():
        print(rest, end="", flush=True)
    say.heading(
        f"Done in {time.perf_counter() - started:.1f} s" + (f" with {failures} failed scenario(s)" if failures else "")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
