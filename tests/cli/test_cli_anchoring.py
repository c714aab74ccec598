"""`microcred issue --csv --anchor`, `microcred claim` and `microcred verify PROOF_FILE` against
anvil (issue 6)."""

from __future__ import annotations

import json
import re
import shutil

from _cli_support import chain_date, last_line
from eth_account import Account

ROOT = re.compile(r"^0x[0-9a-f]{64}$")


def _csv(tmp_path, rows, header="address"):
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _anchor(run, setup, tmp_path, rows, header="address"):
    proofs = tmp_path / "proofs"
    result = run(
        "issue", "--template", setup.template, "--csv", str(_csv(tmp_path, rows, header)),
        "--anchor", "--proofs-dir", str(proofs), "--journal-dir", str(tmp_path / "journal"),
        key=setup.key,
    )  # fmt: skip
    return result, proofs


def test_anchor_prints_the_root_last_and_where_the_proofs_are(net, run, fresh_issuer, tmp_path):
    wallets = [Account.create().address for _ in range(3)]
    result, proofs = _anchor(run, fresh_issuer, tmp_path, wallets)
    root = last_line(result)
    assert ROOT.match(root)
    assert "3 credential(s) anchored" in result.stdout
    assert f"Proofs: {proofs / root}" in result.stdout
    files = sorted((proofs / root).glob("0x*.json"))
    assert len(files) == 3
    assert {json.loads(f.read_text())["recipient"] for f in files} == set(wallets)
    # The same command again sends nothing and prints the same root.
    again = run(
        "issue", "--template", fresh_issuer.template, "--csv", str(tmp_path / "cohort.csv"),
        "--anchor", "--proofs-dir", str(proofs), "--journal-dir", str(tmp_path / "journal"),
        key=fresh_issuer.key,
    )  # fmt: skip
    assert last_line(again) == root and "by an earlier run" in again.stdout


def test_verify_a_proof_file_shows_anchored_then_claim_makes_it_valid(
    net, run, fresh_issuer, tmp_path
):
    learner = Account.create().address
    expires = chain_date(net, 365)
    result, proofs = _anchor(
        run, fresh_issuer, tmp_path, [f"{learner},{expires}"], header="address,expires"
    )
    root = last_line(result)
    [proof_file] = (proofs / root).glob("0x*.json")
    token = proof_file.stem

    verified = run("verify", str(proof_file), "--json")
    [entry] = json.loads(verified.stdout)["credentials"]
    assert entry["status"] == "anchored" and entry["tokenId"] == token
    assert entry["holder"] is None and entry["expiresAt"].startswith(expires)
    table = run("verify", str(proof_file), COLUMNS="200").stdout
    assert "anchored, not yet in wallet" in table
    # The wallet shows it as waiting (found through the anchor event and the manifest), not held.
    [waiting] = json.loads(run("verify", learner, "--json").stdout)["credentials"]
    assert waiting["status"] == "anchored" and waiting["holder"] is None
    assert waiting["proof"]["tokenId"] == token and waiting["proof"]["root"] == root

    relayer = net.keys[7]  # anyone pays; the learner gets the token
    claimed = run("claim", token, "--proofs-dir", str(proofs), key=relayer)
    assert last_line(claimed) == token
    [mine] = json.loads(run("verify", learner, "--json").stdout)["credentials"]
    assert mine["status"] == "valid" and mine["holder"] == learner
    assert (
        json.loads(run("verify", str(proof_file), "--json").stdout)["credentials"][0]["status"]
        == "valid"
    )
    again = run("claim", str(proof_file), key=relayer, ok=False)
    assert again.exit_code == 2 and "in a wallet already" in again.stderr


def test_revoked_unclaimed_credential_verifies_revoked_and_cannot_be_claimed(
    net, run, fresh_issuer, tmp_path
):
    from microcred.anchoring import load_proof
    from microcred.chain import Chain
    from microcred.config import web3_for

    result, proofs = _anchor(run, fresh_issuer, tmp_path, [Account.create().address])
    [proof_file] = (proofs / last_line(result)).glob("0x*.json")
    item = load_proof(proof_file)
    chain = Chain.connect(web3_for(net.rpc_url), net.deployment)
    chain.revoke_anchored(
        fresh_issuer.key,
        root=item.root,
        recipient=item.recipient,
        token_id=item.token_id,
        expires_at=item.expires_at,
        proof=item.proof,
        reason="withdrawn",
    )
    verified = run("verify", str(proof_file), "--json", ok=False)
    assert verified.exit_code == 1
    [entry] = json.loads(verified.stdout)["credentials"]
    assert entry["status"] == "revoked" and entry["revocationReason"] == "withdrawn"
    refused = run("claim", str(proof_file), key=net.keys[7], ok=False)
    assert refused.exit_code == 2 and "revoked" in refused.stderr


def test_anchor_needs_a_csv_and_claim_needs_a_proof(net, run, fresh_issuer, tmp_path):
    holder = Account.create().address
    bad = run(
        "issue", "--template", fresh_issuer.template, "--to", holder, "--anchor",
        key=fresh_issuer.key, ok=False,
    )  # fmt: skip
    assert bad.exit_code == 2 and "--csv" in bad.stderr
    missing = run(
        "claim", "0x" + "ab" * 32, "--proofs-dir", str(tmp_path), key=net.keys[7], ok=False
    )
    assert missing.exit_code == 2 and "No anchored batch holds the credential" in missing.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text('{"format": "something else"}')
    assert run("verify", str(garbage), ok=False).exit_code == 2


def test_a_learner_claims_everything_waiting_for_their_wallet_without_proof_files(
    net, run, fresh_issuer, tmp_path
):
    learner, other = Account.create().address, Account.create().address
    result, proofs = _anchor(run, fresh_issuer, tmp_path, [learner, other])
    root = last_line(result)
    shutil.rmtree(proofs)  # the learner has no proof file: the manifest on IPFS is enough

    claimed = run("claim", learner, key=net.keys[7])
    [token] = claimed.stdout.split()
    [mine] = json.loads(run("verify", learner, "--json").stdout)["credentials"]
    assert mine["tokenId"] == token and mine["status"] == "valid" and mine["holder"] == learner
    [theirs] = json.loads(run("verify", other, "--json").stdout)["credentials"]
    assert theirs["status"] == "anchored" and theirs["proof"]["root"] == root
    nothing = run("claim", learner, key=net.keys[7])
    assert nothing.stdout == "" and "Nothing to claim" in nothing.stderr


def test_staff_revoke_an_unclaimed_credential_by_token_id(net, run, fresh_issuer, tmp_path):
    learner = Account.create().address
    result, proofs = _anchor(run, fresh_issuer, tmp_path, [learner])
    [proof_file] = (proofs / last_line(result)).glob("0x*.json")
    token = proof_file.stem
    shutil.rmtree(proofs)  # found through the batch manifests on IPFS instead

    stranger = run("revoke", token, "--reason", "no", key=net.keys[7], ok=False)
    assert stranger.exit_code != 0
    revoked = run("revoke", token, "--reason", "withdrawn", key=fresh_issuer.key)
    assert "anchored, unclaimed" in revoked.stdout
    verified = run("verify", learner, "--json", ok=False)
    assert verified.exit_code == 1
    [entry] = json.loads(verified.stdout)["credentials"]
    assert entry["status"] == "revoked" and entry["revocationReason"] == "withdrawn"
    assert "Nothing to claim" in run("claim", learner, key=net.keys[7]).stderr


def test_verify_warns_when_a_batch_manifest_cannot_be_read(net, run, fresh_issuer, tmp_path):
    from microcred import anchoring

    learner = Account.create().address
    _anchor(run, fresh_issuer, tmp_path, [learner])
    anchoring._OBJECTS.clear()  # in-process runs share the cache: start cold
    elsewhere = f"local:{tmp_path / 'empty-store'}"
    result = run("verify", learner, MICROCRED_STORE=elsewhere)
    assert "Not checked: anchored batch 0x" in result.stderr  # not a silent "no credentials"
    assert f"No credentials for {learner}" in result.stdout
    data = json.loads(run("verify", learner, "--json", MICROCRED_STORE=elsewhere).stdout)
    assert data["credentials"] == [] and data["warnings"]
