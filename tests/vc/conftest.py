"""Fixtures for the Verifiable Credentials tests: Digital Bazaar's reference implementation, a
sample Open Badges 3.0 credential of our own, and the data read from shared/ob3/.

The reference implementation lives in tests/ob3/ (its own package.json and lock), installed with
``npm ci`` on first use. Under CI (``CI=true``) a missing Node.js or a failed install fails the
tests instead of skipping them: a green run must mean the reference verifier ran.

The official schema, the spec's complete example and the W3C test vectors come only from
shared/ob3/ (``microcred.vc.shared_data``): a test that needs one skips, naming it, until it is
there (or ``MICROCRED_SHARED_DIR`` points at a folder holding ``ob3/``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from microcred.vc.contexts import OB_CONTEXT, VC_CONTEXT
from microcred.vc.shared_data import SHARED_DIR_VARIABLE, SharedFileMissing, shared_file

OB3_DIR = Path(__file__).resolve().parents[1] / "ob3"
STAMP = OB3_DIR / "node_modules" / ".microcred-lock-sha256"

Json = dict[str, Any]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the reference verifier must run)")
    pytest.skip(reason)


def _install() -> None:
    lock = hashlib.sha256((OB3_DIR / "package-lock.json").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == lock:
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=OB3_DIR,
        check=True,
        timeout=600,
    )
    STAMP.write_text(lock)


@pytest.fixture(scope="session")
def ob3_node() -> Path:
    """tests/ob3 with its node_modules installed (``npm ci`` when the lock changed)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _unavailable("Node.js 20 and npm are needed for the reference verifier")
    try:
        _install()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        _unavailable(f"npm ci in tests/ob3 failed: {error}")
    return OB3_DIR


def _run(script: Path, document: Json, *args: str) -> Json:
    completed = subprocess.run(
        ["node", str(script), *args],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: Json = json.loads(completed.stdout)
    return result


@pytest.fixture(scope="session")
def reference_verify(ob3_node: Path) -> Callable[[Json], Json]:
    """Verify a credential with @digitalbazaar/vc: ``{"verified", "errors", "statusChecked"}``."""
    return lambda credential: _run(ob3_node / "verify.mjs", credential)


@pytest.fixture(scope="session")
def reference_sign(ob3_node: Path) -> Callable[[Json, bytes], Json]:
    """Sign a credential with @digitalbazaar/vc as the did:key of a 32-byte seed."""
    return lambda credential, seed: _run(ob3_node / "sign.mjs", credential, seed.hex())


def shared_or_skip(name: str) -> Path:
    """``name`` (e.g. ``"ob3/full_ex.json"``) from the shared data folders, or a skip naming it."""
    try:
        return shared_file(name, what="Test data")
    except SharedFileMissing:
        pytest.skip(
            f"needs shared/{name}, which is not in shared/ yet: it is requested for the steering "
            f"repository's shared/ob3/ (origin and sha256 in src/microcred/vc/VENDORED.md); set "
            f"{SHARED_DIR_VARIABLE} to a folder holding it to run this test"
        )


@pytest.fixture
def shared_data() -> Callable[[str], Path]:
    """:func:`shared_or_skip`, for tests that need other files of shared/ob3/."""
    return shared_or_skip


@pytest.fixture
def official_schema() -> Path:
    """1EdTech's OB 3.0 AchievementCredential JSON Schema, from shared/ob3/."""
    return shared_or_skip("ob3/ob_v3p0_achievementcredential_schema.json")


@pytest.fixture
def full_example() -> Json:
    """The OB 3.0 spec's complete example credential (with its own proof, not one we can check),
    from shared/ob3/."""
    example: Json = json.loads(shared_or_skip("ob3/full_ex.json").read_text())
    return example


@pytest.fixture
def ob3_credential() -> Json:
    """An unsigned Open Badges 3.0 AchievementCredential of our own, with every part a tampering
    test changes: issuer profile, achievement with criteria and alignment, image, evidence."""
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": "urn:uuid:6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Smart Contract Security Fundamentals",
        "description": "Awarded for completing the smart contract security course.",
        "image": {
            "id": "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
            "type": "Image",
        },
        "issuer": {
            "id": "https://microcred.example/issuers/1",
            "type": ["Profile"],
            "name": "Example Institute of Technology",
        },
        "validFrom": "2026-01-15T09:00:00Z",
        "credentialSubject": {
            "id": "did:pkh:eip155:31337:0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://microcred.example/achievements/security-fundamentals",
                "type": ["Achievement"],
                "name": "Smart Contract Security Fundamentals",
                "description": "Finds and fixes the common vulnerabilities of Solidity contracts.",
                "criteria": {
                    "narrative": "Completed the five modules and passed the final audit exercise."
                },
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "Secure software development",
                        "targetUrl": "https://microcred.example/frameworks/skills#secure-dev",
                        "targetFramework": "Example skills framework",
                    }
                ],
            },
        },
        "evidence": [
            {
                "id": "https://microcred.example/evidence/audit-report-42",
                "type": ["Evidence"],
                "name": "Final audit exercise report",
            }
        ],
    }
