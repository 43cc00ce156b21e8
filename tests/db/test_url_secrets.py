"""No password in ``CUTTER_DATABASE_URL`` reaches what cutter shows: the redacted
URL, a failed connection's STOP line, or the output of ``cutter db``.

Every URL below points at 127.0.0.1 port 1, which refuses at once, so no
server is needed. Each case lists the secret and every fragment of it a
parser could cut out (libpq ends the userinfo at the first '@', urllib at
the last one).
"""

from __future__ import annotations

import pytest

from cutter_assets.core.dsn import redact_url
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db.connection import open_connection
from cutter_assets.db.server import create_database

SECRET_URLS = {
    "userinfo": ("postgresql://bob:s3cret@127.0.0.1:1/cutter", ["s3cret"]),
    "percent-encoded userinfo": (
        "postgresql://bob:s3%2Fcr%40t@127.0.0.1:1/cutter",
        ["s3%2Fcr%40t", "s3/cr@t", "s3", "cr"],
    ),
    "raw % in userinfo": ("postgresql://bob:50%off!@127.0.0.1:1/cutter", ["50%off!", "off!"]),
    "raw @ in userinfo": ("postgresql://bob:p@ss@127.0.0.1:1/cutter", ["p@ss", "ss"]),
    "two raw @ in userinfo": (
        "postgresql://bob:zq@xj@er2@127.0.0.1:1/cutter",
        ["zq@xj@er2", "zq", "xj", "er2"],
    ),
    "raw ? in userinfo": ("postgresql://bob:s3?cret@127.0.0.1:1/cutter", ["s3?cret", "cret"]),
    "password= query": ("postgresql://bob@127.0.0.1:1/cutter?password=s3cret", ["s3cret"]),
    "raw % in password= query": (
        "postgresql://bob@127.0.0.1:1/cutter?password=50%off!",
        ["50%off!", "off!"],
    ),
    "raw @ in password= query": (
        "postgresql://bob@127.0.0.1:1/cutter?sslmode=disable&password=P@ssw0rd",
        ["P@ssw0rd", "ssw0rd"],
    ),
    "sslpassword= query": (
        "postgresql://bob@127.0.0.1:1/cutter?sslmode=disable&sslpassword=k3yphrase",
        ["k3yphrase"],
    ),
    "passfile= query": (
        "postgresql://bob@127.0.0.1:1/cutter?passfile=/home/bob/s3cret.pgpass",
        ["s3cret.pgpass"],
    ),
    "percent-encoded query key": (
        "postgresql://bob@127.0.0.1:1/cutter?pass%77ord=s3cret",
        ["s3cret"],
    ),
}
CASES = [pytest.param(url, secrets, id=name) for name, (url, secrets) in SECRET_URLS.items()]


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


@pytest.mark.parametrize(("url", "secrets"), CASES)
def test_redact_url_shows_no_password_in_any_form(url, secrets):
    shown = redact_url(url)
    assert _leaks(shown, secrets) == [], shown
    assert shown.startswith("postgresql://")


def test_redact_url_keeps_what_is_not_secret():
    assert (
        redact_url("postgresql://bob@db.example:5432/cutter?password=s3cret&sslmode=require")
        == "postgresql://bob@db.example:5432/cutter?password=***&sslmode=require"
    )
    assert redact_url("postgresql://bob:s3cret@db.example/cutter") == (
        "postgresql://bob:***@db.example/cutter"
    )
    # the userinfo cannot be told from the host by every parser alike: mask all of it
    assert (
        redact_url("postgresql://bob:p@ss@db.example/cutter")
        == "postgresql://***@db.example/cutter"
    )


@pytest.mark.parametrize(("url", "secrets"), CASES)
def test_a_failed_connection_is_a_stop_line_without_the_password(url, secrets):
    with pytest.raises(CutterStop) as stop:
        open_connection(url)
    assert stop.value.code is StopCode.STOP_DATABASE_UNAVAILABLE
    shown = stop.value.line() + str(stop.value)
    assert _leaks(shown, secrets) == [], shown
    assert "127.0.0.1" in shown  # still says where it tried


def test_the_reason_of_a_failed_connection_is_kept():
    with pytest.raises(CutterStop) as stop:
        open_connection("postgresql://bob@127.0.0.1:1/cutter?password=s3cret")
    assert "Connection refused" in stop.value.line()
    assert "s3cret" not in stop.value.line()


@pytest.mark.parametrize(("url", "secrets"), CASES)
def test_creating_a_database_on_an_unreachable_server_is_a_stop_without_the_password(url, secrets):
    with pytest.raises(CutterStop) as stop:
        create_database(url, "cutter_never")
    assert _leaks(stop.value.line(), secrets) == [], stop.value.line()


@pytest.mark.parametrize(
    "command",
    [["db", "url"], ["db", "url", "--dagster"], ["db", "status"], ["db", "up"], ["db", "init"]],
)
@pytest.mark.parametrize(("url", "secrets"), CASES)
def test_cutter_db_commands_print_no_password(cli, monkeypatch, tmp_path, command, url, secrets):
    monkeypatch.setenv("CUTTER_DATABASE_URL", url)
    monkeypatch.setenv("CUTTER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    _, out, err = cli(*command)
    assert _leaks(out + err, secrets) == [], out + err
    assert out + err  # it said something: a (redacted) URL, a status or a STOP line
