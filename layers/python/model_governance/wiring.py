"""Composition of the adapters a workflow needs, from the environment contract, shared by its handlers."""

from __future__ import annotations

from dataclasses import dataclass

from model_governance import constants
from model_governance.adapters.clients import client
from model_governance.adapters.effects import EffectStore
from model_governance.adapters.ledger import Ledger
from model_governance.adapters.notifications import Publisher
from model_governance.adapters.sagemaker import ModelRegistry
from model_governance.adapters.state import StateStore
from model_governance.settings import env_bool, env_int, env_str
from model_governance.workflows.carry_forward import CarryForwardSettings


@dataclass(frozen=True)
class CarryForwardDependencies:
    """What ``carry_forward`` takes besides the event (the carry_forward and backfill functions both run it)."""

    registry: ModelRegistry
    links: StateStore
    effects: EffectStore
    notices: Publisher
    ops: Publisher  # alerts only: a card whose KMS key the deployment was not given
    audit: Ledger
    settings: CarryForwardSettings


def effect_store() -> EffectStore:
    """The effects' leases in the state table, lasting past this function's timeout (the stack says how long)."""
    return EffectStore(
        client("dynamodb"),
        env_str(constants.ENV_STATE_TABLE),
        lease_seconds=env_int(constants.ENV_EFFECT_LEASE_SECONDS, minimum=1),
    )


def carry_forward_dependencies() -> CarryForwardDependencies:
    """Read the environment and build the adapters (call once per container)."""
    table = env_str(constants.ENV_STATE_TABLE)
    return CarryForwardDependencies(
        registry=ModelRegistry(client("sagemaker")),
        links=StateStore(client("dynamodb"), table),
        effects=effect_store(),
        notices=Publisher(client("sns"), env_str(constants.ENV_NOTICES_TOPIC)),
        ops=Publisher(client("sns"), env_str(constants.ENV_OPS_TOPIC)),
        audit=Ledger(client("dynamodb"), table),
        settings=CarryForwardSettings(
            create_card_without_predecessor=env_bool(constants.ENV_CREATE_CARD_WITHOUT_PREDECESSOR)
        ),
    )
