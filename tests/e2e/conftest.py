"""End-to-end harness: a real chain, the real app, a real browser, a scripted wallet.

    anvil (free port) -> contracts deployed with web3 -> deployment file
    -> `streamlit run <app>` (free port, configured like the CLI) -> headless Chromium (Playwright)
    whose pages carry a test EIP-1193 wallet (fake_wallet.js) that forwards to anvil.

Everything expensive is session-scoped; each test gets fresh browser contexts. See README.md.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_harness import TIMEOUT_MS, FakeWallet
from web3 import Web3

from microcred.deployment import ContractDeployment, Deployment

ROOT = Path(__file__).resolve().parents[2]
APPS = Path(__file__).resolve().parent / "apps"
# Debian's chromium; MICROCRED_E2E_CHROMIUM points elsewhere (another distribution's path).
CHROMIUM = Path(os.environ.get("MICROCRED_E2E_CHROMIUM", "/usr/bin/chromium"))
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
STREAMLIT = Path(sys.executable).parent / "streamlit"
BUILD = ROOT / ".build" / "__local__.json"
FAKE_WALLET_JS = (Path(__file__).resolve().parent / "fake_wallet.js").read_text(encoding="utf-8")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"true", "1"}


def _unavailable(reason: str) -> None:
    """Skip locally with the fix in the message; in CI a missing piece is a failure, so the
    browser tests can never be skipped silently there."""
    if _in_ci():
        pytest.fail(f"{reason} (CI must run the browser tests)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(command: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a server with its output in a file (a pipe nobody reads would fill up and block it)."""
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **kwargs)


def _wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    process: subprocess.Popen[bytes],
    log: Path,
    timeout: float = 30.0,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{what} exited with code {process.returncode} (log {log}):\n{out}")
        try:
            if check():
                return
        except OSError:
            pass
        # The pause between two checks is itself a wait on a condition: the process ending.
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.1)
    raise TimeoutError(f"{what} did not answer within {timeout:.0f} s (log {log})")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the chain -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anvil:
    rpc_url: str
    w3: Web3
    accounts: tuple[str, ...]  # anvil's unlocked default accounts; accounts[0] is the admin

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)


@dataclass(frozen=True)
class Deployed:
    """The microcred contracts on the test chain, and the file that tells the app where."""

    deployment: Deployment
    path: Path
    registry: Any  # web3 contract objects, for arranging state and checking results
    credential: Any


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anvil]:
    if not ANVIL.exists():
        _unavailable(f"anvil is missing at {ANVIL}: run `npm ci` first")
    port = _free_port()
    log = tmp_path_factory.mktemp("logs") / "anvil.log"
    process = _start([str(ANVIL), "--port", str(port), "--host", "127.0.0.1", "--quiet"], log)
    rpc_url = f"http://127.0.0.1:{port}"
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
    try:
        _wait_until(w3.is_connected, what="anvil", process=process, log=log)
        yield Anvil(rpc_url=rpc_url, w3=w3, accounts=tuple(w3.eth.accounts))
    finally:
        _stop(process)


def _deploy(w3: Web3, sender: str, artifact: dict[str, Any], *args: Any) -> tuple[Any, Any]:
    factory = w3.eth.contract(
        abi=artifact["abi"], bytecode=artifact["deploymentBytecode"]["bytecode"]
    )
    tx_hash = factory.constructor(*args).transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    return contract, receipt


@pytest.fixture(scope="session")
def deployed(anvil: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    if not BUILD.exists():
        _unavailable(f"no compiled contracts at {BUILD}: run `make compile` first")
    types = json.loads(BUILD.read_text())["contractTypes"]
    admin = anvil.accounts[0]
    registry, registry_receipt = _deploy(anvil.w3, admin, types["IssuerRegistry"], admin)
    credential, credential_receipt = _deploy(
        anvil.w3, admin, types["Credential"], registry.address, "microcred", "CRED"
    )
    deployment = Deployment(
        chain_id=anvil.chain_id,
        registry=ContractDeployment(
            address=registry.address,
            block=registry_receipt.blockNumber,
            tx=registry_receipt.transactionHash.to_0x_hex(),
        ),
        credential=ContractDeployment(
            address=credential.address,
            block=credential_receipt.blockNumber,
            tx=credential_receipt.transactionHash.to_0x_hex(),
        ),
    )
    path = tmp_path_factory.mktemp("deployments") / f"{deployment.chain_id}.json"
    deployment.save(path)
    return Deployed(deployment=deployment, path=path, registry=registry, credential=credential)


# --- the app -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's LocalStore folder (``MICROCRED_STORE=local:<it>``), for arranging documents."""
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="session")
def serve_app(
    anvil: Anvil, deployed: Deployed, store_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[Path], str]]:
    """``serve_app(path) -> base URL``: run a Streamlit script against the test chain, once per
    session per script (the server is shared; each browser context is its own session)."""
    servers: dict[Path, tuple[str, subprocess.Popen[bytes]]] = {}
    store = store_dir

    def serve(app: Path) -> str:
        app = Path(app).resolve()
        if app in servers:
            return servers[app][0]
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            # The address sign-in messages name: the one the browser opens.
            "MICROCRED_PUBLIC_URL": url,
            "MICROCRED_RPC_URL": anvil.rpc_url,
            "MICROCRED_DEPLOYMENT": str(deployed.path),
            "MICROCRED_STORE": f"local:{store}",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        }
        log = tmp_path_factory.mktemp("logs") / f"streamlit-{app.stem}.log"
        process = _start(
            [
                str(STREAMLIT),
                "run",
                str(app),
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
                "--server.runOnSave",
                "false",
                "--global.developmentMode",
                "false",
                "--client.toolbarMode",
                "minimal",  # no "Deploy" button in screenshots
            ],
            log,
            cwd=ROOT,
            env=env,
        )

        def healthy() -> bool:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                return bool(response.status == 200)

        try:
            _wait_until(healthy, what=f"streamlit run {app.name}", process=process, log=log)
        except BaseException:
            _stop(process)
            raise
        servers[app] = (url, process)
        return url

    try:
        yield serve
    finally:
        for _, process in servers.values():
            _stop(process)


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(
            f"no browser at {CHROMIUM}: the end-to-end tests need Debian's chromium "
            "(`sudo apt-get install -y chromium`)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed: `pip install -e '.[dev]'`")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


FAILURES = Path(os.environ.get("E2E_ARTIFACTS", "/tmp/microcred-e2e"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def open_page(
    browser: Any, anvil: Anvil, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """``open_page(url, wallets=[FakeWallet(...)]) -> playwright Page`` in a fresh browser context
    (a fresh Streamlit session) with the fake wallet(s) injected. With no ``wallets``: one test
    wallet on anvil's account 0 (the registry admin). ``wallets=[]``: a browser without a wallet.

    Uncaught page errors fail the test, so a broken bridge cannot pass quietly. A failed test leaves
    screenshots of its pages in $E2E_ARTIFACTS (default /tmp/microcred-e2e)."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(url: str, *, wallets: list[FakeWallet] | None = None) -> Any:
        if wallets is None:
            wallets = [FakeWallet(account=anvil.accounts[0])]
        config = [
            {
                "uuid": f"00000000-0000-4000-8000-{index:012d}",
                "name": wallet.name,
                "rdns": wallet.rdns,
                "account": wallet.account,
                "rpcUrl": anvil.rpc_url,
                "connected": wallet.connected,
                "knowsChain": wallet.knows_chain,
                "signsAs": wallet.signs_as,
            }
            for index, wallet in enumerate(wallets)
        ]
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        if config:
            context.add_init_script(
                script=FAKE_WALLET_JS.replace("__WALLETS__", json.dumps(config))
            )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(url)
        page.get_by_test_id("stApp").wait_for()
        return page

    yield open_
    if request.node.stash.get(_CALL_FAILED, False):
        # What the page looked like when the test failed: the first thing to look at.
        FAILURES.mkdir(parents=True, exist_ok=True)
        for index, context in enumerate(contexts):
            for number, page in enumerate(context.pages):
                shot = FAILURES / f"{request.node.name}-{index}-{number}.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the failed page: {shot}")
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def probe_url(serve_app: Callable[[Path], str]) -> str:
    return serve_app(APPS / "wallet_probe.py")


# --- the reference verifier ----------------------------------------------------------------------


def _vc_suite() -> Any:
    """tests/vc/conftest.py as a module: its ``npm ci`` of Digital Bazaar's reference
    implementation (``_install``) is the one this suite uses too."""
    spec = importlib.util.spec_from_file_location(
        "microcred_vc_conftest", ROOT / "tests" / "vc" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def reference_verify() -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """``reference_verify(credentials) -> [{"verified", "errors", "statusChecked"}, ...]``:
    Digital Bazaar's @digitalbazaar/vc with eddsa-rdfc-2022 (tests/ob3/verify_many.mjs, one Node
    process for the list), installed as tests/vc installs it."""
    vc = _vc_suite()
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("Node.js 20 and npm are needed for the reference verifier")
    try:
        vc._install()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        _unavailable(f"npm ci in tests/ob3 failed: {error}")

    def verify(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
        completed = subprocess.run(
            ["node", str(vc.OB3_DIR / "verify_many.mjs")],
            input=json.dumps(credentials),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        results: list[dict[str, Any]] = json.loads(completed.stdout)
        return results

    return verify
