"""The CLI's signing key: derived from the signer's account, registered on chain by the first
issue, shown by `key show`, revoked by `key revoke`; against anvil, as a staff member runs it."""

from __future__ import annotations

import json

from _cli_support import last_line
from eth_account import Account


def _new_institution(net, run, name):
    key = Account.create()
    net.rpc("anvil_setBalance", key.address, hex(10**20))
    run("issuer", "register", key.address, "--name", name, key=net.keys[0])
    template = last_line(
        run(
            "template", "create", "--name", f"{name} course", "--description", "A course.",
            "--criteria", "Passed the exam.", key=key,
        )
    )  # fmt: skip
    return key, template


def test_the_first_issue_registers_the_key_that_signs_and_key_show_names_it(net, run):
    key, template = _new_institution(net, run, "Signing School")
    before = json.loads(run("key", "show", "--json", key=key).stdout)
    assert before["registered"] is False and before["did"].startswith("did:key:z6Mk")

    token = last_line(
        run("issue", "--template", template, "--to", Account.create().address, key=key)
    )
    after = json.loads(run("key", "show", "--json", key=key).stdout)
    assert after["registered"] is True and after["did"] == before["did"]
    document = json.loads(run("show", token, "--raw").stdout)
    assert document["issuer"]["id"] == after["did"]  # what Open Badges verifiers resolve
    assert "nothing to do" in run("key", "register", key=key).stdout

    report = json.loads(run("verify", token, "--json").stdout)
    checks = {c["name"]: c for c in report["credentials"][0]["checks"]}
    assert checks["proof_valid"]["ok"] and checks["signing_key_belongs_to_issuer"]["ok"]


def test_a_revoked_key_stops_issuing_until_a_new_generation_and_keeps_the_past_valid(net, run):
    key, template = _new_institution(net, run, "Rotating School")
    earlier = last_line(
        run("issue", "--template", template, "--to", Account.create().address, key=key)
    )
    did = json.loads(run("key", "show", "--json", key=key).stdout)["did"]
    # The revocation a second later (anvil mines several blocks per second: a revocation in the
    # issuing second counts as before it, the cautious reading).
    net.rpc("evm_increaseTime", 2)
    net.rpc("evm_mine")
    run("key", "revoke", did, "--reason", "laptop stolen", key=key)

    refused = run(
        "issue", "--template", template, "--to", Account.create().address, key=key, ok=False
    )
    assert refused.exit_code == 2 and "MICROCRED_KEY_GENERATION=2" in refused.stderr
    assert run("verify", earlier).exit_code == 0  # signed before the revocation: still valid

    later = last_line(
        run(
            "issue", "--template", template, "--to", Account.create().address, key=key,
            MICROCRED_KEY_GENERATION="2",
        )
    )  # fmt: skip
    assert run("verify", later).exit_code == 0
    new_did = json.loads(run("show", later, "--raw").stdout)["issuer"]["id"]
    assert new_did != did


def test_the_registrar_revokes_an_institutions_key_by_naming_the_institution(net, run):
    """A leaked key of an institution the registrar acts for: `--issuer` names whose record of
    the key it is (records are per institution)."""
    key, _ = _new_institution(net, run, "Leaking School")
    run("key", "register", key=key)
    shown = json.loads(run("key", "show", "--json", key=key).stdout)
    assert shown["revokedAt"] is None
    issuer = str(shown["issuerId"])
    result = run(
        "key", "revoke", shown["did"], "--reason", "leaked", "--issuer", issuer, key=net.keys[0]
    )
    assert f"Revoked issuer {issuer}'s key" in result.stdout
    assert json.loads(run("key", "show", "--json", key=key).stdout)["revokedAt"] is not None


def test_key_revoke_names_a_key_that_is_not_one(net, run, fresh_issuer):
    result = run(
        "key", "revoke", "did:web:example.org", "--reason", "x", key=fresh_issuer.key, ok=False
    )
    assert result.exit_code == 2 and "neither a did:key" in result.stderr


def test_the_cli_prints_a_did_key_as_text_not_as_an_emoji():
    """rich reads ":key:" as an emoji code: a check's detail naming a did:key came out as
    "did\N{KEY}z6Mk..." in verify's table."""
    from microcred.cli import _stderr, _stdout

    for console in (_stdout, _stderr):
        with console.capture() as captured:
            console.print("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd")
        assert captured.get().startswith("did:key:z6Mk")


def test_a_cli_issued_credential_passes_the_reference_verifier_and_a_changed_one_fails(
    net, run, fresh_issuer
):
    """What `microcred show --raw` writes (the file a learner imports into a wallet), checked by
    Digital Bazaar's @digitalbazaar/vc (tests/ob3, installed as tests/vc installs it)."""
    import importlib.util
    import shutil
    import subprocess
    from pathlib import Path

    import pytest

    if shutil.which("node") is None:
        pytest.skip("Node.js is needed for the reference verifier")
    conftest = Path(__file__).resolve().parents[1] / "vc" / "conftest.py"
    spec = importlib.util.spec_from_file_location("microcred_vc_conftest_cli", conftest)
    assert spec is not None and spec.loader is not None
    vc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vc)
    vc._install()

    token = last_line(
        run("issue", "--template", fresh_issuer.template, "--to", Account.create().address,
            "--evidence", "https://example.org/cli", key=fresh_issuer.key)
    )  # fmt: skip
    credential = json.loads(run("show", token, "--raw").stdout)
    changed = json.loads(
        json.dumps(credential).replace("https://example.org/cli", "https://example.org/clj")
    )
    now = json.loads(run("verify", token, "--json").stdout)["credentials"][0]["issuedAt"]
    completed = subprocess.run(
        ["node", str(vc.OB3_DIR / "verify_many.mjs"), now],
        input=json.dumps([credential, changed]),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    honest, tampered = json.loads(completed.stdout)
    assert honest["verified"] is True, honest
    assert tampered["verified"] is False and "Invalid signature." in " ".join(tampered["errors"])
