"""`make demo`: the synthesized stack on an in-memory AWS, driven by the events SageMaker would send.

No AWS account, no Docker: moto plays AWS, the rules are the template's own patterns, the handlers are the
real ones. Each feature's story lives in local/scenarios/<feature>.py.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import time

from local.offline import use_offline_environment

use_offline_environment(log_level="WARNING")


class Narrator:
    """Prints the story: headings, plain sentences, and indented blocks such as emails."""

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)

    def heading(self, text: str) -> None:
        print(f"\n=== {text} ===", flush=True)

    def block(self, text: str, indent: str = "    | ") -> None:
        print(textwrap.indent(text.rstrip(), indent, lambda _: True), flush=True)


def main() -> int:
    from moto import mock_aws

    from local.moto_gaps import sagemaker_gaps_filled
    from local.moto_monitoring import monitoring_emulated
    from local.offline import DEMO_CARD_KEY
    from local.scenarios import ORDER
    from local.world import LocalWorld, synthesize

    say = Narrator()
    started = time.perf_counter()
    say.heading("Synthesizing the stack (cdk-nag AwsSolutions checks included)")
    from local.scenarios.data_quality import CONTEXT as DATA_QUALITY_CONTEXT

    # The encrypted-card scene's key, and the data-quality monitors of that story.
    template = synthesize({**DATA_QUALITY_CONTEXT, "modelCardKmsKeyArns": [DEMO_CARD_KEY]})
    kinds: dict[str, int] = {}
    for resource in template["Resources"].values():
        kinds[resource["Type"]] = kinds.get(resource["Type"], 0) + 1
    say(
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
    with mock_aws(), sagemaker_gaps_filled(), monitoring_emulated():
        world = LocalWorld(template)
        say(f"In-memory AWS ready: {len(world.functions)} functions wired to their synthesized rules.")
        for name in ORDER:
            try:
                scenario = importlib.import_module(f"local.scenarios.{name}")
            except ModuleNotFoundError:
                continue
            try:
                scenario.run(world, say)
            except Exception as error:  # keep telling the rest of the story, but fail the command
                failures += 1
                say(f"!! scenario {name} failed: {type(error).__name__}: {error}")
    say.heading(
        f"Done in {time.perf_counter() - started:.1f} s" + (f" with {failures} failed scenario(s)" if failures else "")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
