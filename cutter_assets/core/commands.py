"""The command people are told to type, named in one place.

Every message that shows a command (a STOP line, the inspect view, a KB
request or STOP doc, ``next_command`` metadata) builds it with ``command``,
so what it shows works as shown: ``./run`` exports ``CUTTER_COMMAND=./run``
(its messages then say ``./run orchestrate resume --run-id R``), and a
``cutter`` installed on the PATH shows ``cutter``. Reading that one variable
is this module's only contact with the world, so every layer can use it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

COMMAND_ENV = "CUTTER_COMMAND"
DEFAULT_COMMAND = "cutter"
# A program path and plain words: nothing a shell, a markdown table or a
# terminal would read as more than a command (no quote, pipe, $, ; or newline).
_COMMAND = re.compile(r"[\w./~+:=@-]+(?: [\w./~+:=@-]+){0,7}")
_MAX_LENGTH = 200


def command_name(environ: Mapping[str, str] | None = None) -> str:
    """``$CUTTER_COMMAND`` when it is a plain command, else ``cutter``."""
    value = (os.environ if environ is None else environ).get(COMMAND_ENV, "")
    if len(value) <= _MAX_LENGTH and _COMMAND.fullmatch(value):
        return value
    return DEFAULT_COMMAND


def command(arguments: str, environ: Mapping[str, str] | None = None) -> str:
    """The full command line to show for ``arguments`` (``"db init"`` becomes
    ``"./run db init"`` under ``./run``)."""
    return f"{command_name(environ)} {arguments}"
