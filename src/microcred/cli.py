"""``microcred``: the command line of microcred (an integrators' contract: names and outputs stay).

Configuration by flag or environment: ``--rpc`` / ``MICROCRED_RPC_URL``, ``--deployment`` /
``MICROCRED_DEPLOYMENT`` (default ``deployments/<chainId>.json``), ``--store`` / ``MICROCRED_STORE``
(default ``local:.microcred/ipfs``), signer ``--account ALIAS`` (an ape keystore account) or
``MICROCRED_PRIVATE_KEY``.

Commands that create something print its id last on stdout, alone on its line, so scripts can take
``| tail -n1``. Errors are one sentence on stderr (a traceback only with ``--debug``). Exit codes: 0
success, 1 failure (for ``verify``: some credential is not valid), 2 bad input.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .defaults import (
    BATCH_SIZE,
    DEFAULT_JOURNAL_DIR,
    DEFAULT_POLICY,
    DEFAULT_PROOFS_DIR,
    DEFAULT_RPC_URL,
    DEFAULT_STORE,
    POLICIES,
)
from .errors import InputError, MicrocredError
from .progress import Progress as IssuanceProgress
from .redaction import redact

if TYPE_CHECKING:  # annotations only: each command imports what it uses, so --help stays fast
    from eth_account.signers.local import LocalAccount

    from .anchoring import AnchoredCredential
    from .chain import Chain
    from .config import Settings
    from .duplicates import Duplicate, Policy
    from .index import CredentialIndex
    from .issuance import Recipient
    from .storage import LocalStore, Store

__all__ = ["cli", "main"]

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2

# emoji=False: "did:key:z6Mk…" must not become "did🔑z6Mk…" (rich reads :key: as an emoji code).
_stdout = Console(highlight=False, soft_wrap=True, emoji=False)
_stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


# --------------------------------------------------------------------------------------------------
# Shared state and error handling
# --------------------------------------------------------------------------------------------------


class App:
    """What the commands share; the chain, store and signer are opened on first use."""

    def __init__(self, settings: Settings, debug: bool) -> None:
        self.settings = settings
        self.debug = debug
        self._chain: Chain | None = None
        self._store: Store | None = None
        self._index: CredentialIndex | None = None

    @property
    def chain(self) -> Chain:
        from .index import tolerate_rate_limits

        if self._chain is None:
            # Free tiers answer HTTP 429: web3 retries single requests, this adds its batches.
            self._chain = self.settings.chain(tolerate_rate_limits(self.settings.web3()))
        return self._chain

    def index(self) -> CredentialIndex:
        """The credential index, brought up to the head first (a progress bar while a long
        history is read, the first time); another process syncing it is fine: it is read."""
        from .index import CredentialIndex

        if self._index is None:
            self._index = CredentialIndex.open(self.chain, self.store)
            _sync_with_progress(self._index, label="Indexing credentials")
        return self._index

    @property
    def store(self) -> Store:
        from .storage import open_store

        if self._store is None:
            self._store = open_store(self.settings.store)
        return self._store

    def signer(self) -> LocalAccount:
        from .config import load_signer

        def prompt(text: str) -> str:
            return str(click.prompt(text.rstrip(": "), hide_input=True, err=True))

        return load_signer(self.settings.account, password_prompt=prompt)


def _fail(message: str, code: int) -> NoReturn:
    _stderr.print(f"Error: {message}", markup=False)
    sys.exit(code)


class _Group(click.Group):
    """Turns microcred's errors into one sentence on stderr and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except MicrocredError as err:
            if _debug(ctx):
                raise
            _fail(redact(str(err)), EXIT_BAD_INPUT if isinstance(err, InputError) else EXIT_FAILURE)
        except Exception as err:  # noqa: BLE001 - the last line of defence for users
            if _debug(ctx):
                raise
            # An unexpected error's text may quote an RPC URL with its key: never print that.
            _fail(
                f"{type(err).__name__}: {redact(str(err))} (run with --debug for the traceback).",
                EXIT_FAILURE,
            )


def _debug(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(isinstance(root.obj, App) and root.obj.debug)


pass_app = click.make_pass_decorator(App)


def _token_id(text: str) -> int:
    from .verification import parse_subject

    text = text.strip()
    if text.startswith("http") or not text.lower().startswith("0x"):
        subject = parse_subject(text)
        if subject.token_id is None:
            raise InputError(f"{text!r} is a wallet address, not a token id (0x + 64 hex).")
        return subject.token_id
    try:
        value = int(text, 16)
    except ValueError:
        raise InputError(f"{text!r} is not a token id (0x + 64 hex digits).") from None
    # A shortened id is never padded: 0xdaba is not 0x000...daba, and a cut-off copy must fail.
    if len(text) != 66:
        raise InputError(
            f"{text!r} has {len(text) - 2} hex digits; a token id has 64 (0x + 64 hex digits): "
            "copy the whole id."
        )
    return value


def _hex(token_id: int) -> str:
    return f"0x{token_id:064x}"


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


def _short(value: str) -> str:
    return f"{value[:10]}…{value[-6:]}"


def _print_whole_ids(title: str, rows: Sequence[tuple[str, str]]) -> None:
    """Whole ids under a table, one per line with what they are, so they can be copied: a table
    column wide enough for 66 characters would squeeze every other column in a terminal."""
    _stdout.print(f"{title}:")
    for label, value in rows:
        _stdout.print(f"  {value}  {label}", markup=False, no_wrap=True, overflow="ignore")


# --------------------------------------------------------------------------------------------------
# The group
# --------------------------------------------------------------------------------------------------


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--rpc",
    envvar="MICROCRED_RPC_URL",
    default=DEFAULT_RPC_URL,
    show_default=True,
    help="JSON-RPC URL of the chain [env MICROCRED_RPC_URL].",
)
@click.option(
    "--deployment",
    envvar="MICROCRED_DEPLOYMENT",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Deployment file [env MICROCRED_DEPLOYMENT; default deployments/<chainId>.json].",
)
@click.option(
    "--store",
    envvar="MICROCRED_STORE",
    default=DEFAULT_STORE,
    show_default=True,
    help="Document store: local:<dir>, kubo:<url> or pinning:<url> [env MICROCRED_STORE].",
)
@click.option(
    "--account",
    envvar="MICROCRED_ACCOUNT",
    default=None,
    help="Ape keystore account that signs (else MICROCRED_PRIVATE_KEY).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="microcred")
@click.pass_context
def cli(
    ctx: click.Context,
    rpc: str,
    deployment: Path | None,
    store: str,
    account: str | None,
    debug: bool,
) -> None:
    """Blockchain-backed micro-credentials: issue, revoke and verify."""
    from .config import Settings

    settings = Settings.from_env(
        rpc_url=rpc, deployment_path=deployment, store=store, account=account
    )
    ctx.obj = App(settings, debug)


# --------------------------------------------------------------------------------------------------
# issuer
# --------------------------------------------------------------------------------------------------


@cli.group()
def issuer() -> None:
    """Institutions in the registry (register, suspend, reinstate, rename: the registrar)."""


@issuer.command("register")
@click.argument("address")
@click.option("--name", required=True, help="Display name of the institution.")
@click.option("--url", default=None, help="URI of its profile (web page or ipfs://).")
@pass_app
def issuer_register(app: App, address: str, name: str, url: str | None) -> None:
    """Accredit an institution whose first signer key is ADDRESS; prints its issuer id last."""
    from .chain import checksum

    signer_address = checksum(address, what="signer address")
    issuer_id = app.chain.register_issuer(
        app.signer(), name=name, signers=[signer_address], profile_uri=url or ""
    )
    _stderr.print(f"Registered issuer {issuer_id} ({name}) with signer {signer_address}.")
    click.echo(issuer_id)


@issuer.command("suspend")
@click.argument("issuer_id", type=click.IntRange(min=1))
@click.option("--reason", default="", help="Why, for the public record.")
@pass_app
def issuer_suspend(app: App, issuer_id: int, reason: str) -> None:
    """Suspend an issuer: its credentials stop verifying as valid."""
    app.chain.suspend_issuer(app.signer(), issuer_id, reason)
    click.echo(f"Suspended issuer {issuer_id}.")


@issuer.command("reinstate")
@click.argument("issuer_id", type=click.IntRange(min=1))
@pass_app
def issuer_reinstate(app: App, issuer_id: int) -> None:
    """Reinstate a suspended issuer."""
    app.chain.reinstate_issuer(app.signer(), issuer_id)
    click.echo(f"Reinstated issuer {issuer_id}.")


@issuer.command("rename")
@click.argument("issuer_id", type=click.IntRange(min=1))
@click.argument("name")
@pass_app
def issuer_rename(app: App, issuer_id: int, name: str) -> None:
    """Rename an issuer (the registrar only: names are what verifiers show)."""
    app.chain.rename_issuer(app.signer(), issuer_id, name)
    click.echo(f"Renamed issuer {issuer_id} to {name}.")


@issuer.command("set-profile")
@click.argument("issuer_id", type=click.IntRange(min=1))
@click.argument("url")
@pass_app
def issuer_set_profile(app: App, issuer_id: int, url: str) -> None:
    """Point the issuer at a new profile document URL (its signers, or the registrar)."""
    app.chain.update_issuer_profile(app.signer(), issuer_id, url)
    click.echo(f"Issuer {issuer_id} now points at {url}.")


@issuer.command("add-signer")
@click.argument("issuer_id", type=click.IntRange(min=1))
@click.argument("address")
@pass_app
def issuer_add_signer(app: App, issuer_id: int, address: str) -> None:
    """Let ADDRESS issue and revoke for the issuer (key rotation)."""
    from .chain import checksum

    address = checksum(address, what="signer address")
    app.chain.add_signer(app.signer(), issuer_id, address)
    click.echo(f"Added signer {address} to issuer {issuer_id}.")


@issuer.command("remove-signer")
@click.argument("issuer_id", type=click.IntRange(min=1))
@click.argument("address")
@pass_app
def issuer_remove_signer(app: App, issuer_id: int, address: str) -> None:
    """Stop ADDRESS from acting for the issuer; past credentials are untouched."""
    from .chain import checksum

    address = checksum(address, what="signer address")
    app.chain.remove_signer(app.signer(), issuer_id, address)
    click.echo(f"Removed signer {address} from issuer {issuer_id}.")


@issuer.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def issuer_list(app: App, as_json: bool) -> None:
    """Every issuer with its status and signers."""
    issuers = app.chain.issuers()
    if as_json:
        data = [
            {
                "id": i.id,
                "status": i.status,
                "name": i.name,
                "profileURI": i.profile_uri,
                "signers": list(i.signers),
            }
            for i in issuers
        ]
        click.echo(json.dumps(data, indent=2))
        return
    table = Table(title=f"Issuers on chain {app.chain.chain_id}")
    for column in ("ID", "Status", "Name", "Signers"):
        table.add_column(column)
    for i in issuers:
        status = "[green]active[/]" if i.active else f"[red]{i.status}[/]"
        table.add_row(str(i.id), status, i.name, "\n".join(i.signers))
    _stdout.print(table)


# --------------------------------------------------------------------------------------------------
# key: the Ed25519 key that signs the Open Badges credentials of the signer's institution
# --------------------------------------------------------------------------------------------------


@cli.group("key")
def key_group() -> None:
    """The key that signs your institution's credentials (derived from your account)."""


def _own_key(app: App) -> tuple[Any, int, Any]:
    """The signer, its active issuer and its signing key (:func:`issuance.signing_key_of`)."""
    from .issuance import _active_issuer_of, signing_key_of

    signer = app.signer()
    issuer_id = _active_issuer_of(app.chain, signer)
    return signer, issuer_id, signing_key_of(app.chain, signer, issuer_id)


def _key_record_text(record: Any) -> str:
    if not record.registered:
        return "not registered yet (the first issue registers it)"
    text = (
        f"registered for issuer {record.issuer_id} by {record.signer} {_when(record.registered_at)}"
    )
    if record.revoked:
        text += f"; revoked {_when(record.revoked_at)}"
    return text


@key_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def key_show(app: App, as_json: bool) -> None:
    """Your signing key's did:key and what the registry records of it."""
    signer, issuer_id, key = _own_key(app)
    pair = (issuer_id, key.public_key)
    record = app.chain.assertion_keys([pair])[pair]
    if as_json:
        data = {
            "signer": signer.address,
            "issuerId": issuer_id,
            "did": key.did,
            "publicKey": "0x" + key.public_key.hex(),
            "registered": record.registered,
            "revokedAt": _when(record.revoked_at) if record.revoked else None,
        }
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"Signer {signer.address}, issuer {issuer_id}")
    click.echo(f"Signing key {key.did}")
    click.echo(f"On chain: {_key_record_text(record)}")


@key_group.command("register")
@pass_app
def key_register(app: App) -> None:
    """Register your signing key for your institution now (issuing does it the first time)."""
    from .assertion_keys import register_assertion_key

    signer, issuer_id, key = _own_key(app)
    pair = (issuer_id, key.public_key)
    record = app.chain.assertion_keys([pair])[pair]
    if record.registered:
        click.echo(f"{key.did} is {_key_record_text(record)}: nothing to do.")
        return
    register_assertion_key(app.chain, signer, key.public_key)
    click.echo(f"Registered {key.did} for issuer {issuer_id}.")


@key_group.command("revoke")
@click.argument("key")
@click.option("--reason", required=True, help="Why (public, on chain).")
@click.option(
    "--issuer",
    "issuer_id",
    type=int,
    default=None,
    help="The institution whose key it is (default: yours; the registrar names it).",
)
@pass_app
def key_revoke(app: App, key: str, reason: str, issuer_id: int | None) -> None:
    """Revoke KEY (a did:key, or 0x + 64 hex) for your institution: credentials it issues on
    chain from now on with it fail verification; those issued before stay valid."""
    from .assertion_keys import revoke_assertion_key
    from .vc.didkey import public_key_of

    try:
        public_key = (
            bytes.fromhex(key[2:])
            if key.startswith("0x") and len(key) == 66
            else public_key_of(key)
        )
    except ValueError as err:
        raise InputError(f"{key!r} is neither a did:key nor 0x + 64 hex digits: {err}.") from None
    if issuer_id is None:
        signer, issuer_id, _ = _own_key(app)
    else:
        signer = app.signer()
    revoke_assertion_key(app.chain, signer, issuer_id, public_key, reason)
    click.echo(
        f"Revoked issuer {issuer_id}'s key 0x{public_key.hex()}: its credentials issued with it "
        "from now on fail verification."
    )


# --------------------------------------------------------------------------------------------------
# template
# --------------------------------------------------------------------------------------------------


@cli.group()
def template() -> None:
    """Achievement templates: what an issuer recognises."""


@template.command("create")
@click.option("--name", required=True)
@click.option("--description", required=True)
@click.option("--criteria", required=True, help="What a learner did to earn it.")
@click.option("--skill", "skills", multiple=True, help="A skill it certifies (repeatable).")
@click.option("--valid-days", type=click.IntRange(min=1), default=None, help="Expiry, in days.")
@click.option(
    "--image",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Badge image file, stored as its own IPFS object.",
)
@pass_app
def template_create(
    app: App,
    name: str,
    description: str,
    criteria: str,
    skills: tuple[str, ...],
    valid_days: int | None,
    image: Path | None,
) -> None:
    """Publish a template for the signer's issuer; prints its id last."""
    from .issuance import create_template

    image_uri = f"ipfs://{app.store.put(image.read_bytes())}" if image else None
    document = create_template(
        app.chain,
        app.store,
        app.signer(),
        name=name,
        description=description,
        criteria=criteria,
        skills=skills,
        valid_days=valid_days,
        image=image_uri,
    )
    _stderr.print(f"Published template {name!r} ({document.uri}).", markup=False)
    click.echo(_hex(document.template_id))


@template.command("list")
@click.option("--issuer", "issuer_id", type=click.IntRange(min=1), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def template_list(app: App, issuer_id: int | None, as_json: bool) -> None:
    """Templates of one issuer, or of every issuer."""
    from .cid import cid_of_token_id
    from .documents import parse_template

    ids = [issuer_id] if issuer_id else [i.id for i in app.chain.issuers()]
    rows = []
    for iid in ids:
        for t in app.chain.templates_of(iid):
            try:
                name = parse_template(app.store.get(cid_of_token_id(t.id))).name
            except MicrocredError:
                name = None
            rows.append((t, name))
    if as_json:
        data = [
            {
                "id": _hex(t.id),
                "issuerId": t.issuer_id,
                "status": t.status,
                "publishedAt": t.published_at,
                "uri": t.uri,
                "name": name,
            }
            for t, name in rows
        ]
        click.echo(json.dumps(data, indent=2))
        return
    table = Table(title="Templates")
    for column in ("ID", "Issuer", "Status", "Published", "Name"):
        table.add_column(column)
    for t, name in rows:
        table.add_row(
            _short(_hex(t.id)), str(t.issuer_id), t.status, _when(t.published_at), name or "?"
        )
    _stdout.print(table)
    _print_whole_ids("Template ids", [(name or "?", _hex(t.id)) for t, name in rows])


# --------------------------------------------------------------------------------------------------
# issue / revoke
# --------------------------------------------------------------------------------------------------


class _RichProgress(IssuanceProgress):
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def start(self, phase: str, total: int) -> None:
        label = {
            "store": "Storing documents",
            "issue": "Issuing on chain",
            "anchor": "Anchoring the batch",
        }.get(phase, phase)
        if self.task is not None:
            self.progress.update(self.task, visible=False)
        self.task = self.progress.add_task(label, total=total)

    def advance(self, amount: int = 1) -> None:
        self.progress.advance(self.task, amount)


def _results_path(journal: Path) -> Path:
    """The default results file: beside the run's journal, named after it."""
    return journal.with_name(journal.stem + ".results.csv")


def _echo_skipped(skipped: Sequence[Duplicate], recipients: Sequence[Recipient]) -> None:
    for duplicate, recipient in zip(skipped, recipients, strict=True):
        where = f"line {recipient.line}" if recipient.line else f"row {duplicate.index + 1}"
        click.echo(f"Skipped {where} ({duplicate.address}): {duplicate.reason}.")


@cli.command("issue")
@click.option("--template", "template_id", required=True, help="Template id (0x + 64 hex).")
@click.option("--to", "recipient", default=None, help="The learner's wallet address.")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--expires", default=None, help="Expiry date YYYY-MM-DD (UTC).")
@click.option("--evidence", multiple=True, help="Evidence URL (repeatable).")
@click.option("--name", default=None, help="The learner's name (opt-in: documents are public).")
@click.option("--replaces", default=None, help="Token id this credential corrects or re-issues.")
@click.option("--batch-size", type=click.IntRange(1, BATCH_SIZE), default=BATCH_SIZE)
@click.option(
    "--anchor",
    is_flag=True,
    help="With --csv: one transaction for the whole batch (a Merkle root); learners claim later.",
)
@click.option(
    "--journal-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_JOURNAL_DIR,
    show_default=True,
)
@click.option(
    "--proofs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_PROOFS_DIR,
    show_default=True,
    help="With --anchor: where the proof files are written (<root>/<tokenId>.json).",
)
@click.option(
    "--duplicates",
    type=click.Choice(POLICIES),
    default=DEFAULT_POLICY,
    show_default=True,
    help="With --csv: a learner on an earlier line, or already holding a valid credential of "
    "the template, is skipped (listed) or issued anyway.",
)
@click.option(
    "--results",
    "results_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --csv: the results CSV (learner, credential, status, share link); default: "
    "next to the journal, <journal>.results.csv.",
)
@pass_app
def issue(
    app: App,
    template_id: str,
    recipient: str | None,
    csv_file: Path | None,
    expires: str | None,
    evidence: tuple[str, ...],
    name: str | None,
    replaces: str | None,
    batch_size: int,
    anchor: bool,
    journal_dir: Path,
    proofs_dir: Path,
    duplicates: Policy,
    results_file: Path | None,
) -> None:
    """Issue one credential (--to) and print its token id last, or many from a CSV (--csv).

    The CSV has a column `address` and optionally `expires`, `evidence`, `name`. A bulk run is
    resumable: run the same command again after an interruption. With --anchor the whole CSV is
    committed in one transaction (a Merkle root, printed last); each learner then claims their
    credential with its proof file (`microcred claim`). Duplicates (a learner on an earlier
    line, or holding a valid credential of the template already) are skipped and listed unless
    --duplicates issue; a results CSV (one row per line of the file) is written, its path printed.
    """
    from .issuance import anchor_bulk, issue_bulk, issue_one, parse_date, read_csv
    from .results import DEFAULT_PUBLIC_URL, run_results, write_results

    if (recipient is None) == (csv_file is None):
        raise InputError("Give either --to ADDRESS or --csv FILE.")
    if anchor and csv_file is None:
        raise InputError("--anchor issues a CSV batch: give --csv FILE.")
    template = _token_id(template_id)
    if csv_file is not None:
        if expires or evidence or name or replaces:
            raise InputError("With --csv, put expires, evidence and name in the file's columns.")
        public_url = os.environ.get("MICROCRED_PUBLIC_URL") or DEFAULT_PUBLIC_URL
        chain, store = app.chain, app.store
        recipients = read_csv(csv_file, now=chain.latest_timestamp())
        signer = app.signer()
        # Learners who hold the template already are found through the index (synced first,
        # with its own progress bar, before the issuing bar starts).
        index = app.index() if duplicates == "skip" else None
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        if anchor:
            with Progress(*columns, console=_stderr, transient=True) as bar:
                anchored = anchor_bulk(
                    chain,
                    store,
                    signer,
                    template_id=template,
                    recipients=recipients,
                    journal_dir=journal_dir,
                    proofs_dir=proofs_dir,
                    progress=_RichProgress(bar),
                    duplicates=duplicates,
                    index=index,
                )
            _echo_skipped(anchored.skipped, anchored.skipped_recipients)
            done = f"in {anchored.tx_hash}" if anchored.tx_hash else "by an earlier run"
            click.echo(f"{anchored.total} credential(s) anchored {done}.")
            click.echo(f"Manifest: ipfs://{anchored.manifest}")
            click.echo(f"Proofs: {anchored.proofs_dir}")
            click.echo(f"Journal: {anchored.journal}")
            rows = run_results(
                public_url,
                recipients=anchored.recipients,
                token_ids=anchored.token_ids,
                skipped=anchored.skipped,
                skipped_recipients=anchored.skipped_recipients,
                anchored=True,
            )
            assert anchored.journal is not None
            written = write_results(results_file or _results_path(anchored.journal), rows)
            click.echo(f"Results: {written}")
            click.echo(anchored.root_hex)
            return
        with Progress(*columns, console=_stderr, transient=True) as bar:
            result = issue_bulk(
                chain,
                store,
                signer,
                template_id=template,
                recipients=recipients,
                journal_dir=journal_dir,
                batch_size=batch_size,
                progress=_RichProgress(bar),
                duplicates=duplicates,
                index=index,
            )
        _echo_skipped(result.skipped, result.skipped_recipients)
        click.echo(
            f"{result.total} credential(s): {len(result.issued)} issued now in "
            f"{len(result.transactions)} transaction(s), {len(result.already)} issued before"
            + (f", {len(result.skipped)} duplicate(s) skipped." if result.skipped else ".")
        )
        click.echo(f"Journal: {result.journal}")
        rows = run_results(
            public_url,
            recipients=result.recipients,
            token_ids=result.token_ids,
            already=result.already,
            skipped=result.skipped,
            skipped_recipients=result.skipped_recipients,
        )
        assert result.journal is not None
        written = write_results(results_file or _results_path(result.journal), rows)
        click.echo(f"Results: {written}")
        return
    assert recipient is not None
    result_one = issue_one(
        app.chain,
        app.store,
        app.signer(),
        template_id=template,
        recipient=recipient,
        expires=parse_date(expires) if expires else None,
        evidence=evidence,
        name=name,
        replaces=_token_id(replaces) if replaces else None,
    )
    _stderr.print(
        f"Issued to {result_one.recipient} in {result_one.tx_hash} (ipfs://{result_one.cid}).",
        markup=False,
    )
    click.echo(_hex(result_one.token_id))


def _proofs_dir_option(function: Callable[..., Any]) -> Callable[..., Any]:

    return click.option(
        "--proofs-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_PROOFS_DIR,
        show_default=True,
        help="Where anchored batches wrote their proof files.",
    )(function)


def _anchored(
    app: App, credential: str, proofs_dir: Path, *, issuer_id: int | None = None
) -> AnchoredCredential:
    """An anchored credential from a proof file, or by token id: its proof file under
    ``proofs_dir``, else its entry in the credential index (read from the batch manifests)."""
    from .anchoring import find_proof, load_proof

    if Path(credential).is_file():
        return load_proof(credential)
    token_id = _token_id(credential)
    try:
        return load_proof(find_proof(token_id, proofs_dir))
    except InputError:
        pass
    found = app.index().anchored_entry(token_id, issuer_id=issuer_id)
    if found is None:
        whose = f" of issuer {issuer_id}" if issuer_id is not None else ""
        raise InputError(
            f"No anchored batch{whose} holds the credential {_hex(token_id)}: check the id, "
            "or give its proof file."
        )
    return found


@cli.command("revoke")
@click.argument("credential")
@click.option("--reason", required=True, help="Why, for the public record.")
@_proofs_dir_option
@pass_app
def revoke(app: App, credential: str, reason: str, proofs_dir: Path) -> None:
    """Revoke a credential (it stays in the wallet, marked revoked with the reason).

    CREDENTIAL is a token id, or the proof file of an anchored credential. An anchored credential
    nobody claimed yet is revoked through its batch (it can then never be claimed)."""
    from .anchoring import load_proof, revoke_anchored

    if not reason.strip():
        raise InputError("A revocation needs a reason (--reason TEXT).")
    # A proof file names its token id: once claimed, that credential is revoked like any other.
    value = load_proof(credential).token_id if Path(credential).is_file() else _token_id(credential)
    signer = app.signer()
    issuer_id, _ = app.chain.issuer_of(signer.address)
    status = app.chain.credential_status(value)
    # A token of the signer's issuer (or of nobody we could revoke through a batch) is revoked by
    # its id; an id another issuer minted may be a copy of one of our batch entries, which is
    # revoked in our batch.
    if status.exists and (status.issuer_id == issuer_id or not issuer_id):
        app.chain.revoke(signer, value, reason)
        click.echo(f"Revoked {_hex(value)}: {reason}")
        return
    item = _anchored(app, credential, proofs_dir, issuer_id=issuer_id or None)
    revoke_anchored(app.chain, signer, item, reason)
    click.echo(f"Revoked {_hex(item.token_id)} (anchored, unclaimed): {reason}")


@cli.command("claim")
@click.argument("credential")
@_proofs_dir_option
@pass_app
def claim_command(app: App, credential: str, proofs_dir: Path) -> None:
    """Mint anchored credentials to their recipient. CREDENTIAL: a proof file, a TOKEN_ID (its
    proof file under --proofs-dir, else found in the batch manifests), or a WALLET address (every
    credential waiting for it). Anyone may send it: a token goes to the learner named in its
    proof, never to the sender. Prints each claimed token id."""
    from .anchoring import claim, claimable
    from .chain import checksum

    text = credential.strip()
    if not Path(text).is_file() and len(text) == 42 and text.lower().startswith("0x"):
        wallet = checksum(text, what="wallet address")
        found = app.index().wallet(wallet)
        for warning in found.warnings:
            _stderr.print(f"Not checked: {warning}", markup=False)
        todo = claimable(app.chain, list(dict.fromkeys(found.anchored)))
        if not todo:
            _stderr.print(f"Nothing to claim for {wallet}.", markup=False)
            return
    else:
        todo = [_anchored(app, text, proofs_dir)]
    signer = app.signer()
    for item in todo:
        receipt = claim(app.chain, signer, item)
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        _stderr.print(f"Claimed to {item.recipient} in {tx_hash}.", markup=False)
        click.echo(_hex(item.token_id))


# --------------------------------------------------------------------------------------------------
# verify / show
# --------------------------------------------------------------------------------------------------

_STATUS_STYLE = {"valid": "bold green", "anchored": "green", "unavailable": "yellow"}
_GOOD_NOTE = {"anchored": "anchored, not yet in wallet"}


@cli.command("verify")
@click.argument("subject")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@pass_app
def verify_command(app: App, subject: str, as_json: bool) -> None:
    """Verify a wallet's credentials, or one credential (ADDRESS, TOKEN_ID, share link, or the
    proof file of an anchored credential: "anchored" until it is claimed to a wallet).

    Exit status 0 when every credential found is valid (or anchored), 1 otherwise, 2 on bad
    input. A batch manifest that could not be read is a warning on stderr (it may hold more
    credentials for the wallet), not a failure of those found.
    """
    from .anchoring import load_proof
    from .verification import parse_subject, verify, verify_anchored

    if subject.lower().endswith(".json") or Path(subject).is_file():
        item = load_proof(subject)
        report = verify_anchored(app.chain, app.store, item, index=app.index())
    else:
        report = verify(app.chain, app.store, parse_subject(subject), index=app.index())
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_report(report)
    if not report.all_valid:
        sys.exit(EXIT_FAILURE)


def _print_report(report: Any) -> None:
    for warning in report.warnings:
        _stderr.print(f"Not checked: {warning}", markup=False)
    if not report.credentials:
        _stdout.print(f"No credentials for {report.subject} on chain {report.chain_id}.")
        return
    table = Table(title=f"{report.subject} on chain {report.chain_id}")
    for column in ("Token", "Status", "Achievement", "Issuer", "Issued", "Expires", "Why"):
        table.add_column(column)
    for c in report.credentials:
        failed = next((check for check in c.checks if not check.ok), None)
        style = _STATUS_STYLE.get(c.status, "bold red")
        table.add_row(
            _short(_hex(c.token_id)),
            f"[{style}]{c.status}[/]",
            c.achievement or "?",
            f"{c.issuer_name or '?'} ({c.issuer_id})",
            _when(c.issued_at),
            _when(c.expires_at),
            failed.detail if failed else _GOOD_NOTE.get(c.status, ""),
        )
    _stdout.print(table)
    _print_whole_ids(
        "Token ids",
        [(f"{c.status}, {c.achievement or '?'}", _hex(c.token_id)) for c in report.credentials],
    )


@cli.command("show")
@click.argument("token_id")
@click.option("--raw", is_flag=True, help="Print the exact stored bytes (canonical JSON).")
@pass_app
def show(app: App, token_id: str, raw: bool) -> None:
    """Print a credential's document (fetched by CID, its hash checked)."""
    from .cid import cid_of_token_id
    from .untrusted import DOCUMENT, parse_untrusted

    value = _token_id(token_id)
    data = app.store.get(cid_of_token_id(value))
    if raw:
        click.echo(data.decode("utf-8"))
    else:
        document = parse_untrusted(data, DOCUMENT)  # the store checked the hash, not the shape
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))


# --------------------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------------------


@cli.group("store")
def store_group() -> None:
    """Move the embedded store's documents to a folder or an IPFS node."""


def _local(app: App) -> LocalStore:
    from .storage import LocalStore

    store = app.store
    if not isinstance(store, LocalStore):
        raise InputError("store export/push copy from the embedded store: use --store local:<dir>.")
    return store


def _transfer(action: Callable[..., Any], source: LocalStore, target: Any, verb: str) -> None:
    report = action(source, target)
    click.echo(f"{verb} {len(report.copied)} object(s).")
    for cid, why in report.failed.items():
        _stderr.print(f"{cid}: {why}", markup=False)
    if not report.ok:
        sys.exit(EXIT_FAILURE)


@store_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_app
def store_export(app: App, directory: Path) -> None:
    """Copy every object to DIRECTORY, one file per CID (ready for `ipfs add`)."""
    from .storage import export_objects

    _transfer(export_objects, _local(app), directory, "Exported")


@store_group.command("push")
@click.argument("target")
@pass_app
def store_push(app: App, target: str) -> None:
    """Add every object to TARGET (kubo:<url> or pinning:<url>)."""
    from .storage import open_store, push_objects

    _transfer(push_objects, _local(app), open_store(target), "Pushed")


# --------------------------------------------------------------------------------------------------
# index
# --------------------------------------------------------------------------------------------------


def _sync_with_progress(index: CredentialIndex, *, label: str, rebuild: bool = False) -> Any:
    """Sync (or rebuild) ``index`` with a progress bar on stderr, shown once there is a history
    to read (more than a few blocks behind); None when another process holds the writer lock."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_stderr, transient=True) as bar:
        task: Any = None

        def progress(synced: int, target: int) -> None:
            nonlocal task
            start = index.deployment.start_block
            if task is None:
                task = bar.add_task(label, total=max(1, target - start + 1))
            bar.update(task, completed=max(0, synced - start + 1))

        action = index.rebuild if rebuild else index.sync
        return action(progress)


@cli.group("index")
def index_group() -> None:
    """The credential index: what finds a wallet's credentials (discovery only; every verdict is
    the chain's). Kept in .microcred/index-<chainId>.sqlite, or MICROCRED_INDEX_URL."""


def _print_sync(report: Any) -> None:
    if report is None:
        click.echo("Another process is syncing this index: nothing to do here.")
        return
    click.echo(
        f"Synced to block {report.synced_block} (head {report.head}): {report.events} event(s) "
        f"in {report.chunks} chunk(s), {report.manifests_read} manifest(s) read."
    )
    for unread in report.unread_manifests:
        _stderr.print(f"Not read yet: {unread}", markup=False)


@index_group.command("sync")
@click.option("--follow", is_flag=True, help="Keep syncing as blocks come (Ctrl-C stops).")
@click.option("--interval", type=float, default=5.0, show_default=True, help="Seconds between.")
@pass_app
def index_sync(app: App, follow: bool, interval: float) -> None:
    """Bring the index up to the chain's head (minus MICROCRED_INDEX_CONFIRMATIONS)."""
    import time

    from .index import CredentialIndex

    index = CredentialIndex.open(app.chain, app.store)
    _print_sync(_sync_with_progress(index, label="Indexing credentials"))
    while follow:
        time.sleep(interval)
        report = index.sync()
        if report is not None and report.chunks:
            _print_sync(report)


@index_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def index_status(app: App, as_json: bool) -> None:
    """How far the index is and what it holds (reads it; does not sync)."""
    from .index import CredentialIndex

    index = CredentialIndex.open(app.chain, app.store)
    info = index.status()
    head = int(app.chain.w3.eth.block_number)
    data = {
        "url": index.engine.url.render_as_string(hide_password=True),
        "chainId": app.chain.chain_id,
        "syncedBlock": info.synced_block,
        "head": head,
        "minted": info.minted,
        "batches": info.batches,
        "anchoredEntries": info.anchored_entries,
        "unreadManifests": list(info.unread_manifests),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    synced = "never synced" if info.synced_block is None else f"block {info.synced_block}"
    click.echo(f"Index {data['url']}: {synced} of {head}.")
    click.echo(
        f"{info.minted} minted, {info.batches} anchored batch(es) with "
        f"{info.anchored_entries} entries."
    )
    for unread in info.unread_manifests:
        _stderr.print(f"Not read yet: {unread}", markup=False)


@index_group.command("rebuild")
@pass_app
def index_rebuild(app: App) -> None:
    """Forget the index of this deployment and read the chain again from its start block."""
    from .index import CredentialIndex

    index = CredentialIndex.open(app.chain, app.store)
    _print_sync(_sync_with_progress(index, label="Rebuilding the index", rebuild=True))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``microcred`` command."""
    cli.main(args=argv, prog_name="microcred")


if __name__ == "__main__":  # pragma: no cover
    main()
