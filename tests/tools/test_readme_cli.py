"""The README's `microcred` command section runs as written against a fresh demo: its bash blocks,
in order, in one shell with `set -euo pipefail`, from a folder laid out like the project's (a
`.venv` link), with only MICROCRED_RPC_URL, MICROCRED_DEPLOYMENT and MICROCRED_STORE pointing at
the test's demo instead of the default ports and folders."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _demo import ROOT, Demo
from web3 import Web3

from microcred.chain import Chain
from microcred.deployment import Deployment
from microcred.storage import LocalStore
from microcred.verification import verify_wallet

SECTION = re.compile(r"^## The `microcred` command\n(.*?)^## ", re.S | re.M)
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)


def readme_cli_blocks() -> list[str]:
    section = SECTION.search((ROOT / "README.md").read_text())
    assert section, "the README lost its `microcred` command section"
    return BLOCK.findall(section.group(1))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    d = Demo(tmp_path)
    yield d
    d.run("stop")
    for process in d.launched:
        if process.poll() is None:
            process.kill()


def test_the_readme_cli_section_runs_as_written_against_a_fresh_demo(demo: Demo, tmp_path):
    blocks = readme_cli_blocks()
    assert len(blocks) == 2 and all("microcred " in b for b in blocks)
    _, log = demo.start()
    demo.serving(log)

    work = tmp_path / "project"
    work.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    env = {
        **demo.env,
        "MICROCRED_RPC_URL": f"http://127.0.0.1:{demo.chain_port}",
        "MICROCRED_STORE": f"local:{demo.dir / 'ipfs'}",
    }
    env.pop("MICROCRED_PRIVATE_KEY", None)
    script = "set -euo pipefail\n" + "\n".join(blocks)
    done = subprocess.run(
        ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert "Acme Academy" in done.stdout  # issuer list
    assert (work / "ipfs-export").is_dir() and any((work / "ipfs-export").iterdir())

    # What the blocks did is on the chain: the cohort learner claimed, Acme's credential revoked.
    deployment = Deployment.load(Path(demo.env["MICROCRED_DEPLOYMENT"]))
    chain = Chain.connect(Web3(Web3.HTTPProvider(env["MICROCRED_RPC_URL"])), deployment)
    store = LocalStore(demo.dir / "ipfs")
    learner = verify_wallet(chain, store, "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc")
    assert "revoked" in [c.status for c in learner.credentials]
    cohort = verify_wallet(chain, store, "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")
    assert [c.status for c in cohort.credentials] in (["valid"], ["revoked"])
