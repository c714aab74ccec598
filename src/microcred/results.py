"""The results of an issuing run, one row per learner: who, which credential, what happened, and
the link to send them. The web app offers it as a table and a CSV download; ``microcred issue
--csv`` writes the same CSV file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .defaults import DEFAULT_PUBLIC_URL
from .duplicates import Duplicate
from .issuance import Recipient
from .sharing import share_link

__all__ = [
    "COLUMNS",
    "DEFAULT_PUBLIC_URL",
    "ResultRow",
    "results_csv",
    "run_results",
    "write_results",
]

COLUMNS = ("line", "learner", "name", "credential", "status", "share_link", "proof_file")

ISSUED = "issued"
ISSUED_BEFORE = "issued before"
ANCHORED = "anchored, not yet in wallet"


@dataclass(frozen=True)
class ResultRow:
    line: int | None
    learner: str
    name: str
    credential: str  # 0x + 64 hex; empty for a skipped row
    status: str
    share_link: str
    proof_file: str = ""  # anchored: the proof file's name (in the zip or the proofs folder)

    def cells(self) -> list[str]:
        values = [
            "" if self.line is None else str(self.line),
            self.learner,
            self.name,
            self.credential,
            self.status,
            self.share_link,
            self.proof_file,
        ]
        return [_inert(v) for v in values]


def _inert(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (a learner's name can)
    gets a leading apostrophe, as spreadsheets themselves do."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def run_results(
    base_url: str,
    *,
    recipients: Sequence[Recipient],
    token_ids: Sequence[int],
    already: Sequence[int] = (),
    skipped: Sequence[Duplicate] = (),
    skipped_recipients: Sequence[Recipient] = (),
    anchored: bool = False,
) -> list[ResultRow]:
    """One row per recipient issued (``recipients[i]`` got ``token_ids[i]``), and one per row
    skipped as a duplicate (``skipped[i]`` is ``skipped_recipients[i]``), in file order.

    A minted credential's share link opens it; an anchored one is found through its learner's
    wallet until it is claimed, so its link is the wallet's, and its proof file is named."""
    before = set(already)
    rows: list[ResultRow] = []
    for recipient, token_id in zip(recipients, token_ids, strict=True):
        token = f"0x{token_id:064x}"
        if anchored:
            status, link = ANCHORED, share_link(base_url, address=recipient.address)
        else:
            status = ISSUED_BEFORE if token_id in before else ISSUED
            link = share_link(base_url, credential=token_id)
        rows.append(
            ResultRow(
                line=recipient.line,
                learner=recipient.address,
                name=recipient.name or "",
                credential=token,
                status=status,
                share_link=link,
                proof_file=f"{token}.json" if anchored else "",
            )
        )
    for duplicate, recipient in zip(skipped, skipped_recipients, strict=True):
        held = duplicate.token_id
        rows.append(
            ResultRow(
                line=recipient.line,
                learner=recipient.address,
                name=recipient.name or "",
                credential="",
                status=f"skipped: {duplicate.reason}",
                share_link=(
                    share_link(base_url, credential=held)
                    if held is not None
                    else share_link(base_url, address=recipient.address)
                ),
            )
        )
    rows.sort(key=lambda r: (r.line is None, r.line or 0))
    return rows


def results_csv(rows: Sequence[ResultRow]) -> str:
    """The rows as CSV text with a header (what the page's download and the CLI write)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.cells())
    return out.getvalue()


def write_results(path: Path, rows: Sequence[ResultRow]) -> Path:
    """Write the results CSV to ``path`` (its folder created), replacing an earlier one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(results_csv(rows), encoding="utf-8")
    return path
