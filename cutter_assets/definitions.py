"""Assembles the code location; nothing else happens here."""

from dagster import Definitions

defs = Definitions()
