"""Command groups that several modules add to: ``langgan export customers|orders``
(the spreadsheet) and ``langgan export customer`` (one person's data) share one
``export`` parser."""

from __future__ import annotations

import argparse
from typing import Any


def subcommands(commands: Any, name: str, help_text: str) -> Any:
    """The sub-command group ``name``, made on first call and shared after."""
    parser = commands.choices.get(name)
    if parser is None:
        parser = commands.add_parser(name, help=help_text)
        parser.add_subparsers(dest=f"{name}_command", required=True, metavar="WHAT")
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
