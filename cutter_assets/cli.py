"""The ``cutter`` command: a thin shell over the database layer and the core.

Every refusal is a ``CutterStop``; ``main`` turns it into one line on stderr
and the STOP's own exit code. Nothing else is caught here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cutter_assets.core.intake import check_doc_code, check_language, decode_document
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import documents
from cutter_assets.db.connection import connection
from cutter_assets.db.schema import apply_schema, write_fingerprints
from cutter_assets.db.server import DatabaseServer, redact_url
from cutter_assets.settings import PROJECT_ROOT, load_settings

DEMO_DOCUMENT = PROJECT_ROOT / "corpus" / "vn" / "hien-phap.txt"
DEMO_DOC_CODE = "ICX-CONST"


def _server() -> DatabaseServer:
    return DatabaseServer(load_settings())


@click.group()
def cli() -> None:
    """Cut legal documents into governed information units."""


# ---- cutter db ----------------------------------------------------------
@cli.group()
def db() -> None:
    """Start, stop, inspect and initialise the database."""


@db.command("up")
def db_up() -> None:
    """Start the embedded PostgreSQL (or check CUTTER_DATABASE_URL) and create the databases."""
    click.echo(_server().up().describe())


@db.command("down")
def db_down() -> None:
    """Stop the embedded PostgreSQL (an external server is left alone)."""
    server = _server()
    status = server.down()
    if status.kind == "external":
        click.echo("external PostgreSQL (CUTTER_DATABASE_URL): not stopped by cutter")
    else:
        click.echo(status.describe())


@db.command("status")
def db_status() -> None:
    """Say whether the server runs and where."""
    status = _server().status()
    click.echo(status.describe())
    if not status.running:
        sys.exit(1)


@db.command("url")
@click.option("--dagster", is_flag=True, help="The URL of Dagster's storage database.")
def db_url(dagster: bool) -> None:
    """Print the database URL (any password is masked)."""
    server = _server()
    click.echo(redact_url(server.dagster_url() if dagster else server.target_url()))


@db.command("init")
def db_init() -> None:
    """Apply sql/ in order (idempotent) and verify the function fingerprints."""
    with connection(_server().target_url()) as conn:
        report = apply_schema(conn)
    click.echo(
        f"schema: {len(report.applied)} file(s) applied, {len(report.unchanged)} unchanged; "
        f"{len(report.fingerprints)} governed functions match their fingerprints"
    )


@db.command("fingerprints")
@click.option("--write", is_flag=True, help="Re-pin sql/lifecycle/fingerprints.yaml.")
def db_fingerprints(write: bool) -> None:
    """Show (or re-pin) the live fingerprints; the database itself is not changed."""
    with connection(_server().target_url()) as conn:
        report = apply_schema(conn, check_fingerprints=False, commit=False)
    for signature, digest in sorted(report.fingerprints.items()):
        click.echo(f"{digest}  {signature}")
    if write:
        click.echo(f"wrote {write_fingerprints(report.fingerprints)}")


# ---- cutter doc ---------------------------------------------------------
@cli.group()
def doc() -> None:
    """Register documents and list them."""


@doc.command("add")
@click.option("--code", "doc_code", required=True, help="Document code, e.g. ICX-CONST.")
@click.option("--title", default="", help="Human title.")
@click.option("--language", type=click.Choice(["vi", "en"]), default=None)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def doc_add(doc_code: str, title: str, language: str | None, file: Path) -> None:
    """Register FILE as the next version of document CODE."""
    click.echo(register_file(doc_code, file, title=title, language=language).describe())


def register_file(doc_code: str, file: Path, *, title: str = "", language: str | None = None):
    settings = load_settings()
    check_doc_code(doc_code)
    data = _read_bytes(file, settings.max_doc_bytes)
    text = decode_document(data, max_bytes=settings.max_doc_bytes, name=file.name)
    language = check_language(language or detect_language(text.text))
    with connection(DatabaseServer(settings).target_url()) as conn:
        return documents.register_version(
            conn, doc_code=doc_code, title=title, language=language, text=text
        )


def _read_bytes(file: Path, max_bytes: int) -> bytes:
    if not file.is_file():
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, f"no such file: {file.name}")
    with file.open("rb") as handle:
        return handle.read(max_bytes + 1)  # one byte more tells "too large"


def detect_language(text: str) -> str:
    from cutter_assets.core.legal import detect_language as detect

    return detect(text)


@doc.command("list")
def doc_list() -> None:
    """Documents and their latest version."""
    with connection(_server().target_url()) as conn:
        rows = documents.list_documents(conn)
    if not rows:
        click.echo("no documents registered")
        return
    click.echo(f"{'doc_code':<24} {'lang':<4} {'ver':>3}  {'sha256':<16}  {'bytes':>9}  title")
    for row in rows:
        click.echo(
            f"{row.doc_code:<24} {row.language:<4} {row.version_no or 0:>3}  "
            f"{(row.text_sha256 or '-')[:16]:<16}  {row.byte_size or 0:>9}  {row.title}"
        )


# ---- cutter demo --------------------------------------------------------
@cli.command("demo")
def demo() -> None:
    """Start the embedded database, apply the schema, register and list a sample law."""
    server = _server()
    click.echo(server.up().describe())
    with connection(server.target_url()) as conn:
        report = apply_schema(conn)
    click.echo(f"schema: {len(report.applied)} applied, {len(report.unchanged)} unchanged")
    registration = register_file(
        DEMO_DOC_CODE, DEMO_DOCUMENT, title="Hiến pháp 2013", language="vi"
    )
    click.echo(registration.describe())
    with connection(server.target_url()) as conn:
        for row in documents.list_documents(conn):
            click.echo(f"  {row.doc_code}  v{row.version_no}  {row.byte_size} bytes  {row.title}")


def _register_optional_commands() -> None:
    try:
        from cutter_assets.extract_command import extract
    except ImportError:
        return
    cli.add_command(extract)


_register_optional_commands()


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="cutter", standalone_mode=False)
    except CutterStop as stop:
        click.echo(stop.line(), err=True)
        sys.exit(stop.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)


if __name__ == "__main__":
    main()
