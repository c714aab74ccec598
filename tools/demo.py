"""`make demo`: a local chain that keeps its state, the contracts, demo data, and the web app.

Steps, each skipped when already done (so running it again continues where it stopped):
1. start anvil on 127.0.0.1:8545 with its state in .microcred/chain/state.json (or reuse a chain
   already answering there with chain id 31337);
2. deploy the contracts (`ape run deploy`) unless deployments/31337.json points at live code;
3. seed a demo institution, two templates and a few credentials (one revoked, one expired);
4. serve the app on http://localhost:8501 until Ctrl-C, which stops everything cleanly
   (anvil writes its state on the way out).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".microcred"
CHAIN_STATE = STATE_DIR / "chain" / "state.json"
STORE_DIR = STATE_DIR / "ipfs"
RPC_URL = "http://127.0.0.1:8545"
CHAIN_ID = 31337
APP_PORT = 8501
DEPLOYMENT = ROOT / "deployments" / f"{CHAIN_ID}.json"
BIN = ROOT / ".venv" / "bin"
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"

# anvil's well-known default accounts (mnemonic "test test ... junk"): for a local chain only.
DEMO_REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEMO_SIGNER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def rpc(method: str, params: list | None = None, *, timeout: float = 2.0):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(RPC_URL, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)["result"]


def chain_id_or_none() -> int | None:
    try:
        return int(rpc("eth_chainId"), 16)
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return None


def start_chain() -> subprocess.Popen | None:
    running = chain_id_or_none()
    if running == CHAIN_ID:
        say(f"reusing the chain already running at {RPC_URL}")
        return None
    if running is not None:
        sys.exit(
            f"[demo] {RPC_URL} answers with chain id {running}, not {CHAIN_ID}: stop that node."
        )
    CHAIN_STATE.parent.mkdir(parents=True, exist_ok=True)
    resumed = "resuming" if CHAIN_STATE.exists() else "starting"
    say(f"{resumed} the local chain (state in {CHAIN_STATE.relative_to(ROOT)})")
    process = subprocess.Popen(
        [
            str(ANVIL),
            "--host",
            "127.0.0.1",
            "--port",
            "8545",
            "--chain-id",
            str(CHAIN_ID),
            "--state",
            str(CHAIN_STATE),
            "--state-interval",
            "5",
            "--silent",
        ],
        start_new_session=True,
    )
    for _ in range(100):
        if chain_id_or_none() == CHAIN_ID:
            return process
        if process.poll() is not None:
            sys.exit("[demo] anvil exited at start: is port 8545 taken?")
        time.sleep(0.1)
    process.terminate()
    sys.exit("[demo] anvil did not answer within 10 s")


def deployed() -> bool:
    if not DEPLOYMENT.exists():
        return False
    data = json.loads(DEPLOYMENT.read_text())
    return all(
        rpc("eth_getCode", [data[name]["address"], "latest"]) not in ("0x", "0x0")
        for name in ("IssuerRegistry", "Credential")
    )


def deploy() -> None:
    if deployed():
        say(f"contracts already deployed ({DEPLOYMENT.relative_to(ROOT)})")
        return
    say("deploying the contracts")
    subprocess.run([str(BIN / "ape"), "run", "deploy", "--network", RPC_URL], cwd=ROOT, check=True)


def seed() -> None:
    env = demo_env() | {"MICROCRED_PRIVATE_KEY": DEMO_REGISTRAR_KEY}
    subprocess.run(
        [str(BIN / "python"), str(ROOT / "tools" / "seed_demo.py")], cwd=ROOT, env=env, check=True
    )


def demo_env() -> dict[str, str]:
    return os.environ | {
        "MICROCRED_RPC_URL": RPC_URL,
        "MICROCRED_DEPLOYMENT": str(DEPLOYMENT),
        "MICROCRED_STORE": f"local:{STORE_DIR}",
        "MICROCRED_DEMO_SIGNER_KEY": DEMO_SIGNER_KEY,
    }


def serve() -> subprocess.Popen:
    say(f"serving the app on http://localhost:{APP_PORT} (Ctrl-C stops the demo)")
    return subprocess.Popen(
        [
            str(BIN / "streamlit"),
            "run",
            str(ROOT / "frontend" / "app.py"),
            "--server.port",
            str(APP_PORT),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=demo_env(),
        start_new_session=True,
    )


def print_wallet_help() -> None:
    print(
        f"""
  MetaMask: add a network with RPC URL {RPC_URL} and chain id {CHAIN_ID} (currency ETH),
  then import the demo institution's signer key (a public anvil test key, local use only):
    {DEMO_SIGNER_KEY}
  Or use the "demo signer" on the Issue page, which signs with that key without MetaMask.
""",
        flush=True,
    )


def stop(process: subprocess.Popen | None, name: str) -> None:
    if process is None or process.poll() is not None:
        return
    # SIGINT lets anvil write its state before it exits.
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        say(f"{name} did not stop in 15 s; killing it")
        os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    chain_process = start_chain()
    app = None
    try:
        deploy()
        seed()
        print_wallet_help()
        app = serve()
        app.wait()
    except KeyboardInterrupt:
        print()
        say("stopping")
    except subprocess.CalledProcessError as err:
        say(f"a step failed ({' '.join(map(str, err.cmd[-2:]))}, exit {err.returncode}); see above")
        return 1
    finally:
        stop(app, "the app")
        stop(chain_process, "anvil")
    say("stopped; `make demo` continues from here")
    return 0


if __name__ == "__main__":
    sys.exit(main())
