"""The ``cutter`` command: a thin shell over the database layer and the core.

Every refusal is a ``CutterStop``; ``main`` turns it into one line on stderr
and the STOP's own exit code. A usage error (an unknown option, a value of the
wrong type) is bad input too: STOP_REFUSED_INPUT, one line. A query that
meets a database without its schema (no such table or function) is
STOP_CONFIG naming ``db init``. Nothing else is caught here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import click
from psycopg2 import errors

from cutter_assets.app.audit import audit
from cutter_assets.app.doctor import doctor
from cutter_assets.app.export import export
from cutter_assets.app.extract import extract
from cutter_assets.app.keys import keys
from cutter_assets.core.commands import command
from cutter_assets.core.dsn import redact_url
from cutter_assets.core.grants import matrix_sha
from cutter_assets.core.intake import (
    APPROVAL_MAX_BYTES,
    MAX_UNITS_CEILING,
    check_doc_code,
    check_language,
    decode_document,
    read_input_file,
)
from cutter_assets.core.legal.detect import detect_language
from cutter_assets.core.phases import GATE_BY_SHORT, gate_rules, phase_rules
from cutter_assets.core.refusals import one_line, parse_utterance, screen_arguments, screen_text
from cutter_assets.core.stops import CutterStop, StopCode
from cutter_assets.db import documents, queries, survey
from cutter_assets.db.connection import connection
from cutter_assets.db.pins import write_expected_privileges, write_fingerprints
from cutter_assets.db.rules import rules_in_force, write_rules_migration
from cutter_assets.db.schema import apply_schema
from cutter_assets.db.server import DatabaseServer
from cutter_assets.platform.settings import PROJECT_ROOT, load_settings

DEMO_DOCUMENT = PROJECT_ROOT / "corpus" / "vn" / "hien-phap.txt"
DEMO_DOC_CODE = "ICX-CONST"
SCRATCH_SCHEMA = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# Schemas a restore must never go into (PostgreSQL's own, cutter's, and any
# pg_ name): restoring there would mix backup rows with live ones.
RESERVED_SCHEMAS = ("public", "cutter_governance", "cutter_meta", "information_schema")
# A bare group (``cutter doc``) shows its help: click 8.2 raises this for it, 8.1
# prints the help itself. Not a refusal.
NO_ARGS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


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


@db.command("pins")
@click.option("--write", is_flag=True, help="Re-pin sql/lifecycle/*.yaml from the live schema.")
def db_pins(write: bool) -> None:
    """Show (or re-pin) function fingerprints and the privilege matrix of the
    schema as sql/ defines it; the database itself is left unchanged."""
    with connection(_server().target_url()) as conn:
        report = apply_schema(conn, check_fingerprints=False, commit=False)
        privileges = survey.privilege_matrix(conn)
    for signature, digest in sorted(report.fingerprints.items()):
        click.echo(f"{digest}  {signature}")
    click.echo(f"{len(privileges)} privileges, matrix sha256 {matrix_sha(privileges)}")
    if write:
        click.echo(f"wrote {write_fingerprints(report.fingerprints)}")
        click.echo(f"wrote {write_expected_privileges(privileges)}")


@db.command("rules")
@click.option(
    "--write", "name", metavar="NAME", help="Write the migration as sql/deploy/NNN_NAME.sql."
)
def db_rules(name: str | None) -> None:
    """Compare the database's phase and gate rules with the catalogue
    (core/phases.py); --write NAME generates the migration that makes them equal."""
    if name is not None:
        click.echo(f"wrote {write_rules_migration(name)}; apply it with: {command('db init')}")
        return
    with connection(_server().target_url()) as conn, conn.cursor() as cur:
        in_force = rules_in_force(cur)
    if in_force != (phase_rules(), gate_rules()):
        raise CutterStop(
            StopCode.STOP_SCHEMA_DRIFT,
            "the database's phase or gate rules differ from the catalogue; "
            f"generate the migration with: {command('db rules --write NAME')}",
        )
    click.echo("rules: the database's phase and gate rules are the catalogue's")


# ---- cutter doc ---------------------------------------------------------
@cli.group()
def doc() -> None:
    """Register documents and list them."""


@doc.command("add")
@click.option("--code", "doc_code", required=True, help="Document code, e.g. ICX-CONST.")
@click.option("--title", default="", help="Human title.")
@click.option("--language", type=click.Choice(["vi", "en"]), default=None)
@click.option(
    "--max-units",
    type=click.IntRange(min=1, max=MAX_UNITS_CEILING),
    default=None,
    help="The most units a cut of this document may produce (default 1000).",
)
@click.argument("file", type=click.Path(path_type=Path))
def doc_add(
    doc_code: str, title: str, language: str | None, max_units: int | None, file: Path
) -> None:
    """Register FILE as the next version of document CODE (its partition is
    in the Dagster instance when this returns)."""
    registration = register_file(
        doc_code, file, title=title, language=language, max_units=max_units
    )
    click.echo(registration.describe())


def register_file(
    doc_code: str,
    file: Path,
    *,
    title: str = "",
    language: str | None = None,
    max_units: int | None = None,
):
    settings = load_settings()
    check_doc_code(doc_code)
    data = read_input_file(file, settings.max_doc_bytes)
    text = decode_document(data, max_bytes=settings.max_doc_bytes, name=file.name)
    language = check_language(language or detect_language(text.text))
    with connection(DatabaseServer(settings).target_url()) as conn:
        registration = documents.register_version(
            conn,
            doc_code=doc_code,
            title=title,
            language=language,
            text=text,
            max_units=max_units,
        )
    add_partition(doc_code)
    return registration


def add_partition(doc_code: str) -> None:
    """The registered document's partition, in the project's Dagster instance
    before the command returns (the document sensor would add it only on its
    next tick, and it still deletes a key that names no registered document)."""
    from cutter_assets.app.orchestration import project_instance
    from cutter_assets.graph.partitions import documents as partitions

    instance = project_instance()
    try:
        if not instance.has_dynamic_partition(partitions.name, doc_code):
            instance.add_dynamic_partitions(partitions.name, [doc_code])
    finally:
        instance.dispose()


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


@doc.command("release")
@click.argument("doc_code")
@click.option(
    "--actor",
    default=lambda: os.environ.get("CUTTER_ACTOR", "sovereign@unknown"),
    help="Who releases it (default $CUTTER_ACTOR).",
)
def doc_release(doc_code: str, actor: str) -> None:
    """Release a document a batch quarantined: later batches take it again."""
    from cutter_assets.app.batch import release

    click.echo(release(doc_code, actor))


# ---- cutter orchestrate -------------------------------------------------
@cli.group()
def orchestrate() -> None:
    """Cut documents: one mandatory argument, everything else is discovered."""


@orchestrate.command("cut")
@click.option("--document-id", "doc_code", required=True, help="The document code, e.g. ICX-CONST.")
@click.option("--mode", type=click.Choice(["dryrun", "live"]), default="dryrun", show_default=True)
@click.option(
    "--actor",
    default=lambda: os.environ.get("CUTTER_ACTOR", "sovereign@unknown"),
    help="Who starts the run (default $CUTTER_ACTOR).",
)
@click.option(
    "--scope", type=click.Choice(["enacted_only", "all"]), default="enacted_only", show_default=True
)
def orchestrate_cut(doc_code: str, mode: str, actor: str, scope: str) -> None:
    """Survey a document and pause at the SG_1 cut authorization."""
    from cutter_assets.app.orchestration import launch_cut

    check_doc_code(doc_code)
    screen_text("--actor", actor)  # also when it comes from $CUTTER_ACTOR
    _report(launch_cut(doc_code, mode=mode, actor=actor, scope=scope))


def next_action_line(run_id: str) -> str:
    from cutter_assets.app.orchestration import next_action
    from cutter_assets.db import ledger

    with connection(_server().target_url()) as conn:
        return next_action(ledger.get_run(conn, run_id))[1]


@orchestrate.command("resume")
@click.option("--run-id", required=True)
@click.option("--approval-kb-id", default=None, help="A signed approval doc in the KB.")
def orchestrate_resume(run_id: str, approval_kb_id: str | None) -> None:
    """Continue a cut run: after an approval, or leg B after a stop between legs."""
    from cutter_assets.app.orchestration import resume

    _report(resume(run_id, approval_kb_id))


@orchestrate.command("void")
@click.option("--run-id", required=True)
@click.option("--reason-kb-id", required=True, help="The KB doc that says why.")
def orchestrate_void(run_id: str, reason_kb_id: str) -> None:
    """Void a cut run, forward-only: drafts become voided, nothing is deleted."""
    from cutter_assets.app.orchestration import void

    click.echo(f"voided; compensation plan {void(run_id, reason_kb_id)}")


def _report(result) -> None:
    click.echo(f"cut run   {result.run_id}")
    click.echo(f"state     {result.state}")
    click.echo(f"kb folder {result.kb_folder}")
    click.echo(f"dagster   run {result.dagster_run_id} (open the UI: {command('ui')})")
    if result.stop is not None:
        raise result.stop
    click.echo(f"next      {next_action_line(result.run_id)}")


@orchestrate.command("inspect")
@click.option("--run-id", default=None)
@click.option("--batch-id", default=None, help="A batch: each member's state and next step.")
def orchestrate_inspect(run_id: str | None, batch_id: str | None) -> None:
    """State, phases, pins, what is awaited and the exact next command."""
    if (run_id is None) == (batch_id is None):
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, "inspect one: --run-id R or --batch-id B")
    if batch_id is not None:
        from cutter_assets.app.batch import describe_batch

        click.echo(describe_batch(batch_id))
        return
    from cutter_assets.app.orchestration import describe_run

    click.echo(describe_run(run_id))


@orchestrate.command("batch")
@click.option("--document-ids", type=click.Path(path_type=Path), help="Document codes, one a line.")
@click.option("--all-pending", is_flag=True, help="Every document waiting for a cut in this mode.")
@click.option("--mode", type=click.Choice(["dryrun", "live"]), default="dryrun", show_default=True)
@click.option(
    "--max-concurrent",
    type=int,
    default=4,
    show_default=True,
    help="At most N of the batch's runs at a time (each N a rule of the instance's run queue).",
)
@click.option(
    "--on-failure",
    type=click.Choice(["quarantine", "strict", "continue"]),
    default="quarantine",
    show_default=True,
)
@click.option(
    "--actor",
    default=lambda: os.environ.get("CUTTER_ACTOR", "sovereign@unknown"),
    help="Who starts the batch's runs (default $CUTTER_ACTOR).",
)
def orchestrate_batch(
    document_ids: Path | None,
    all_pending: bool,
    mode: str,
    max_concurrent: int,
    on_failure: str,
    actor: str,
) -> None:
    """Cut many documents through the Dagster daemon, a cut run each, with a progress display."""
    from cutter_assets.app.batch import batch

    screen_text("--actor", actor)  # also when it comes from $CUTTER_ACTOR
    batch(
        document_ids,
        all_pending,
        mode=mode,
        on_failure=on_failure,
        max_concurrent=max_concurrent,
        actor=actor,
        say=click.echo,
    )


@orchestrate.command("resume-batch")
@click.option("--batch-id", required=True)
def orchestrate_resume_batch(batch_id: str) -> None:
    """Continue a batch: launch what was not launched, follow it to its end."""
    from cutter_assets.app.batch import resume

    resume(batch_id, click.echo)


# ---- cutter approve / killswitch -----------------------------------------
@cli.group()
def approve() -> None:
    """The sovereign's helpers: draft an approval, sign it into the KB."""


@approve.command("draft")
@click.option("--run-id", required=True)
@click.option("--gate", type=click.Choice(sorted(GATE_BY_SHORT)), required=True)
@click.option("--approver", default=lambda: os.environ.get("CUTTER_APPROVER", "sovereign"))
def approve_draft(run_id: str, gate: str, approver: str) -> None:
    """Print the approval doc to sign (payload_sha taken from the request doc)."""
    from cutter_assets.app.sovereign import draft_approval

    screen_text("--approver", approver)  # also when it comes from $CUTTER_APPROVER
    click.echo(draft_approval(run_id, gate, approver), nl=False)


@approve.command("sign")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--key", "fingerprint", default=None, help="The signing key's fingerprint (gpg).")
@click.option("--provider", type=click.Choice(["gpg", "stub"]), default="gpg", show_default=True)
def approve_sign(file: Path, fingerprint: str | None, provider: str) -> None:
    """Sign FILE and place it in its run's KB folder (where the sensor finds it)."""
    from cutter_assets.app.sovereign import sign_approval

    if fingerprint is not None:
        screen_text("--key", fingerprint)
    approval = decode_document(
        read_input_file(file, APPROVAL_MAX_BYTES), max_bytes=APPROVAL_MAX_BYTES, name=file.name
    )
    click.echo(sign_approval(approval.text, fingerprint, provider))


@cli.group()
def killswitch() -> None:
    """Live execution is off at rest; the sovereign arms it for a single run."""


@killswitch.command("enable")
@click.option("--single-run", is_flag=True, required=True, help="Arm for one cut run only.")
@click.option("--run-id", default=None, help="The run to arm for (default: the next live run).")
def killswitch_enable(single_run: bool, run_id: str | None) -> None:
    from cutter_assets.app.sovereign import arm

    if not single_run:
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, "execution is only ever armed --single-run")
    click.echo(arm(run_id))


@killswitch.command("disable")
def killswitch_disable() -> None:
    from cutter_assets.app.sovereign import disarm

    click.echo(disarm())


@killswitch.command("status")
def killswitch_status() -> None:
    from cutter_assets.app.sovereign import switch_status

    click.echo(switch_status())


# ---- cutter backup ------------------------------------------------------
@cli.group()
def backup() -> None:
    """Check and restore pre-write backups."""


@backup.command("verify")
@click.option("--run-id", required=True)
def backup_verify(run_id: str) -> None:
    """sha256, envelope and recipient of a run's backup (no private key needed)."""
    from cutter_assets.resources import RESOURCES

    record = RESOURCES["vault"].verify(run_id)
    click.echo(
        f"backup {record.file}: sha256 {record.sha256[:16]} ok, {record.size} bytes, "
        f"recipient {record.recipient}, rows {record.scoped_rows}"
    )


@backup.command("restore")
@click.option("--run-id", required=True)
@click.option("--into", "schema", required=True, help="A new scratch schema to restore into.")
def backup_restore(run_id: str, schema: str) -> None:
    """Decrypt (private key needed) into a scratch schema and compare row checksums."""
    from cutter_assets.resources import RESOURCES

    with connection(_server().target_url()) as conn:
        check_scratch_schema(conn, schema)
        results = RESOURCES["vault"].restore(conn, run_id, schema)
        conn.commit()
    for table, (recorded, restored) in results.items():
        click.echo(f"{table}: checksum {restored[:16]} equals the backup's {recorded[:16]}")


def check_scratch_schema(conn, schema: str) -> str:
    """``schema`` if a restore may create it: a plain lower-case name, none of
    PostgreSQL's or cutter's own schemas and no ``pg_`` name, and no schema
    that exists already (a restore into it would mix rows); else STOP_REFUSED_INPUT."""
    if not SCRATCH_SCHEMA.fullmatch(schema):
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"--into must match {SCRATCH_SCHEMA.pattern} (a new scratch schema)",
        )
    if schema in RESERVED_SCHEMAS or schema.startswith("pg_"):
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT, f"--into {schema} is a system or cutter schema"
        )
    with conn.cursor() as cur:
        cur.execute(queries.SCHEMA_EXISTS, {"schema": schema})
        exists = cur.fetchone() is not None
    if exists:
        raise CutterStop(
            StopCode.STOP_REFUSED_INPUT,
            f"--into {schema} exists already; a restore goes into a new scratch schema",
        )
    return schema


# ---- cutter ui ----------------------------------------------------------
@cli.command("ui")
@click.option("--port", default=3000, show_default=True)
def ui(port: int) -> None:
    """Start the Dagster UI and daemon on the project's workspace and instance;
    Ctrl-C stops both."""
    from cutter_assets.app.daemon import DagsterDaemon

    server = _server()
    server.up()
    env = {**os.environ, **server.dagster_env()}
    webserver = Path(sys.executable).with_name("dagster-webserver")
    log = server.settings.state_dir / "daemon.log"
    with DagsterDaemon(server, log) as daemon:
        click.echo(f"Dagster UI on http://127.0.0.1:{port}; daemon log {log} (Ctrl-C stops both)")
        workspace = str(daemon.workspace)  # the daemon's code server
        try:
            subprocess.run(
                [str(webserver), "-h", "127.0.0.1", "-p", str(port), "-w", workspace],
                cwd=PROJECT_ROOT,
                env=env,
            )
        except KeyboardInterrupt:
            pass


def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


# ---- cutter demo --------------------------------------------------------
@cli.command("demo")
def demo() -> None:
    """The whole story on the embedded database: rehearse, cut, approve, enact."""
    from cutter_assets.app.demo import run_demo

    def register() -> str:
        return register_file(
            DEMO_DOC_CODE, DEMO_DOCUMENT, title="Hiến pháp 2013", language="vi"
        ).describe()

    run_demo(click.echo, register)


cli.add_command(extract)
cli.add_command(keys)
cli.add_command(doctor)
cli.add_command(export)
cli.add_command(audit)


RUN_ID = {"ids_allowed_for": ("--run-id",)}
SCREENED_COMMANDS = {
    ("orchestrate", "cut"): {},
    ("orchestrate", "resume"): RUN_ID,
    ("orchestrate", "void"): RUN_ID,
    ("approve", "draft"): RUN_ID,
    ("killswitch", "enable"): RUN_ID,
    ("orchestrate", "inspect"): {"ids_allowed_for": ("--run-id", "--batch-id")},
    ("orchestrate", "batch"): {"numbers_allowed_for": ("--max-concurrent",)},
    ("orchestrate", "resume-batch"): {"ids_allowed_for": ("--batch-id",)},
    ("doc", "release"): {},
    ("backup", "verify"): RUN_ID,
    ("backup", "restore"): RUN_ID,
    ("doc", "add"): {"numbers_allowed_for": ("--max-units",)},
    ("export",): RUN_ID,
    ("audit",): RUN_ID,
}


def translate(argv: list[str]) -> list[str]:
    """The sovereign's utterance becomes `orchestrate cut`; screened commands
    are refused on sight when they carry what must be discovered. No argument
    of any command holds a NUL (no exec can pass one; a caller in process can)."""
    if any("\x00" in token for token in argv):
        raise CutterStop(StopCode.STOP_REFUSED_INPUT, "an argument holds a NUL character")
    if argv and (doc_code := parse_utterance(argv[0])) is not None:
        argv = ["orchestrate", "cut", "--document-id", doc_code, *argv[1:]]
    for words in (2, 1):  # a group's command, or a top-level one
        allowances = SCREENED_COMMANDS.get(tuple(argv[:words]))
        if allowances is not None:
            screen_arguments(argv[words:], **allowances)
            break
    return argv


def main(argv: list[str] | None = None) -> None:
    if argv is None:  # the command itself: SIGTERM stops it as Ctrl-C does, its blocks
        # ending (the daemon, code server and UI a command started are stopped with it)
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        argv = translate(list(sys.argv[1:] if argv is None else argv))
        cli.main(args=argv, prog_name="cutter", standalone_mode=False)
    except (errors.UndefinedTable, errors.UndefinedFunction) as err:
        _refuse(
            CutterStop(
                StopCode.STOP_CONFIG,
                f"the database lacks what its schema makes ({err.diag.message_primary}) — "
                f"run: {command('db init')}",
            )
        )
    except CutterStop as stop:
        _refuse(stop)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except NO_ARGS_HELP as err:
        err.show()
        sys.exit(err.exit_code)
    except click.ClickException as err:
        _refuse(CutterStop(StopCode.STOP_REFUSED_INPUT, err.format_message()))


def _refuse(stop: CutterStop) -> None:
    click.echo(one_line(stop.line()), err=True)
    sys.exit(stop.exit_code)


if __name__ == "__main__":
    main()
