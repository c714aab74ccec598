"""The library calls the web app makes when a browser wallet signs: calldata out, receipts
checked against the chain, plans for issuing. Against anvil, like the CLI tests."""

from __future__ import annotations

import pytest
from eth_account import Account

from microcred.chain import Chain
from microcred.config import web3_for
from microcred.errors import ChainError, InputError
from microcred.issuance import Recipient, plan, read_csv_text
from microcred.storage import LocalStore
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
    prepared = plan(
        client,
        store,
        signer=fresh_issuer.key.address,
        template_id=int(fresh_issuer.template, 16),
        recipients=recipients,
    )
    assert len(prepared.calls) == 1 and prepared.already == []
    receipt = client.send_unsigned(client.unsigned(prepared.calls[0]), fresh_issuer.key)
    assert receipt["status"] == 1
    assert all(verify(client, store, parse_subject(w)).all_valid for w in wallets)


def test_a_plan_for_a_stranger_is_refused(client, fresh_issuer, net):
    with pytest.raises(InputError, match="not a signer"):
        plan(
            client,
            LocalStore(net.store_dir),
            signer=Account.create().address,
            template_id=int(fresh_issuer.template, 16),
            recipients=[Recipient(address=Account.create().address)],
        )


def test_activity_counts_issues_and_revocations_per_day_and_issuer(net, run, client, fresh_issuer):
    holder = Account.create().address
    token = run("issue", "--template", fresh_issuer.template, "--to", holder, key=fresh_issuer.key)
    run("revoke", token.stdout.strip().splitlines()[-1], "--reason", "test", key=fresh_issuer.key)
    rows = [a for a in client.activity() if a.issuer_id == fresh_issuer.id]
    assert sum(a.issued for a in rows) == 1 and sum(a.revoked for a in rows) == 1
    assert set(rows[0].to_json()) == {"day", "issuerId", "issued", "revoked"}
