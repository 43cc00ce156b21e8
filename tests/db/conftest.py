"""Fixtures shared by the database tests."""

from __future__ import annotations

import psycopg2
import pytest


@pytest.fixture
def conn(db_url):
    """A superuser session whose work is rolled back when the test ends."""
    connection = psycopg2.connect(db_url)
    yield connection
    connection.rollback()
    connection.close()
