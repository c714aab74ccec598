"""The bad-input corpus (issue 5): every case gets a clear error naming the problem, and nothing
is sent (the signer's nonce does not move) and, where a document could have been written, nothing
is stored. Real anvil, real LocalStore, the library API and the ``microcred`` command."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eth_utils import to_checksum_address

from microcred.chain import Chain
from microcred.config import Settings
from microcred.deployment import ContractDeployment, Deployment
from microcred.documents import parse_credential
from microcred.errors import ConfigError, InputError, MicrocredError
from microcred.issuance import (
    Recipient,
    decode_csv,
    issue_bulk,
    issue_one,
    read_csv,
    read_csv_text,
)

HOLDER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # checksummed
OTHER = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"


def _wallets(count: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    return [to_checksum_address(rng.randbytes(20)) for _ in range(count)]


def _objects(store_dir: Path) -> set[str]:
    return {p.name for p in store_dir.iterdir() if not p.name.startswith(".")}


@contextmanager
def nothing_sent(net, issuer, *, stored: bool = False) -> Iterator[None]:
    """The block must refuse: the signer's nonce stays, and (unless ``stored``) no object is
    written to the store."""
    nonce = net.nonce(issuer.key.address)
    before = _objects(net.store_dir)
    yield
    assert net.nonce(issuer.key.address) == nonce, "a transaction was sent"
    if not stored:
        assert _objects(net.store_dir) == before, "a document was stored"


def _wrong_checksum(address: str) -> str:
    # Flip the case of the first letter: still mixed case, now with a wrong checksum.
    i = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    return address[:i] + address[i].swapcase() + address[i + 1 :]


# --------------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------------

BAD_ADDRESSES = [
    pytest.param("0x1234", "is not an Ethereum address", id="too-short"),
    pytest.param("0x" + "g" * 40, "is not an Ethereum address", id="not-hex"),
    pytest.param(HOLDER[2:] + "00", "is not an Ethereum address", id="no-0x-42-chars"),
    pytest.param(" ", "is not an Ethereum address", id="blank"),
    pytest.param(_wrong_checksum(HOLDER), "has a wrong checksum", id="wrong-checksum"),
    pytest.param("alice.eth", "is not an Ethereum address", id="ens-name"),
    pytest.param("0x" + "0" * 40, "zero address", id="zero-address"),
]


@pytest.mark.parametrize(("address", "message"), BAD_ADDRESSES)
def test_a_bad_recipient_is_named_and_nothing_is_sent_or_stored(net, issuer, address, message):
    with nothing_sent(net, issuer), pytest.raises(InputError, match=message):
        issue_one(
            net.chain,
            net.store,
            issuer.key,
            template_id=issuer.template.template_id,
            recipient=address,
        )


@pytest.mark.parametrize(
    ("address", "message"), [p for p in BAD_ADDRESSES if p.id not in ("blank", "zero-address")]
)
def test_a_bad_address_in_a_csv_row_is_named_with_its_line(address, message):
    text = f"address\n{HOLDER}\n{address}\n"
    with pytest.raises(InputError, match=f"line 3: .*{message}"):
        read_csv_text(text)


def test_the_zero_address_in_a_bulk_run_is_named_with_its_line(net, issuer, tmp_path):
    rows = read_csv_text(f"address\n{HOLDER}\n0x{'0' * 40}\n")  # well-formed: parsing keeps it
    with nothing_sent(net, issuer), pytest.raises(InputError, match="line 3: .*zero address"):
        issue_bulk(
            net.chain,
            net.store,
            issuer.key,
            template_id=issuer.template.template_id,
            recipients=rows,
            journal_dir=tmp_path,
        )


def test_lower_and_upper_case_addresses_are_accepted_and_checksummed(net, issuer):
    rows = read_csv_text(f"address\n{HOLDER.lower()}\n0x{OTHER[2:].upper()}\n")
    assert [r.address for r in rows] == [HOLDER, OTHER]


def test_a_contract_address_is_an_allowed_recipient(net, issuer):
    """Decision: a contract may hold a credential. Smart-contract wallets (Safe, ERC-4337
    accounts) are contracts, and an EOA may gain code (EIP-7702), so "has code" cannot tell a
    mistake from a wallet. Minting never calls the recipient (no onERC721Received), so a contract
    recipient cannot re-enter or block issuance; the credential simply stays where it was sent."""
    contract = net.deployment.registry.address
    assert net.w3.eth.get_code(contract)
    result = issue_one(
        net.chain,
        net.store,
        issuer.key,
        template_id=issuer.template.template_id,
        recipient=contract,
        evidence=["https://example.org/contract-holder"],
    )
    status = net.chain.credential_status(result.token_id)
    assert status.holder == contract and status.valid


def test_the_cli_refuses_an_ens_name_with_exit_code_2(net, issuer, run):
    nonce = net.nonce(issuer.key.address)
    result = run(
        "issue", "--template", issuer.template_hex, "--to", "alice.eth", key=issuer.key, ok=False
    )
    assert result.exit_code == 2
    assert "'alice.eth' is not an Ethereum address" in result.stderr
    assert "Traceback" not in result.stderr
    assert net.nonce(issuer.key.address) == nonce


# --------------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "needs a header row with an 'address' column", id="empty"),
        pytest.param("\n\n", "needs a header row with an 'address' column", id="blank-lines"),
        pytest.param("address\n", "has no rows", id="header-only"),
        pytest.param("address,expires\n,\n ,\n", "has no rows", id="only-empty-rows"),
        pytest.param(
            f"address;grade\n{HOLDER};A\n", "unknown column\\(s\\) grade", id="semicolons-unknown"
        ),
        pytest.param(
            f"address;expires\n{HOLDER};30/06/2027\n", "line 2: .*30/06/2027", id="semicolons-date"
        ),
        pytest.param(
            f"address,grade\n{HOLDER},A\n", "unknown column\\(s\\) grade", id="unknown-column"
        ),
        pytest.param(f"wallet\n{HOLDER}\n", "'address' column", id="no-address-column"),
        pytest.param(
            f"address,expires\n{HOLDER},30/06/2027\n",
            "line 2: The expiry date '30/06/2027' is not a date like 2027-06-30",
            id="date-dd/mm/yyyy",
        ),
        pytest.param(
            f"address,expires\n{HOLDER},06/30/2027\n", "line 2: .*06/30/2027", id="date-us"
        ),
        pytest.param(
            f"address,expires\n{HOLDER},2027-06-30T12:00\n", "line 2: .*2027-06-30T12:00", id="iso"
        ),
        pytest.param(
            f"address,expires\n{HOLDER},30 June 2027\n", "line 2: .*30 June 2027", id="words"
        ),
        pytest.param(
            f"address\n{HOLDER}\n{HOLDER}\n", "line 3: repeats line 2", id="duplicate-rows"
        ),
        pytest.param(
            f"address\n{HOLDER}\n{HOLDER.lower()}\n",
            "line 3: repeats line 2",
            id="duplicate-in-another-case",
        ),
    ],
)
def test_a_bad_csv_is_refused_with_the_reason(text, message):
    with pytest.raises(InputError, match=message):
        read_csv_text(text)


def test_every_bad_row_is_reported_at_once():
    text = f"address,expires\n0x12,\n{HOLDER},31/12/2030\n{OTHER},\n{OTHER},\n"
    with pytest.raises(InputError) as caught:
        read_csv_text(text)
    message = str(caught.value)
    assert message.startswith("3 bad row(s) in the CSV file, nothing was sent")
    assert all(f"line {n}:" in message for n in (2, 3, 5))


def test_an_expiry_in_the_past_by_the_chains_clock_is_a_bad_row(net):
    now = net.chain.latest_timestamp()
    with pytest.raises(InputError, match="line 2: the expiry 2001-01-01 is not in the future"):
        read_csv_text(f"address,expires\n{HOLDER},2001-01-01\n", now=now)


def test_bom_crlf_quoted_commas_and_semicolons_read_as_the_plain_file(tmp_path):
    plain = (
        "address,expires,evidence,name\n"
        f'{HOLDER},2030-06-30,"https://example.org/a,b https://example.org/c",Ada\n'
        f"{OTHER},,,\n"
    )
    expected = read_csv_text(plain)
    assert expected[0].evidence == ("https://example.org/a,b", "https://example.org/c")
    for variant, data in {
        "bom": "\ufeff".encode() + plain.encode(),
        "crlf": plain.replace("\n", "\r\n").encode(),
        "bom-crlf": "\ufeff".encode() + plain.replace("\n", "\r\n").encode(),
        # What spreadsheets save as "CSV" where the comma is the decimal separator.
        "semicolons": (
            "address;expires;evidence;name\n"
            f'{HOLDER};2030-06-30;"https://example.org/a,b https://example.org/c";Ada\n'
            f"{OTHER};;;\n"
        ).encode(),
    }.items():
        path = tmp_path / f"{variant}.csv"
        path.write_bytes(data)
        assert read_csv(path) == expected, variant


def test_crlf_text_reads_as_the_plain_text():
    plain = f"address,expires\n{HOLDER},2030-06-30\n{OTHER},\n"
    assert read_csv_text(plain.replace("\n", "\r\n")) == read_csv_text(plain)


def test_a_csv_that_is_not_utf8_is_an_input_error(tmp_path):
    path = tmp_path / "latin1.csv"
    data = f"address,name\n{HOLDER},Ren\xe9e\n".encode("latin-1")
    path.write_bytes(data)
    offset = data.index(b"\xe9")
    with pytest.raises(
        InputError, match=rf"not UTF-8 text: byte 0xe9 at offset {offset} \(line 2\)"
    ):
        read_csv(path)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"address\n\xff\n", r"byte 0xff at offset 8 \(line 2\)"),  # never valid in UTF-8
        (b"\xef\xbb\xbfaddress,name\n0x1,Ren\xc3\n", r"byte 0xc3 at offset 23 \(line 2\)"),  # cut
        ("address\n".encode("utf-16"), "UTF-16 text, not UTF-8"),
    ],
    ids=["invalid-byte", "bom-then-truncated-sequence", "utf-16"],
)
def test_decode_csv_names_utf8_and_where_the_bad_byte_is(data, where):
    with pytest.raises(InputError, match=where) as caught:
        decode_csv(data)
    assert "save it as UTF-8" in str(caught.value)


def test_decode_csv_reads_utf8_with_or_without_a_bom():
    text = f"address,name\n{HOLDER},Ren\u00e9e \U0001f393\n"
    assert decode_csv(text.encode()) == text
    assert decode_csv("\ufeff".encode() + text.encode()) == text
    assert read_csv_text(decode_csv(text.encode()))[0].name == "Ren\u00e9e \U0001f393"


def test_a_csv_that_is_not_utf8_sends_nothing_from_the_cli(net, issuer, run, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"address,name\n{HOLDER},Ren\xe9e\n".encode("latin-1"))
    with nothing_sent(net, issuer):
        result = run(
            "issue", "--template", issuer.template_hex, "--csv", str(path),
            key=issuer.key, ok=False,
        )  # fmt: skip
    assert result.exit_code == 2  # an input error, like every other bad CSV
    assert "not UTF-8 text" in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_csv_through_the_cli_exits_2_and_sends_nothing(net, issuer, run, tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(f"address,expires\n{HOLDER},\n0x12,\n{OTHER},30/06/2027\n")
    with nothing_sent(net, issuer):
        result = run(
            "issue", "--template", issuer.template_hex, "--csv", str(path),
            key=issuer.key, ok=False,
        )  # fmt: skip
    assert result.exit_code == 2
    assert "line 3" in result.stderr and "line 4" in result.stderr


def test_ten_thousand_valid_rows_parse():
    """Every row read, in order, with its line; how long it takes is `bench/timings.py`'s."""
    wallets = _wallets(10_000)
    text = "address,expires,evidence\n" + "".join(
        f"{w},2030-06-30,https://example.org/e/{n}\n" for n, w in enumerate(wallets)
    )
    rows = read_csv_text(text)
    assert len(rows) == 10_000 and rows[-1].line == 10_001
    assert [r.address for r in rows] == wallets
    assert rows[123].evidence == ("https://example.org/e/123",)


# --------------------------------------------------------------------------------------------------
# Documents and templates
# --------------------------------------------------------------------------------------------------


def _issue(net, issuer, **kwargs):
    kwargs.setdefault("recipient", HOLDER)
    return issue_one(
        net.chain, net.store, issuer.key, template_id=issuer.template.template_id, **kwargs
    )


def test_a_document_over_256_kib_is_refused_before_storing_or_sending(net, issuer):
    evidence = [f"https://example.org/{n}/" + "x" * 1000 for n in range(300)]
    with nothing_sent(net, issuer), pytest.raises(InputError, match="more than the 262144 bytes"):
        _issue(net, issuer, evidence=evidence)


def test_a_very_long_name_is_kept_whole_until_the_size_limit(net, issuer):
    with nothing_sent(net, issuer), pytest.raises(InputError, match="more than the 262144 bytes"):
        _issue(net, issuer, name="A" * 300_000)
    result = _issue(net, issuer, name="B" * 100_000, recipient=OTHER)
    assert parse_credential(net.store.get(result.cid)).recipient_name == "B" * 100_000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"evidence": ["not a url"]}, "evidence 'not a url' is not a URI", id="evid"),
        pytest.param({"evidence": [""]}, "is not a URI", id="empty-evidence"),
        pytest.param({"evidence": [42]}, "is not a URI", id="evidence-int"),
        pytest.param({"name": "   "}, "name is empty", id="blank-name"),
        pytest.param({"name": 7}, "is text, not int", id="name-int"),
        pytest.param({"recipient": None}, "is not an Ethereum address", id="recipient-none"),
        pytest.param({"recipient": 12345}, "is not an Ethereum address", id="recipient-int"),
        pytest.param(
            {"expires": datetime(2001, 1, 1, tzinfo=UTC)}, "is not in the future", id="past"
        ),
    ],
)
def test_bad_credential_fields_are_named_and_nothing_is_sent(net, issuer, kwargs, message):
    with nothing_sent(net, issuer), pytest.raises(MicrocredError, match=message):
        _issue(net, issuer, **kwargs)


TEXT_SAMPLES = {
    "html": '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;',
    "markdown": "[click](javascript:alert(1)) **bold** `code`",
    "emoji": "Ada 👩🏽‍💻 Lovelace 🎓",
    "rtl": "\u05e2\u05d3\u05d4 \u05dc\u05d1\u05dc\u05d9\u05d9\u05e1 \u202eevil\u202c",
    "arabic": "\u0622\u062f\u0627 \u0644\u0627\u0641\u0644\u064a\u0633",
    "quotes-nul-free": 'O\'Brien "the" \\ back\\slash\ttab',
}


@pytest.mark.parametrize("text", TEXT_SAMPLES.values(), ids=TEXT_SAMPLES.keys())
def test_markup_emoji_and_rtl_are_stored_as_data_byte_for_byte(net, issuer, text):
    """Documents are data: markup is neither stripped nor escaped at rest (escaping is the
    renderer's job: the front end shows it escaped, see tests/e2e)."""
    wallet = _wallets(1, seed=hash(text) & 0xFFFF)[0]
    result = _issue(net, issuer, recipient=wallet, name=text, evidence=["https://example.org/d"])
    raw = net.store.get(result.cid)
    assert parse_credential(raw).recipient_name == text
    assert json.dumps(text, ensure_ascii=False)[1:-1].encode() in raw  # raw UTF-8, not escaped


def test_markup_in_a_template_is_kept_as_data(net, issuer):
    from microcred.issuance import create_template

    html = TEXT_SAMPLES["html"]
    template = create_template(
        net.chain,
        net.store,
        issuer.key,
        name=f"{html} {TEXT_SAMPLES['rtl']}",
        description=TEXT_SAMPLES["emoji"],
        criteria=TEXT_SAMPLES["markdown"],
        skills=[html],
    )
    stored = json.loads(net.store.get(template.cid))
    assert stored["name"] == f"{html} {TEXT_SAMPLES['rtl']}"
    assert stored["criteria"]["narrative"] == TEXT_SAMPLES["markdown"]


def test_template_input_that_is_missing_or_too_big_is_refused(net, issuer):
    from microcred.issuance import create_template

    common = {"description": "d", "criteria": "c"}
    with nothing_sent(net, issuer):
        with pytest.raises(InputError, match="empty"):
            create_template(net.chain, net.store, issuer.key, name=" ", **common)
        with pytest.raises(InputError, match="more than the 262144 bytes"):
            create_template(net.chain, net.store, issuer.key, name="big", description="x" * 300_000,
                            criteria="c")  # fmt: skip


def test_a_bulk_run_with_one_oversized_row_sends_and_stores_nothing(net, issuer, tmp_path):
    rows = [Recipient(address=w, line=n + 2) for n, w in enumerate(_wallets(5, seed=9))]
    rows[3] = Recipient(
        address=rows[3].address, evidence=("https://example.org/" + "y" * 300_000,), line=5
    )
    with nothing_sent(net, issuer), pytest.raises(InputError, match="line 5: .*262144"):
        issue_bulk(
            net.chain,
            net.store,
            issuer.key,
            template_id=issuer.template.template_id,
            recipients=rows,
            journal_dir=tmp_path,
        )


# --------------------------------------------------------------------------------------------------
# Chain
# --------------------------------------------------------------------------------------------------


def test_a_deployment_for_another_chain_id_is_a_config_error(net, tmp_path):
    other = Deployment(
        chain_id=11155111, registry=net.deployment.registry, credential=net.deployment.credential
    )
    path = tmp_path / "11155111.json"
    other.save(path)
    settings = Settings(rpc_url=net.rpc_url, deployment_path=path)
    with pytest.raises(ConfigError, match="on chain 31337 but the deployment file is for chain"):
        settings.chain()


def test_a_deployment_pointing_at_no_code_is_a_config_error(net, tmp_path):
    empty = ContractDeployment(address=OTHER, block=1, tx="0x" + "0" * 64)
    for broken in (
        Deployment(chain_id=net.deployment.chain_id, registry=empty,
                   credential=net.deployment.credential),
        Deployment(chain_id=net.deployment.chain_id, registry=net.deployment.registry,
                   credential=empty),
    ):  # fmt: skip
        path = tmp_path / "stale.json"
        broken.save(path)
        with pytest.raises(ConfigError, match=f"There is no contract at the .* address {OTHER}"):
            Settings(rpc_url=net.rpc_url, deployment_path=path).chain()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "is not valid JSON", id="not-json"),
        pytest.param("{}", "lacks a field microcred needs", id="empty-object"),
        pytest.param(
            json.dumps(
                {
                    "chainId": 31337,
                    "IssuerRegistry": {"address": "0x12", "block": 1, "tx": "0x"},
                    "Credential": {"address": "0x12", "block": 1, "tx": "0x"},
                }
            ),
            "address '0x12' is not valid",
            id="bad-address",
        ),  # fmt: skip
    ],
)
def test_a_malformed_deployment_file_is_a_config_error(net, tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        Settings(rpc_url=net.rpc_url, deployment_path=path).chain()


def test_the_cli_with_a_wrong_chain_deployment_sends_nothing(net, issuer, run, tmp_path):
    other = Deployment(
        chain_id=1, registry=net.deployment.registry, credential=net.deployment.credential
    )
    path = tmp_path / "1.json"
    other.save(path)
    with nothing_sent(net, issuer):
        result = run(
            "issue", "--template", issuer.template_hex, "--to", HOLDER, key=issuer.key, ok=False,
            MICROCRED_DEPLOYMENT=str(path),
        )  # fmt: skip
    assert result.exit_code == 1
    assert "deployment file is for chain 1" in result.stderr


def test_chain_connect_rejects_a_mismatch_before_any_read(net):
    other = Deployment(chain_id=5, registry=net.deployment.registry,
                       credential=net.deployment.credential)  # fmt: skip
    with pytest.raises(ConfigError):
        Chain.connect(net.w3, other)
