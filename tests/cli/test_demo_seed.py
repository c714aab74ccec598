"""`make demo`'s seed (tools/seed_demo.py) on a fresh deployment: what the README promises a
visitor finds, including the anchored batch; started again, it changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _anvil import ROOT, deploy
from _lookups import anchored_batches

from microcred.chain import Chain
from microcred.storage import LocalStore
from microcred.verification import verify_wallet

SEED = ROOT / "tools" / "seed_demo.py"
LEARNER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # the first demo learner


def _seed(net, deployment_path: Path, store_dir: Path, cwd: Path) -> str:
    env = {
        **os.environ,
        "MICROCRED_RPC_URL": net.rpc_url,
        "MICROCRED_DEPLOYMENT": str(deployment_path),
        "MICROCRED_STORE": f"local:{store_dir}",
        "MICROCRED_PRIVATE_KEY": net.keys[0].key.hex(),  # the registrar (the deployer)
        "MICROCRED_DEMO_SIGNER_KEY": net.keys[1].key.hex(),
    }
    done = subprocess.run(
        [sys.executable, str(SEED)], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_demo_seed_shows_every_verdict_and_an_anchored_batch(net, tmp_path):
    deployment = deploy(net.w3, net.keys[0].address)  # fresh contracts: an empty registry
    path = tmp_path / "deployment.json"
    deployment.save(path)
    store_dir = tmp_path / "ipfs"

    out = _seed(net, path, store_dir, tmp_path)
    assert "anchored 24 credentials in one transaction" in out
    chain = Chain.connect(net.w3, deployment)
    [issuer] = chain.issuers()
    assert issuer.name == "Demo University" and len(chain.templates_of(issuer.id)) == 3

    report = verify_wallet(chain, LocalStore(store_dir), LEARNER)
    statuses = sorted(c.status for c in report.credentials)
    assert statuses == ["anchored", "valid", "valid"] and not report.warnings
    assert [p.name for p in (tmp_path / ".microcred" / "proofs").iterdir()] == [
        f"0x{anchored_batches(chain, LocalStore(store_dir))[0].root.hex()}"
    ]

    again = _seed(net, path, store_dir, tmp_path)
    assert "already there" in again
    assert len(anchored_batches(chain, LocalStore(store_dir))) == 1
