"""`make demo`: a local chain that keeps its state, the contracts, demo data, and the web app.

    python tools/demo.py          # start (or continue) the demo; Ctrl-C stops it
    python tools/demo.py stop     # stop a demo left running (closed terminal, killed make, ...)

Steps, each skipped when already done (so running it again continues where it stopped):
1. start anvil on 127.0.0.1:8545 with its state in .microcred/chain/state.json (or reuse a chain
   already answering there with chain id 31337);
2. deploy the contracts (`ape run deploy`) unless deployments/31337.json points at live code;
3. seed a demo institution, templates and credentials (one revoked, one expired, an anchored batch);
4. serve the app on http://localhost:8501 (or the next free port; `MICROCRED_PORT` names one)
   until Ctrl-C, SIGTERM or SIGHUP, which stop everything cleanly (anvil writes its state first).

A demo that is already running is found through .microcred/demo.json (the processes it started):
a second `make demo` says where it runs and exits instead of starting a second one.
Settings (for tests and for people who already use the default ports): MICROCRED_PORT,
MICROCRED_CHAIN_PORT, MICROCRED_DEMO_DIR (state folder) and MICROCRED_DEPLOYMENT (the record).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
CHAIN_ID = 31337
DEFAULT_APP_PORT = 8501
#: Ports tried after the default one when it is taken by something that is not our demo.
SPARE_APP_PORTS = range(8502, 8521)

STATE_DIR = Path(os.environ.get("MICROCRED_DEMO_DIR") or ROOT / ".microcred").resolve()
CHAIN_STATE = STATE_DIR / "chain" / "state.json"
STORE_DIR = STATE_DIR / "ipfs"
RUNNING = STATE_DIR / "demo.json"
CHAIN_PORT = int(os.environ.get("MICROCRED_CHAIN_PORT") or 8545)
RPC_URL = f"http://127.0.0.1:{CHAIN_PORT}"
DEPLOYMENT = Path(
    os.environ.get("MICROCRED_DEPLOYMENT") or ROOT / "deployments" / f"{CHAIN_ID}.json"
).resolve()

# anvil's well-known default accounts (mnemonic "test test ... junk"): for a local chain only.
DEMO_REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
DEMO_SIGNER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
# The first demo learner (anvil's account 5), whose wallet shows every kind of verdict.
DEMO_LEARNER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"


class Stop(Exception):
    """SIGTERM or SIGHUP: stop as cleanly as Ctrl-C does."""


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


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------------------- the running demo


def running_demo() -> dict | None:
    """The record of a demo whose app is still alive, or None (a stale record is removed)."""
    try:
        record = json.loads(RUNNING.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if isinstance(record, dict) and alive(record.get("app_pid")):
        return record
    if isinstance(record, dict) and alive(record.get("chain_pid")):
        # The app died (or was killed) but the chain it started lives on: stop it cleanly.
        stop_pid(record["chain_pid"], "the chain left by an earlier demo")
    RUNNING.unlink(missing_ok=True)
    return None


def remember(app: subprocess.Popen, chain: subprocess.Popen | None, port: int) -> None:
    record = {
        "app_pid": app.pid,
        "chain_pid": chain.pid if chain else None,
        "port": port,
        "launcher_pid": os.getpid(),
    }
    RUNNING.write_text(json.dumps(record))


def stop_pid(pid: int, name: str) -> None:
    """SIGINT (anvil writes its state on the way out), then SIGKILL after 15 s."""
    try:
        os.killpg(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        try:  # our own child: reap it, or it stays a zombie that looks alive
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    say(f"{name} did not stop in 15 s; killing it")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def stop_running() -> int:
    try:
        record = json.loads(RUNNING.read_text())
    except (FileNotFoundError, ValueError):
        say(f"no demo is running (nothing recorded in {RUNNING})")
        return 0
    for key, name in (("launcher_pid", "the demo"), ("app_pid", "the app"), ("chain_pid", "anvil")):
        pid = record.get(key) if isinstance(record, dict) else None
        if pid and pid != os.getpid() and alive(pid):
            if key == "launcher_pid":
                # The launcher stops its own children when told to; give it the chance.
                os.kill(pid, signal.SIGTERM)
                for _ in range(150):
                    if not alive(pid):
                        break
                    time.sleep(0.1)
            else:
                stop_pid(pid, name)
    RUNNING.unlink(missing_ok=True)
    say("stopped; `make demo` continues from here")
    return 0


# ---------------------------------------------------------------------------- the steps


def start_chain() -> subprocess.Popen | None:
    running = chain_id_or_none()
    if running == CHAIN_ID:
        say(f"reusing the chain already running at {RPC_URL}")
        return None
    if running is not None:
        sys.exit(
            f"[demo] {RPC_URL} answers with chain id {running}, not {CHAIN_ID}: stop that node, "
            "or run the demo on another port with MICROCRED_CHAIN_PORT=8546 make demo."
        )
    if not port_free(CHAIN_PORT):
        sys.exit(
            f"[demo] port {CHAIN_PORT} is taken by something that is not a chain: free it, or run "
            "the demo on another port with MICROCRED_CHAIN_PORT=8546 make demo."
        )
    CHAIN_STATE.parent.mkdir(parents=True, exist_ok=True)
    resumed = "resuming" if CHAIN_STATE.exists() else "starting"
    say(f"{resumed} the local chain at {RPC_URL} (state in {CHAIN_STATE})")
    process = subprocess.Popen(
        [
            str(ANVIL),
            "--host",
            "127.0.0.1",
            "--port",
            str(CHAIN_PORT),
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
            sys.exit(f"[demo] anvil exited at start: is port {CHAIN_PORT} taken?")
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
        say(f"contracts already deployed ({DEPLOYMENT})")
        return
    say("deploying the contracts")
    subprocess.run(
        [str(BIN / "ape"), "run", "deploy", "--network", RPC_URL, "--out", str(DEPLOYMENT)],
        cwd=ROOT,
        check=True,
    )


def seed(port: int) -> None:
    env = demo_env(port) | {"MICROCRED_PRIVATE_KEY": DEMO_REGISTRAR_KEY}
    subprocess.run(
        [str(BIN / "python"), str(ROOT / "tools" / "seed_demo.py")],
        cwd=ROOT,
        env=env,
        check=True,
    )


def demo_env(port: int) -> dict[str, str]:
    return os.environ | {
        "MICROCRED_RPC_URL": RPC_URL,
        "MICROCRED_DEPLOYMENT": str(DEPLOYMENT),
        "MICROCRED_STORE": f"local:{STORE_DIR}",
        "MICROCRED_DEMO_SIGNER_KEY": DEMO_SIGNER_KEY,
        "MICROCRED_PUBLIC_URL": f"http://localhost:{port}",
        "MICROCRED_DEMO_DIR": str(STATE_DIR),
    }


def app_port() -> int:
    """MICROCRED_PORT if set (and free), else 8501 or the next free port."""
    named = os.environ.get("MICROCRED_PORT")
    if named:
        if not port_free(int(named)):
            sys.exit(f"[demo] port {named} (MICROCRED_PORT) is taken: choose another one.")
        return int(named)
    for port in (DEFAULT_APP_PORT, *SPARE_APP_PORTS):
        if port_free(port):
            if port != DEFAULT_APP_PORT:
                say(f"port {DEFAULT_APP_PORT} is taken by another program: using {port}")
            return port
    sys.exit(
        f"[demo] ports {DEFAULT_APP_PORT}-{SPARE_APP_PORTS[-1]} are all taken: name a free one "
        "with MICROCRED_PORT=9000 make demo."
    )


def serve(port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "streamlit"),
            "run",
            str(ROOT / "frontend" / "app.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=demo_env(port),
        start_new_session=True,
    )


def print_links(port: int) -> None:
    """Printed at every start, so a resumed demo shows them too."""
    base = f"http://localhost:{port}"
    credential = first_valid_credential()
    lines = [
        f"  The app:            {base}",
        f"  A learner's wallet: {base}/verify?address={DEMO_LEARNER}",
    ]
    if credential:
        lines.append(f"  One credential:     {base}/verify?credential={credential}")
    print("\n" + "\n".join(lines), flush=True)


def first_valid_credential() -> str | None:
    """The first demo learner's first credential id (from the chain), for a link to one."""
    try:
        data = json.loads(DEPLOYMENT.read_text())
        topic = "0x" + "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
        to = "0x" + DEMO_LEARNER[2:].lower().rjust(64, "0")
        block = min(data[name]["block"] for name in ("IssuerRegistry", "Credential"))
        logs = rpc(
            "eth_getLogs",
            [
                {
                    "address": data["Credential"]["address"],
                    "fromBlock": hex(block),
                    "toBlock": "latest",
                    "topics": [topic, None, to],
                }
            ],
        )
    except (OSError, ValueError, KeyError, TypeError, urllib.error.URLError):
        return None
    return logs[0]["topics"][3] if logs else None


def print_wallet_help() -> None:
    print(
        f"""
  MetaMask: add a network with RPC URL {RPC_URL} and chain id {CHAIN_ID} (currency ETH), then
  import a demo key (public anvil test keys: for this local chain only, never on a real network):
    Demo University's staff (issues, revokes):  {DEMO_SIGNER_KEY}
    the registrar (accredits institutions):     {DEMO_REGISTRAR_KEY}
  Or keep "Use the demo signer" on, on the Issue page: it signs with the staff key, no MetaMask.
""",
        flush=True,
    )


def on_signal(signum: int, _frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def main() -> int:
    if sys.argv[1:] == ["stop"]:
        return stop_running()
    if sys.argv[1:]:
        sys.exit("usage: python tools/demo.py [stop]")
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    already = running_demo()
    if already:
        say(
            f"a demo is already running (app pid {already['app_pid']}) at "
            f"http://localhost:{already['port']}: open it, or stop it with `make demo-stop`."
        )
        print_links(already["port"])
        return 0
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    chain_process = None
    app = None
    try:
        port = app_port()  # before anything starts: a taken port stops nothing half-way
        chain_process = start_chain()
        deploy()
        seed(port)
        print_wallet_help()
        app = serve(port)
        remember(app, chain_process, port)
        print_links(port)
        say(f"serving the app on http://localhost:{port} (Ctrl-C stops the demo)")
        app.wait()
        say(f"the app exited (code {app.returncode})")
    except KeyboardInterrupt:
        print()
        say("stopping")
    except Stop as signal_name:
        say(f"stopping ({signal_name})")
    except subprocess.CalledProcessError as err:
        say(f"a step failed ({' '.join(map(str, err.cmd[-2:]))}, exit {err.returncode}); see above")
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        if app is not None and app.poll() is None:
            stop_pid(app.pid, "the app")
        if chain_process is not None and chain_process.poll() is None:
            stop_pid(chain_process.pid, "anvil")
        RUNNING.unlink(missing_ok=True)
    say("stopped; `make demo` continues from here")
    return 0


if __name__ == "__main__":
    sys.exit(main())
