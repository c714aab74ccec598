"""Issue 11 under AppTest: page state that cannot go stale, duplicates, results, the CSV preview,
checks before any prompt, Verify without invented cards, Templates. Real anvil and LocalStore
(conftest.py), the demo signer (the server's key: no wallet needed to send)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from _apptest import APP, open_page, token_hex
from _lookups import minted_to
from eth_account import Account
from streamlit.testing.v1 import AppTest

# anvil's default keys as seeded by conftest.py: 0 the registrar, 1 Example University's signer.
REGISTRAR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ISSUER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
STAFF = Account.from_key(ISSUER_KEY).address
World = Any  # conftest.World
ISSUE_BUTTON = "issue_send_send"


def texts(at: AppTest) -> str:
    parts: list[Any] = [m.value for m in at.markdown]
    parts += [e.value for e in (*at.error, *at.warning, *at.info, *at.success, *at.caption)]
    return "\n".join(str(p) for p in parts).replace("\\", "")  # Markdown escapes


def keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button]


def confirm_revocation(at: AppTest) -> AppTest:
    """Tick the prepared revocation's confirmation (its key names what was prepared)."""
    [box] = [c for c in at.checkbox if c.key.startswith("issue_revoke_confirm_")]
    box.check()
    return run(at)


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def prepare_one(at: AppTest, address: str) -> AppTest:
    at.text_input(key="issue_recipient").set_value(address)
    next(b for b in at.button if b.label == "Prepare credential").click()
    return run(at)


def upload(at: AppTest, text: str, name: str = "learners.csv") -> AppTest:
    at.file_uploader(key="issue_csv").set_value((name, text.encode(), "text/csv"))
    return run(at)


TABLE_COLUMNS = {  # AppTest does not expose a dataframe's key: each table by its columns
    "issue_csv_preview": "problem",
    "issue_results_table": "share_link",
    "templates_table": "published",
}


def tables(at: AppTest, key: str) -> list[list[dict[str, Any]]]:
    return [
        f.value.to_dict("records") for f in at.dataframe if TABLE_COLUMNS[key] in f.value.columns
    ]


def table(at: AppTest, key: str) -> list[dict[str, Any]]:
    [rows] = tables(at, key)
    return rows


@pytest.fixture
def issue_page(app_env: World, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    return open_page("issue")


def nonce(world: World) -> int:
    return int(world.chain.w3.eth.get_transaction_count(STAFF))


# --- 1. page state that cannot go stale --------------------------------------------------------


def test_a_failed_prepare_leaves_no_issue_button_behind(app_env: World, issue_page) -> None:
    at, first = issue_page, Account.create().address
    prepare_one(at, first)
    assert ISSUE_BUTTON in keys(at)
    before = nonce(app_env)

    prepare_one(at, "0x1234")  # a bad address: Prepare fails
    assert at.error, "the bad address gets its sentence"
    assert ISSUE_BUTTON not in keys(at)
    run(at)
    assert ISSUE_BUTTON not in keys(at)
    assert nonce(app_env) == before and minted_to(app_env.chain, first) == []


def test_a_failed_csv_removes_the_prepared_batch_and_another_file_needs_its_own_prepare(
    app_env: World, issue_page
) -> None:
    at, cohort = issue_page, [Account.create().address for _ in range(2)]
    upload(at, "address\n" + "".join(f"{a}\n" for a in cohort))
    at.button(key="issue_csv_prepare").click()
    run(at)
    assert ISSUE_BUTTON in keys(at)

    other = Account.create().address
    upload(at, f"address\n{other}\n", name="other.csv")  # new inputs: the prepared batch is gone
    assert ISSUE_BUTTON not in keys(at)
    upload(at, "address\n" + "".join(f"{a}\n" for a in cohort))  # back to the first file
    assert ISSUE_BUTTON not in keys(at), "a dropped action never comes back"

    at.button(key="issue_csv_prepare").click()
    run(at)
    upload(at, f"address\n{other}\nnot-an-address\n", name="bad.csv")
    assert ISSUE_BUTTON not in keys(at) and "issue_csv_prepare" not in keys(at)
    assert all(minted_to(app_env.chain, a) == [] for a in (*cohort, other))


def test_the_issue_button_acts_once(app_env: World, issue_page) -> None:
    at, learner = issue_page, Account.create().address
    prepare_one(at, learner)
    at.button(key=ISSUE_BUTTON).click()
    run(at)
    assert "Issued 1 credential(s)." in texts(at)
    assert ISSUE_BUTTON not in keys(at)
    run(at)
    assert ISSUE_BUTTON not in keys(at)
    assert len(minted_to(app_env.chain, learner)) == 1


def test_a_leftover_revoke_cannot_act_after_a_failed_prepare(app_env: World, issue_page) -> None:
    at = issue_page
    token = token_hex(app_env.tokens["valid"])
    at.text_input(key="issue_revoke_token").set_value(token)
    at.text_input(key="issue_revoke_reason").set_value("Wrong learner")
    next(b for b in at.button if b.label == "Prepare revocation").click()
    run(at)
    confirm_revocation(at)
    assert "issue_revoke_send_send" in keys(at)
    at.text_input(key="issue_revoke_token").set_value("0xdaba")
    next(b for b in at.button if b.label == "Prepare revocation").click()
    run(at)
    assert at.error and "issue_revoke_send_send" not in keys(at)
    assert not app_env.chain.credential_status(app_env.tokens["valid"]).revoked


# --- 2. duplicates ---------------------------------------------------------------------------


def test_a_learner_who_holds_the_template_is_skipped_unless_told_otherwise(
    app_env: World, issue_page
) -> None:
    at = issue_page
    prepare_one(at, app_env.holder)  # holds a valid credential of the template (conftest)
    assert "already holds a valid credential of this template" in texts(at)
    assert ISSUE_BUTTON not in keys(at)

    at.radio(key="issue_single_duplicates").set_value("issue")
    prepare_one(at, app_env.holder)
    assert ISSUE_BUTTON in keys(at)


def test_a_csv_flags_repeated_learners_and_holders_and_skips_them_by_default(
    app_env: World, issue_page
) -> None:
    at, learner = issue_page, Account.create().address
    upload(
        at,
        f"address,name\n{learner},Ada\n{app_env.holder},Holder\n{learner.lower()},Ada L.\n",
    )
    flagged = {row["line"]: row["duplicate"] for row in table(at, "issue_csv_preview")}
    assert flagged[2] == ""
    assert flagged[3].startswith("already holds a valid credential")
    assert flagged[4] == "the same learner as line 2"
    assert at.radio(key="issue_csv_duplicates_choice").value == "skip"
    assert at.button(key="issue_csv_prepare").label == "Prepare 1 credentials"
    at.radio(key="issue_csv_duplicates_choice").set_value("issue")
    run(at)
    assert at.button(key="issue_csv_prepare").label == "Prepare 3 credentials"


# --- 3. results ------------------------------------------------------------------------------


def test_a_run_lists_each_learner_with_a_link_and_the_next_run_starts_clean(
    app_env: World, issue_page
) -> None:
    at, cohort = issue_page, [Account.create().address for _ in range(2)]
    upload(at, "address,name\n" + "".join(f"{a},N{i}\n" for i, a in enumerate(cohort)))
    at.button(key="issue_csv_prepare").click()
    run(at)
    at.button(key=ISSUE_BUTTON).click()
    run(at)
    rows = table(at, "issue_results_table")
    assert [r["learner"] for r in rows] == cohort and [r["name"] for r in rows] == ["N0", "N1"]
    for row in rows:
        assert row["status"] == "issued"
        assert (
            row["share_link"] == f"https://verify.example.org/verify?credential={row['credential']}"
        )
    download = next(
        d for d in at.get("download_button") if d.proto.label.startswith("Download the results")
    )
    assert download is not None

    prepare_one(at, Account.create().address)  # a new run: the old list leaves the page
    assert tables(at, "issue_results_table") == []


def test_the_results_csv_names_each_learner() -> None:
    import sys

    sys.path.insert(0, str(APP.parent))
    import services

    rows = [
        {"line": "2", "learner": "0xA", "name": "Ada", "credential": "0x1", "status": "issued",
         "share_link": "https://x/verify?credential=0x1", "proof_file": ""},
    ]  # fmt: skip
    [parsed] = list(csv.DictReader(io.StringIO(services.results_csv(rows))))
    assert parsed["learner"] == "0xA" and parsed["name"] == "Ada"


# --- 4. the CSV preview ----------------------------------------------------------------------


def test_every_bad_row_is_shown_with_its_problem_and_can_be_left_out(
    app_env: World, issue_page
) -> None:
    at, good = issue_page, Account.create().address
    upload(
        at,
        f"address,expires\n{good},\n0x1234,\n{good},2001-01-01\n{Account.create().address},31/12/2030\n",
    )
    rows = table(at, "issue_csv_preview")
    problems = {row["line"]: row["problem"] for row in rows}
    assert problems[2] == "" and all(problems[n] for n in (3, 4, 5))
    assert "2001-01-01" in problems[4] and "31/12/2030" in problems[5]
    assert "3 bad row(s) of 4: line 3, line 4, line 5" in at.error[0].value.replace("\\", "")
    assert "issue_csv_prepare" not in keys(at)

    at.checkbox(key="issue_csv_exclude_bad").check()
    run(at)
    assert at.button(key="issue_csv_prepare").label == "Prepare 1 credentials"


# --- 5. checks before any prompt -------------------------------------------------------------


def test_an_already_revoked_or_unknown_id_is_refused_before_any_button(
    app_env: World, issue_page
) -> None:
    at = issue_page
    for token, sentence in (
        (token_hex(app_env.tokens["revoked"]), "is already revoked"),
        ("0x" + "ab" * 32, "No credential 0x"),
    ):
        at.text_input(key="issue_revoke_token").set_value(token)
        at.text_input(key="issue_revoke_reason").set_value("Again")
        next(b for b in at.button if b.label == "Prepare revocation").click()
        run(at)
        assert sentence in at.error[0].value.replace("\\", "")
        assert "issue_revoke_send_send" not in keys(at)


def test_revoke_shows_the_credential_before_the_button(app_env: World, issue_page) -> None:
    at = issue_page
    at.text_input(key="issue_revoke_token").set_value(token_hex(app_env.tokens["valid"]))
    at.text_input(key="issue_revoke_reason").set_value("Wrong learner")
    next(b for b in at.button if b.label == "Prepare revocation").click()
    run(at)
    shown = texts(at)
    assert "Solidity basics" in shown and app_env.holder in shown and "issued" in shown
    # Nothing can be sent before the revocation is confirmed; then the Revoke button shows.
    assert "issue_revoke_send_send" not in keys(at)
    confirm_revocation(at)
    assert "issue_revoke_send_send" in keys(at)
    assert not app_env.chain.credential_status(app_env.tokens["valid"]).revoked


def test_removing_the_last_signer_is_refused_with_a_sentence(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", REGISTRAR_KEY)
    at = open_page("registry")
    at.text_input(key="registry_signer_address").set_value(STAFF)
    next(b for b in at.button if b.label == "Prepare: remove signer").click()
    run(at)
    assert "is the last signer of Example University" in at.error[0].value.replace("\\", "")
    assert "registry_signer_send" not in keys(at)


# --- 6. Verify -------------------------------------------------------------------------------


def test_an_unknown_id_gets_a_sentence_and_no_card(app_env: World) -> None:
    at = open_page()
    at.text_input(key="verify_subject").set_value("0x" + "cd" * 32)
    at.button(key="verify_submit").click()
    run(at)
    assert "No credential with this id" in at.info[0].value
    assert "Unknown achievement" not in texts(at) and not at.subheader


def test_a_revoked_card_says_when(app_env: World) -> None:
    at = open_page()
    at.text_input(key="verify_subject").set_value(token_hex(app_env.tokens["revoked"]))
    at.button(key="verify_submit").click()
    run(at)
    assert "Revoked on " in texts(at)


# --- 7. Templates ----------------------------------------------------------------------------


def test_an_empty_template_form_names_every_missing_field(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    at = open_page("templates")
    next(b for b in at.button if b.label == "Prepare template").click()
    run(at)
    assert "Fill in the skill name, description, criteria" in at.error[0].value


def test_a_template_is_retired_after_a_confirmation(
    app_env: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROCRED_DEMO_SIGNER_KEY", ISSUER_KEY)
    at = open_page("templates")
    next(b for b in at.button if b.label == "Prepare retirement").click()
    run(at)
    assert "Tick the box" in at.error[0].value and "templates_retire_send_send" not in keys(at)
    at.checkbox(key="templates_retire_sure").check()
    next(b for b in at.button if b.label == "Prepare retirement").click()
    run(at)
    at.button(key="templates_retire_send_send").click()
    run(at)
    assert app_env.chain.template(app_env.template.template_id).status == "retired"
    statuses = {r["name"]: r["status"] for r in table(at, "templates_table")}
    assert statuses["Solidity basics"] == "retired"
