"""The `microcred` command end to end against anvil: names, outputs and exit codes (issue 3 §5)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time

import pytest
from _cli_support import chain_date, last_line
from _lookups import minted_to
from eth_account import Account

from microcred.chain import Chain
from microcred.cid import cid_of_token_id
from microcred.config import web3_for
from microcred.deployment import ContractDeployment, Deployment
from microcred.index import CredentialIndex, IndexSettings
from microcred.storage import LocalStore
from microcred.verification import parse_subject, verify

TOKEN = re.compile(r"^0x[0-9a-f]{64}$")


def _issue(run, setup, to, *extra):
    return last_line(run("issue", "--template", setup.template, "--to", to, *extra, key=setup.key))


def _verify_json(run, subject, ok=True):
    result = run("verify", subject, "--json", ok=ok)
    return result, json.loads(result.stdout)


def test_issue_prints_the_token_id_last_and_it_verifies(net, run, fresh_issuer):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder, "--evidence", "https://example.org/p/1")
    assert TOKEN.match(token)
    result, report = _verify_json(run, holder)
    assert result.exit_code == 0
    assert report["subject"] == holder and report["chainId"] == net.deployment.chain_id
    [entry] = report["credentials"]
    assert entry["tokenId"] == token and entry["status"] == "valid"
    assert entry["holder"] == holder
    assert entry["issuer"] == {"id": fresh_issuer.id, "name": entry["issuer"]["name"]}
    assert entry["achievement"].startswith("Course")
    assert entry["revocationReason"] is None and entry["expiresAt"] is None
    assert [c["name"] for c in entry["checks"]][:2] == ["token_exists", "held_by_wallet"]
    shown = json.loads(run("show", token).stdout)
    assert shown["microcred"]["recipient"] == holder


def test_verify_accepts_token_ids_and_share_links(run, fresh_issuer):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder)
    assert run("verify", token).exit_code == 0
    _, report = _verify_json(run, f"https://verify.example/verify?credential={token}")
    assert report["credentials"][0]["tokenId"] == token
    table = run("verify", holder).stdout
    assert "valid" in table and "Course" in table


def test_revoked_credential_fails_verification_with_its_reason(run, fresh_issuer):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder)
    run("revoke", token, "--reason", "exam fraud", key=fresh_issuer.key)
    result, report = _verify_json(run, token, ok=False)
    assert result.exit_code == 1
    assert report["credentials"][0]["status"] == "revoked"
    assert report["credentials"][0]["revocationReason"] == "exam fraud"


def test_expired_credential_fails_verification(net, run, fresh_issuer):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder, "--expires", chain_date(net, 2))
    assert run("verify", token).exit_code == 0
    net.rpc("evm_increaseTime", 3 * 86400)
    net.rpc("evm_mine")
    result, report = _verify_json(run, token, ok=False)
    assert result.exit_code == 1 and report["credentials"][0]["status"] == "expired"
    assert report["credentials"][0]["expiresAt"].startswith(chain_date(net, -1)[:4])


def test_suspended_issuer_fails_verification_until_reinstated(net, run, fresh_issuer):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder)
    admin = net.keys[0]
    run("issuer", "suspend", str(fresh_issuer.id), "--reason", "audit", key=admin)
    result, report = _verify_json(run, token, ok=False)
    assert result.exit_code == 1 and report["credentials"][0]["status"] == "issuer_suspended"
    refused = run(
        "issue", "--template", fresh_issuer.template, "--to", holder, key=fresh_issuer.key, ok=False
    )
    assert refused.exit_code == 2 and "suspended" in refused.stderr
    run("issuer", "reinstate", str(fresh_issuer.id), key=admin)
    assert run("verify", token).exit_code == 0


def test_tampered_document_is_reported(net, run, fresh_issuer):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder)
    path = LocalStore(net.store_dir).path_of(cid_of_token_id(int(token, 16)))
    original = path.read_bytes()
    path.write_bytes(original.replace(b"Course", b"Degree"))
    try:
        result, report = _verify_json(run, holder, ok=False)
    finally:
        path.write_bytes(original)  # the store is shared by the session's tests
    assert result.exit_code == 1 and report["credentials"][0]["status"] == "tampered"
    failed = [c["name"] for c in report["credentials"][0]["checks"] if not c["ok"]]
    assert "document_hash" in failed


def test_missing_document_is_unavailable(run, fresh_issuer, tmp_path):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder)
    result = run("verify", token, "--json", ok=False, MICROCRED_STORE=f"local:{tmp_path}")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["credentials"][0]["status"] == "unavailable"


def test_unknown_token_id_is_not_valid(run):
    result = run("verify", "0x" + "ab" * 32, "--json", ok=False)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["credentials"][0]["status"] == "not_found"


@pytest.mark.parametrize(
    "subject",
    ["0x1234", "not-an-address", "0x70997970C51812dc3A010C7d01b50e0d17dc79c8"],
)
def test_verify_bad_input_exits_2_with_one_sentence(run, subject):
    result = run("verify", subject, ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_recipient_address_is_named_and_nothing_is_sent(net, run, fresh_issuer):
    bad = "0x70997970C51812dc3A010C7d01b50e0d17dc79c8"  # one letter's case changed
    nonce = net.w3.eth.get_transaction_count(fresh_issuer.key.address)
    result = run(
        "issue", "--template", fresh_issuer.template, "--to", bad, key=fresh_issuer.key, ok=False
    )
    assert result.exit_code == 2 and bad in result.stderr and "checksum" in result.stderr
    assert net.w3.eth.get_transaction_count(fresh_issuer.key.address) == nonce


def test_wrong_chain_id_in_the_deployment_file_is_a_config_error(net, run, tmp_path):
    wrong = Deployment(
        chain_id=net.deployment.chain_id + 1,
        registry=net.deployment.registry,
        credential=net.deployment.credential,
    )
    path = tmp_path / "wrong.json"
    wrong.save(path)
    result = run("issuer", "list", ok=False, MICROCRED_DEPLOYMENT=str(path))
    assert result.exit_code == 1
    assert (
        f"on chain {net.deployment.chain_id}" in result.stderr and "Traceback" not in result.stderr
    )


def test_deployment_pointing_at_no_code_is_a_config_error(net, run, tmp_path):
    nothing = ContractDeployment(address=Account.create().address, block=0, tx="0x")
    path = tmp_path / "stale.json"
    Deployment(
        chain_id=net.deployment.chain_id, registry=net.deployment.registry, credential=nothing
    ).save(path)
    result = run("verify", Account.create().address, ok=False, MICROCRED_DEPLOYMENT=str(path))
    assert result.exit_code == 1 and "no contract at the Credential address" in result.stderr


def _microcred(net, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """``microcred`` as a user runs it: its own process, its stderr exactly as printed."""
    env = {k: v for k, v in net.env(**extra).items() if v is not None}
    return subprocess.run(
        [sys.executable, "-m", "microcred.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_shows_the_traceback(net, tmp_path):
    missing = str(tmp_path / "none.json")
    plain = _microcred(net, "issuer", "list", MICROCRED_DEPLOYMENT=missing)
    debug = _microcred(net, "--debug", "issuer", "list", MICROCRED_DEPLOYMENT=missing)
    # Without --debug: one sentence naming the problem, no traceback.
    assert plain.returncode == 1
    assert plain.stderr.startswith("Error: ") and "none.json" in plain.stderr
    assert "Traceback" not in plain.stderr and "File " not in plain.stderr
    # With --debug: the same error, raised with its traceback (where it came from in microcred).
    assert debug.returncode == 1
    assert "Traceback (most recent call last):" in debug.stderr
    assert "microcred/" in debug.stderr and "ConfigError: " in debug.stderr
    assert "none.json" in debug.stderr


def test_sending_without_a_signer_says_how_to_configure_one(run, fresh_issuer):
    result = run(
        "issue", "--template", fresh_issuer.template, "--to", Account.create().address, ok=False
    )
    assert result.exit_code == 1 and "MICROCRED_PRIVATE_KEY" in result.stderr


def test_issuer_and_template_lists(run, fresh_issuer):
    issuers = json.loads(run("issuer", "list", "--json").stdout)
    mine = next(i for i in issuers if i["id"] == fresh_issuer.id)
    assert mine["status"] == "active" and mine["signers"] == [fresh_issuer.key.address]
    templates = json.loads(
        run("template", "list", "--issuer", str(fresh_issuer.id), "--json").stdout
    )
    assert [t["id"] for t in templates] == [fresh_issuer.template]
    assert templates[0]["name"].startswith("Course")
    assert "School" in run("issuer", "list").stdout


def test_signer_rotation_keeps_past_credentials_valid(net, run, fresh_issuer):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder)
    new_key = Account.create()
    net.rpc("anvil_setBalance", new_key.address, hex(10**20))
    run("issuer", "add-signer", str(fresh_issuer.id), new_key.address, key=fresh_issuer.key)
    run("issuer", "remove-signer", str(fresh_issuer.id), fresh_issuer.key.address, key=new_key)
    assert run("verify", token).exit_code == 0
    run("revoke", token, "--reason", "rotated key revokes", key=new_key)
    assert run("verify", token, ok=False).exit_code == 1


def test_revert_is_named_in_the_error(run, fresh_issuer):
    stranger = Account.create()
    result = run("issuer", "suspend", str(fresh_issuer.id), key=stranger, ok=False)
    assert result.exit_code == 1 and "AccessControlUnauthorizedAccount" in result.stderr


def test_statuses_of_thirty_credentials_cost_one_http_request(net, run, fresh_issuer):
    holder = Account.create().address
    rows = "address,evidence\n" + "".join(
        f"{holder},https://example.org/e/{n}\n" for n in range(30)
    )
    csv = net.store_dir.parent / f"listing-{fresh_issuer.id}.csv"
    csv.write_text(rows)
    run(
        "issue",
        "--template",
        fresh_issuer.template,
        "--csv",
        str(csv),
        "--journal-dir",
        str(csv.parent / "j"),
        "--duplicates",
        "issue",  # 30 credentials for one wallet, on purpose
        key=fresh_issuer.key,
    )
    chain = Chain.connect(web3_for(net.rpc_url), net.deployment)  # as the CLI connects
    token_ids = minted_to(chain, holder)
    posts = []  # what actually goes over HTTP (below web3's middlewares and request cache)
    send, send_batch = chain.w3.provider._make_request, chain.w3.provider.make_batch_request
    chain.w3.provider._make_request = lambda method, data: (
        posts.append(method) or send(method, data)
    )
    chain.w3.provider.make_batch_request = lambda calls: posts.append("batch") or send_batch(calls)

    statuses = chain.credentials(token_ids)
    assert len(statuses) == 30 and all(s.valid for s in statuses)
    assert posts == ["eth_call"]  # one credentialsAndIssuers call for 30 ids

    # Verifying them all: the index finds them (through its own connection: its tail read is
    # tested in tests/index), then statuses + issuers + clock in ONE JSON-RPC batch.
    store = LocalStore(net.store_dir)
    settings = IndexSettings(f"sqlite:///{csv.parent / 'listing.sqlite'}", 100_000, 0)
    index = CredentialIndex.open(chain, store, settings)
    index.sync()
    posts.clear()
    report = verify(chain, store, parse_subject(holder), index=index)
    assert len(report.credentials) == 30 and report.all_valid
    # The registry's record of the key that signed the documents: one call, for 30 documents.
    assert posts == ["batch", "eth_call"]

    # A revocation's reason comes with the index's tail: no request more through the chain.
    run("revoke", _hex(statuses[0].token_id), "--reason", "typo", key=fresh_issuer.key)
    posts.clear()
    report = verify(chain, store, parse_subject(holder), index=index)
    assert posts == ["batch", "eth_call"]
    assert report.credentials[0].revocation_reason == "typo"


def _hex(token_id):
    return f"0x{token_id:064x}"


# --- bulk issuance -------------------------------------------------------------------------------


def test_csv_with_bad_rows_reports_each_line_and_sends_nothing(net, run, fresh_issuer, tmp_path):
    good = Account.create().address
    csv = tmp_path / "cohort.csv"
    csv.write_text(
        f"address,expires,name\n{good},,Ada\n0xdeadbeef,,\n{good},2001-01-01,\n{good},31/12/2030,\n"
    )
    nonce = net.w3.eth.get_transaction_count(fresh_issuer.key.address)
    result = run(
        "issue",
        "--template",
        fresh_issuer.template,
        "--csv",
        str(csv),
        key=fresh_issuer.key,
        ok=False,
    )
    assert result.exit_code == 2
    for line in ("line 3", "line 4", "line 5"):
        assert line in result.stderr
    assert "line 2" not in result.stderr
    assert net.w3.eth.get_transaction_count(fresh_issuer.key.address) == nonce


def _cohort(tmp_path, size):
    wallets = [Account.create().address for _ in range(size)]
    csv = tmp_path / "cohort.csv"
    csv.write_text(
        "address,evidence\n"
        + "".join(f"{w},https://example.org/c/{n}\n" for n, w in enumerate(wallets))
    )
    return wallets, csv


def _journal(journal_dir):
    files = list(journal_dir.glob("*.jsonl"))
    if not files:
        return []
    entries = []
    for line in files[0].read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line cut short by the kill
            entries.append(json.loads(line))
    return entries


def _wait_for(predicate, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if process.poll() is not None:
            raise AssertionError(
                f"the bulk run ended early ({process.returncode}): {process.stderr.read()}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the bulk run did not get there in time: {process.stderr.read()}")
        time.sleep(0.02)


def test_bulk_run_killed_mid_run_resumes_and_issues_each_credential_once(
    net, run, fresh_issuer, tmp_path
):
    wallets, csv = _cohort(tmp_path, 7)
    journal_dir = tmp_path / "journal"
    args = ["issue", "--template", fresh_issuer.template, "--csv", str(csv), "--batch-size", "2",
            "--journal-dir", str(journal_dir)]  # fmt: skip
    env = {k: v for k, v in net.env(fresh_issuer.key).items() if v is not None}

    def broadcast(count: int) -> bool:
        """The run has journaled `count` batches and the node holds the last of them.

        The journal entry is written before the broadcast (write-ahead), so mining on the entry
        alone races the send: the block comes out empty and the run waits forever.
        """
        sent = [e["tx"] for e in _journal(journal_dir) if e["kind"] == "sent"]
        return (
            len(sent) >= count
            and net.rpc("eth_getTransactionByHash", sent[count - 1]).get("result") is not None
        )

    # Manual mining: the run blocks on each receipt, so the kill lands exactly where we want it,
    # with its third batch signed, journaled and broadcast but not yet mined.
    net.rpc("evm_setAutomine", False)
    process = subprocess.Popen(
        [sys.executable, "-m", "microcred.cli", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for batch in (1, 2):
            _wait_for(lambda b=batch: broadcast(b), process)
            net.rpc("evm_mine")
        _wait_for(lambda: broadcast(3), process)
    finally:
        process.kill()
        process.wait()
        net.rpc("evm_setAutomine", True)
    assert "done" not in [e["kind"] for e in _journal(journal_dir)]
    net.rpc("evm_mine")  # the node mines the batch the killed run left in its mempool

    result = run(*args, key=fresh_issuer.key)
    assert "7 credential(s): 1 issued now in 1 transaction(s), 6 issued before." in result.stdout
    chain = Chain.connect(net.w3, net.deployment)
    minted = [minted_to(chain, w) for w in wallets]
    assert all(len(ids) == 1 for ids in minted)  # every wallet got its credential, exactly once
    assert all(s.valid for s in chain.credentials([ids[0] for ids in minted]))

    again = run(*args, key=fresh_issuer.key)
    assert "0 issued now in 0 transaction(s), 7 issued before." in again.stdout


# --- signer, images, store ------------------------------------------------------------------


def test_an_ape_keystore_account_signs_with_account(net, run, fresh_issuer, tmp_path):
    keystore = Account.encrypt(fresh_issuer.key.key, "pw", iterations=2)
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "teacher.json").write_text(json.dumps(keystore))
    holder = Account.create().address
    result = run(
        "--account", "teacher", "issue", "--template", fresh_issuer.template, "--to", holder,
        APE_DATA_FOLDER=str(tmp_path), MICROCRED_ACCOUNT_PASSWORD="pw",
    )  # fmt: skip
    assert TOKEN.match(last_line(result))
    assert fresh_issuer.key.key.hex() not in result.stdout + result.stderr


def test_template_with_an_image_and_a_reissue(net, run, fresh_issuer, tmp_path):
    image = tmp_path / "badge.png"
    image.write_bytes(b"\x89PNG not really")
    template = last_line(
        run(
            "template", "create", "--name", "Imaged", "--description", "D", "--criteria", "C",
            "--valid-days", "30", "--image", str(image), key=fresh_issuer.key,
        )
    )  # fmt: skip
    first, second = Account.create().address, Account.create().address
    old = _issue(run, fresh_issuer, first, "--name", "Ada Lovelace")
    new = last_line(
        run(
            "issue", "--template", fresh_issuer.template, "--to", second, "--replaces", old,
            key=fresh_issuer.key,
        )
    )  # fmt: skip
    assert run("verify", old, ok=False).exit_code == 1
    assert run("verify", second).exit_code == 0
    shown = json.loads(run("show", new).stdout)
    assert shown["microcred"]["replaces"] == old
    imaged = last_line(run("issue", "--template", template, "--to", first, key=fresh_issuer.key))
    document = json.loads(run("show", imaged, "--raw").stdout)
    assert document["image"]["id"].startswith("ipfs://") and "validUntil" in document
    assert document["image"]["type"] == "Image"  # Open Badges 3.0's Image object
    # The re-issue keeps the Open Badges id of the credential it replaces, with a later date.
    replaced = json.loads(run("show", old, "--raw").stdout)
    assert shown["id"] == replaced["id"] and shown["validFrom"] >= replaced["validFrom"]


def test_store_export_copies_every_object(net, run, fresh_issuer, tmp_path):
    out = tmp_path / "export"
    result = run("store", "export", str(out))
    assert result.stdout.startswith("Exported ")
    assert (out / cid_of_token_id(int(fresh_issuer.template, 16))).is_file()
