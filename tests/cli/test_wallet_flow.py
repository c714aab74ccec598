"""The library calls the web app makes when a browser wallet signs: calldata out, receipts
checked against the chain, plans for issuing. Against anvil, like the CLI tests."""

from __future__ import annotations

import pytest
from _page_signing import page_plan, page_signs
from eth_account import Account

from microcred.chain import Chain
from microcred.config import web3_for
from microcred.errors import ChainError, InputError
from microcred.index import CredentialIndex
from microcred.issuance import Recipient, plan, read_csv_text, signing_request
from microcred.storage import LocalStore
from microcred.vc import Ed25519SigningKey
from microcred.verification import parse_subject, verify


@pytest.fixture(scope="module")
def client(net):
    return Chain.connect(web3_for(net.rpc_url), net.deployment)


def _wallet_sends(net, tx, sender):
    """What a browser wallet does: send the prepared call from the user's (unlocked) account."""
    return net.w3.eth.send_transaction({**tx, "from": sender}).to_0x_hex()


def test_registry_calldata_sent_by_a_wallet_is_confirmed(net, client):
    signer = Account.create().address
    tx = client.registry_tx("register", name="Wallet College", profile_uri="", signers=[signer])
    receipt = client.confirm_sent(_wallet_sends(net, tx, net.keys[0].address), tx)
    assert receipt["status"] == 1
    assert client.issuer_of(signer)[0] > 0


def test_a_transaction_other_than_the_prepared_one_is_refused(net, client):
    tx = client.registry_tx("register", name="A", signers=[Account.create().address])
    other = client.registry_tx("register", name="B", signers=[Account.create().address])
    with pytest.raises(ChainError, match="not the one prepared"):
        client.confirm_sent(_wallet_sends(net, other, net.keys[0].address), tx)


def test_registry_calldata_names_a_bad_address(client):
    with pytest.raises(InputError, match="0xnope"):
        client.registry_tx("add_signer", issuer_id=1, address="0xnope")


def test_a_plan_sent_by_a_wallet_issues_everything(net, run, client, fresh_issuer):
    store = LocalStore(net.store_dir)
    wallets = [Account.create().address for _ in range(3)]
    recipients = read_csv_text("address\n" + "\n".join(wallets) + "\n")
    prepared = page_plan(
        client,
        store,
        fresh_issuer.key,
        template_id=int(fresh_issuer.template, 16),
        recipients=recipients,
    )
    assert len(prepared.calls) == 1 and prepared.already == []
    # The fixture registered the CLI's key of this account: the page derives the same key, so
    # there is nothing to register (a new signer's first plan starts with it: tests/e2e).
    assert prepared.register_call is None
    receipt = client.send_unsigned(client.unsigned(prepared.calls[0]), fresh_issuer.key)
    assert receipt["status"] == 1
    assert all(verify(client, store, parse_subject(w)).all_valid for w in wallets)


def test_a_plan_for_a_stranger_is_refused(client, fresh_issuer, net):
    with pytest.raises(InputError, match="not a signer"):
        signing_request(
            client,
            LocalStore(net.store_dir),
            signer=Account.create().address,
            issuer_did=Ed25519SigningKey.from_seed(bytes(32)).did,
            template_id=int(fresh_issuer.template, 16),
            recipients=[Recipient(address=Account.create().address)],
        )


def test_signatures_that_are_not_the_pages_key_over_these_rows_store_nothing(
    net, client, fresh_issuer
):
    store = LocalStore(net.store_dir)
    template_id = int(fresh_issuer.template, 16)
    rows = [Recipient(address=Account.create().address) for _ in range(2)]
    request, signatures = page_signs(
        client, store, fresh_issuer.key, template_id=template_id, recipients=rows
    )
    stranger = Ed25519SigningKey.from_seed(bytes(32))
    forged = [stranger.sign(h) for h in request.hashes]
    cases = [
        (forged, "is not did:key"),  # another key
        (signatures[::-1], "Signature 1 is not"),  # the page's key, other documents
        (signatures[:1], "1 signature\\(s\\) for 2"),
    ]
    for sent, message in cases:
        with pytest.raises(InputError, match=message):
            plan(
                client,
                store,
                signer=fresh_issuer.key.address,
                template_id=template_id,
                recipients=rows,
                signing=request,
                signatures=sent,
            )
    other_rows = [Recipient(address=Account.create().address) for _ in range(2)]
    with pytest.raises(InputError, match="changed after the page signed"):
        plan(
            client,
            store,
            signer=fresh_issuer.key.address,
            template_id=template_id,
            recipients=other_rows,
            signing=request,
            signatures=signatures,
        )


def test_activity_counts_issues_and_revocations_per_day_and_issuer(net, run, client, fresh_issuer):
    holder = Account.create().address
    token = run("issue", "--template", fresh_issuer.template, "--to", holder, key=fresh_issuer.key)
    run("revoke", token.stdout.strip().splitlines()[-1], "--reason", "test", key=fresh_issuer.key)
    index = CredentialIndex.throwaway(client, LocalStore(net.store_dir))
    rows = [a for a in index.activity() if a.issuer_id == fresh_issuer.id]
    assert sum(a.issued for a in rows) == 1 and sum(a.revoked for a in rows) == 1
    assert set(rows[0].to_json()) == {"day", "issuerId", "issued", "revoked"}
