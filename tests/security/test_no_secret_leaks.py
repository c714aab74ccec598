"""Finding 7 of issue 12: no secret in any message, log, journal or proof file.

One full run of the ``microcred`` command (register an issuer, publish a template, issue one,
issue a CSV in bulk with its journal, anchor a cohort with its proof files, verify a wallet, a
token and a proof file, show, claim, revoke), then the failures a provider and a store produce
(HTTP 429, HTTP 500, a dropped connection, a node that is down, a store node that answers 500
and quotes the token back, a store node that is down, a private key with a typo). The RPC URL
carries secrets in its user-info, path and query; the store has a token in the environment and
in the store spec; the signer is ``MICROCRED_PRIVATE_KEY``. Afterwards every secret is looked
for in stdout and stderr of every command, every log record, and every file the run wrote under
its working directory. Real anvil behind a small forwarding proxy (it answers like a rate-limited
or failing provider when told to), real embedded store; nothing mocked.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from eth_account import Account

from microcred.cli import cli
from microcred.redaction import forget_secrets

RPC_PATH_KEY = "SECRET_API_KEY_123"
RPC_QUERY_KEY = "SECRET_QUERY_KEY_456"
RPC_PASSWORD = "RPC_PASSWORD_789"
STORE_TOKEN = "STORE_TOKEN_abc123XYZ"
SPEC_TOKEN = "SPEC_TOKEN_def456UVW"
STORE_PATH_KEY = "STORE_PATH_KEY_7788"


@dataclass
class Provider:
    """A forwarding proxy in front of anvil that can behave like a provider having a bad day:
    ``mode`` is ``forward``, ``429``, ``500`` or ``drop``; the first ``allow`` requests of a
    mode are forwarded (so a command gets past its connection check and fails mid-way)."""

    upstream: str
    mode: str = "forward"
    allow: int = 0
    seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, mode: str, allow: int = 0) -> None:
        with self.lock:
            self.mode, self.allow, self.seen = mode, allow, 0

    def decide(self) -> str:
        with self.lock:
            self.seen += 1
            return "forward" if self.seen <= self.allow else self.mode


@pytest.fixture
def provider(net, serve) -> Iterator[tuple[Provider, str]]:
    state = Provider(upstream=net.rpc_url)

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            mode = state.decide()
            if mode == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if mode in ("429", "500"):
                text = b'{"jsonrpc":"2.0","error":{"code":-32005,"message":"limit"}}'
                self.send_response(int(mode))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
                return
            request = urllib.request.Request(
                state.upstream, data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as answer:
                data = answer.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    base = serve(Proxy)
    host = base.removeprefix("http://")
    url = f"http://rpcuser:{RPC_PASSWORD}@{host}/v3/{RPC_PATH_KEY}?apikey={RPC_QUERY_KEY}"
    yield state, url
    forget_secrets()


@pytest.fixture
def echoing_store_node(serve) -> str:
    """A store node that fails every call with 500 and quotes the request back: its URL and
    the Authorization header (some services do exactly that in their error bodies)."""

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            text = json.dumps(
                {"Message": f"failed {self.path} for {self.headers.get('Authorization')}"}
            ).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    return serve(Echo)


class Recorder:
    """Runs ``microcred`` in-process with an environment, keeping every output for the scan."""

    def __init__(self, env: dict[str, str | None]) -> None:
        self.env = env
        self.runner = CliRunner(mix_stderr=False)
        self.outputs: list[tuple[str, str]] = []

    def __call__(self, *args: str, ok: bool = True, **env: str | None) -> Result:
        result = self.runner.invoke(cli, list(args), env={**self.env, **env})
        self.outputs.append((" ".join(args), result.stdout + "\n" + result.stderr))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            self.outputs.append((" ".join(args), repr(result.exception)))
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"microcred {' '.join(args)} exited {result.exit_code}\n{result.stderr}"
            )
        if not ok:
            assert result.exit_code != 0, f"microcred {' '.join(args)} should have failed"
            assert result.stderr.strip(), "a failure says why on stderr"
        return result


def _secrets(*keys: Account) -> list[str]:
    found = [RPC_PATH_KEY, RPC_QUERY_KEY, RPC_PASSWORD, STORE_TOKEN, SPEC_TOKEN, STORE_PATH_KEY]
    for key in keys:
        hex_key = key.key.hex().removeprefix("0x")
        found += [hex_key, hex_key[:24], hex_key[-24:]]
    return found


def _around(text: str, secret: str) -> str:
    at = text.lower().find(secret.lower())
    return text[max(0, at - 150) : at + 40].replace("\n", " ")


def _files(root: Path) -> Iterator[Path]:
    yield from (p for p in root.rglob("*") if p.is_file())


def test_no_secret_in_any_message_log_journal_or_proof_file(
    net, provider, echoing_store_node, closed_port_url, tmp_path, monkeypatch, caplog
):
    state, rpc_url = provider
    monkeypatch.chdir(tmp_path)  # journals and proof files go to the default .microcred/
    caplog.set_level(logging.WARNING)
    registrar = net.keys[0]
    staff = Account.create()
    net.rpc("anvil_setBalance", staff.address, hex(10**21))
    learners = [Account.create().address for _ in range(3)]
    store = f"local:{tmp_path / 'ipfs'}"
    run = Recorder(
        {
            "MICROCRED_RPC_URL": rpc_url,
            "MICROCRED_DEPLOYMENT": str(net.deployment_path),
            "MICROCRED_STORE": store,
            "MICROCRED_IPFS_TOKEN": STORE_TOKEN,
            "MICROCRED_PRIVATE_KEY": "0x" + registrar.key.hex().removeprefix("0x"),
            "MICROCRED_ACCOUNT": None,
        }
    )
    as_staff = {"MICROCRED_PRIVATE_KEY": "0x" + staff.key.hex().removeprefix("0x")}

    # --- the full run -------------------------------------------------------------------------
    run("issuer", "register", staff.address, "--name", "Leak-Free Institute")
    run("issuer", "list")
    template = run(
        "template", "create", "--name", "Key hygiene", "--description", "Keeps keys secret.",
        "--criteria", "Passed the audit.", "--skill", "Security", **as_staff,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    one = run("issue", "--template", template, "--to", learners[0], **as_staff)
    token = one.stdout.strip().splitlines()[-1]
    (tmp_path / "bulk.csv").write_text(
        "address,evidence\n" + "".join(f"{a},https://example.org/e/{a}\n" for a in learners)
    )
    run("issue", "--template", template, "--csv", "bulk.csv", **as_staff)
    (tmp_path / "cohort.csv").write_text(
        "address\n" + "".join(f"{Account.create().address}\n" for _ in range(3)) + learners[1]
    )
    # learners[1] holds this template's credential already: anchored again on purpose.
    run(
        "issue", "--template", template, "--csv", "cohort.csv", "--anchor",
        "--duplicates", "issue", **as_staff,
    )  # fmt: skip
    proofs = sorted((tmp_path / ".microcred" / "proofs").rglob("*.json"))
    assert len(proofs) == 4
    run("verify", learners[1])
    run("verify", learners[1], "--json")
    run("verify", token)
    run("verify", str(proofs[0]))
    run("show", token)
    run("claim", str(proofs[0]), **as_staff)
    run("revoke", token, "--reason", "issued in error", **as_staff)

    # --- the provider fails -----------------------------------------------------------------
    # The checks on connecting take 4 requests (chain id twice, the code at both addresses):
    # failing at the 1st, the 3rd, the 5th and the 7th request reaches every place a command
    # turns a transport error into a sentence.
    for mode in ("429", "500", "drop"):
        for allow in (0, 2, 4, 6):
            state.set(mode, allow=allow)
            run("verify", learners[0], ok=False)
        for allow in (4, 6):
            state.set(mode, allow=allow)
            run("issue", "--template", template, "--to", learners[2], ok=False, **as_staff)
    state.set("forward")
    down = rpc_url.replace(rpc_url.split("@")[1].split("/")[0], closed_port_url[7:])
    run("verify", learners[0], ok=False, MICROCRED_RPC_URL=down)
    run("verify", learners[0], ok=False, MICROCRED_RPC_URL="ftp://u:" + RPC_PASSWORD + "@x/")

    # --- the store fails ----------------------------------------------------------------------
    echo = f"{echoing_store_node}/{STORE_PATH_KEY}"
    for node in (echo, f"{closed_port_url}/{STORE_PATH_KEY}"):
        spec = f"{store},kubo:{node}#{SPEC_TOKEN}"
        evidence = f"https://example.org/{node[-5:]}"
        run("issue", "--template", template, "--to", learners[2], "--evidence", evidence,
            ok=False, MICROCRED_STORE=spec, **as_staff)  # fmt: skip
    run(
        "verify",
        learners[0],
        ok=False,
        MICROCRED_STORE=f"kubo:ftp://example.org/{STORE_PATH_KEY}#x",
    )

    # --- the key has a typo -------------------------------------------------------------------
    typo = "0x" + staff.key.hex().removeprefix("0x")[:-2] + "zz"
    run("revoke", token, "--reason", "x", ok=False, MICROCRED_PRIVATE_KEY=typo)

    # --- the scan -----------------------------------------------------------------------------
    secrets = _secrets(registrar, staff)
    leaks = [
        (f"{where}: ...{_around(text, secret)}...", secret)
        for where, text in run.outputs
        for secret in secrets
        if secret.lower() in text.lower()
    ]
    leaks += [
        (f"log: {record.getMessage()[:80]}", secret)
        for record in caplog.records
        for secret in secrets
        if secret.lower() in record.getMessage().lower()
    ]
    written = list(_files(tmp_path))
    assert any("journal" in str(p) for p in written) and proofs[0] in written
    for path in written:
        text = path.read_bytes().decode("utf-8", "replace").lower()
        leaks += [(str(path), secret) for secret in secrets if secret.lower() in text]
    assert leaks == [], "\n".join(f"{secret!r} in {where}" for where, secret in leaks)
    failures = "\n".join(text for where, text in run.outputs if "Error" in text)
    assert "127.0.0.1" in failures  # where it failed is still said: the host stays
