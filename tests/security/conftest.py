"""Fixtures the attacks share with the flow tests: the synthesized stacks on moto."""

from tests.integration.conftest import dq_template, dq_world  # noqa: F401
from tests.integration.test_security_hub import hub_template, hub_world  # noqa: F401
