"""``microcred issue --csv``: duplicates skipped by default and listed (``--duplicates``), and a
results file naming each learner (``--results``, default beside the journal). Issue 11, problems
2 and 3, against anvil (conftest.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from _cli_support import last_line
from eth_account import Account


def _results_path(result) -> Path:
    [line] = [x for x in result.stdout.splitlines() if x.startswith("Results: ")]
    return Path(line.removeprefix("Results: "))


def _table(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_duplicates_are_skipped_by_default_listed_and_in_the_results_beside_the_journal(
    net, run, fresh_issuer, tmp_path
):
    holder, learner, repeated = (Account.create().address for _ in range(3))
    run("issue", "--template", fresh_issuer.template, "--to", holder, key=fresh_issuer.key)
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_text(
        f"address,name\n{holder},Holder\n{learner},Learner\n{repeated},First\n{repeated},Second\n"
    )
    result = run(
        "issue", "--template", fresh_issuer.template, "--csv", str(csv_file),
        "--journal-dir", str(tmp_path / "journal"), key=fresh_issuer.key,
    )  # fmt: skip
    out = result.stdout
    assert f"Skipped line 2 ({holder}): already holds a valid credential of this template" in out
    assert f"Skipped line 5 ({repeated}): the same learner as line 4." in out
    assert "2 credential(s): 2 issued now in 1 transaction(s), 0 issued before, 2 duplicate(s)" in (
        out
    )

    path = _results_path(result)
    assert path.parent == tmp_path / "journal" and path.name.endswith(".results.csv")
    table = _table(path)
    assert [(r["line"], r["learner"], r["name"]) for r in table] == [
        ("2", holder, "Holder"),
        ("3", learner, "Learner"),
        ("4", repeated, "First"),
        ("5", repeated, "Second"),
    ]
    assert [r["status"].split(":")[0] for r in table] == ["skipped", "issued", "issued", "skipped"]
    issued = table[1]
    assert issued["share_link"].endswith(f"/verify?credential={issued['credential']}")
    assert len(issued["credential"]) == 66


def test_duplicates_issue_issues_every_row_and_results_go_where_asked(
    net, run, fresh_issuer, tmp_path
):
    holder = Account.create().address
    run("issue", "--template", fresh_issuer.template, "--to", holder, key=fresh_issuer.key)
    csv_file = tmp_path / "again.csv"
    csv_file.write_text(f"address,name\n{holder},Again\n")  # a new document, a new id
    wanted = tmp_path / "out" / "results.csv"
    result = run(
        "issue", "--template", fresh_issuer.template, "--csv", str(csv_file),
        "--duplicates", "issue", "--results", str(wanted),
        "--journal-dir", str(tmp_path / "journal"), key=fresh_issuer.key,
    )  # fmt: skip
    assert "Skipped" not in result.stdout
    assert _results_path(result) == wanted
    [row] = _table(wanted)
    assert row["learner"] == holder and row["status"] == "issued"


def test_an_anchored_batch_writes_results_with_proof_files_and_prints_the_root_last(
    net, run, fresh_issuer, tmp_path
):
    learners = [Account.create().address for _ in range(2)]
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_text("address\n" + "".join(f"{a}\n" for a in learners))
    result = run(
        "issue", "--template", fresh_issuer.template, "--csv", str(csv_file), "--anchor",
        "--journal-dir", str(tmp_path / "journal"), "--proofs-dir", str(tmp_path / "proofs"),
        key=fresh_issuer.key,
    )  # fmt: skip
    root = last_line(result)
    assert root.startswith("0x") and len(root) == 66
    table = _table(_results_path(result))
    assert [r["learner"] for r in table] == learners
    for row in table:
        assert row["status"] == "anchored, not yet in wallet"
        assert row["share_link"].endswith(f"/verify?address={row['learner']}")
        assert (tmp_path / "proofs" / root / row["proof_file"]).exists()


def test_an_unknown_duplicates_choice_is_bad_input(net, run, fresh_issuer, tmp_path):
    csv_file = tmp_path / "one.csv"
    csv_file.write_text(f"address\n{Account.create().address}\n")
    result = run(
        "issue", "--template", fresh_issuer.template, "--csv", str(csv_file),
        "--duplicates", "maybe", key=fresh_issuer.key, ok=False,
    )  # fmt: skip
    assert result.exit_code == 2
