"""A click group whose subcommand groups are imported only when one of them is run.

``kansoku up`` pays for its own imports only: the bench, verify, SLO, dashboard, alerting and
cluster groups pull in FastAPI, the OTel exporters, gRPC and protobuf (about 3 s of CPU on a
busy 2-core machine), and ``kansoku up --detach`` starts the CLI twice before the stack runs.
``--help`` still lists every group (it imports them all).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click


class LazyGroup(click.Group):
    """``lazy`` maps a subcommand's name to ``"module:attribute"``, imported on first use."""

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)
