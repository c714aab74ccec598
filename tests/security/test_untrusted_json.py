"""Finding 1 of issue 12: a visitor's JSON must not crash the server.

Every case runs in a subprocess that imports what the app imports, so a crash is seen as a
return code (SIGSEGV is -11), not as the test process dying; peak memory is the child's own
``ru_maxrss``, printed for the report (never asserted on time).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"

#: What the app and the CLI load: the library's chain client (which once imported eth-tester),
#: the CLI, verification, and the front end's services module the way app.py finds it.
IMPORTS = f"""
import sys
sys.path.insert(0, {str(FRONTEND)!r})
before = sys.getrecursionlimit()
import microcred.chain, microcred.cli, microcred.verification, microcred.anchoring
import services
"""


def _child(body: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    code = IMPORTS + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def _report(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, (
        f"the child process ended with {result.returncode} (-11 is SIGSEGV)\n{result.stderr}"
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_library_and_the_app_load_no_test_backend_and_keep_the_recursion_limit():
    """eth-tester pulls in py_ecc, which raises the recursion limit to 100,000: with that limit a
    deeply nested JSON overflows the C stack instead of raising RecursionError."""
    report = _report(
        _child(
            """
            import json
            loaded = sorted(m for m in sys.modules
                            if m.split(".")[0] in ("eth_tester", "py_ecc", "ape", "ape_test"))
            print(json.dumps({"before": before, "after": sys.getrecursionlimit(),
                              "loaded": loaded}))
            """
        )
    )
    assert report["loaded"] == []
    assert report["after"] == report["before"] == 1000


HOSTILE = {
    # 150 KB of "[": what killed Streamlit for every visitor (exit 139).
    "150k-open-brackets": "b'[' * 150_000",
    # Under every size limit, and still deeper than any limit: refused by depth.
    "60k-open-brackets": "b'[' * 60_000",
    # 20 MB of "[[],[],...]": took 553 MB before.
    "20MB-of-empty-lists": "b'[' + b'[],' * (20 * 1024 * 1024 // 3) + b'[]]'",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_uploads_get_a_sentence_without_crashing_or_swelling(name):
    """Through the front end's own entry point (``services.read_proof_file``) and the library's
    (``parse_untrusted`` for every kind): a sentence each, the process alive (return code 0, not
    -11), and a peak memory of the child that stays near what the imports alone cost."""
    report = _report(
        _child(
            f"""
            import json, resource
            from microcred.errors import UntrustedJsonError
            from microcred.untrusted import DOCUMENT, MANIFEST, PROOF_FILE, parse_untrusted
            baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            data = {HOSTILE[name]}
            sentences = []
            try:
                services.read_proof_file(data)
            except services.UserFacingError as err:
                sentences.append(str(err))
            for kind in (PROOF_FILE, DOCUMENT, MANIFEST):
                try:
                    parse_untrusted(data, kind)
                except UntrustedJsonError as err:
                    sentences.append(str(err))
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            print(json.dumps({{"sentences": sentences, "baseline_kb": baseline,
                              "peak_kb": peak, "input_bytes": len(data)}}))
            """
        )
    )
    sentences = report["sentences"]
    assert len(sentences) == 4, sentences
    assert sentences[0].startswith("This file is not a proof file:")
    assert all(("bytes, more than" in s) or ("brackets do not balance" in s) for s in sentences), (
        sentences
    )
    grown_mb = (report["peak_kb"] - report["baseline_kb"]) / 1024
    print(
        f"{name}: {report['input_bytes']:,} bytes; child peak RSS {report['peak_kb'] / 1024:.0f} MB"
        f" ({grown_mb:.1f} MB above the imports)"
    )
    # The input itself is held once (20 MB for the largest); parsing adds nothing like the
    # 553 MB a 20 MB list once took.
    assert grown_mb < report["input_bytes"] / 1024 / 1024 + 40


def test_a_deep_document_and_a_deep_manifest_are_refused_by_their_own_parsers(tmp_path):
    """The same parser behind documents (``parse_credential``) and proof files on disk
    (``load_proof``, which reads no more than the limit): each a sentence, the process alive."""
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 150_000)
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b"[]," * 7_000_000 + b"[]]")
    report = _report(
        _child(
            f"""
            import json, resource
            from microcred.anchoring import load_proof
            from microcred.documents import parse_credential, parse_template
            from microcred.errors import DocumentError, InputError
            out = []
            for call in (lambda: parse_credential(b'{{"a":' + b"[" * 40 + b"]" * 40 + b"}}"),
                         lambda: parse_template(b"[" * 200_000),
                         lambda: load_proof({str(deep)!r}),
                         lambda: load_proof({str(big)!r})):
                try:
                    call()
                except (DocumentError, InputError) as err:
                    out.append(str(err))
            print(json.dumps({{"sentences": out,
                              "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
            """
        )
    )
    first, second, third, fourth = report["sentences"]
    assert "credential document nests brackets deeper than 32 levels" in first
    assert "template document is not valid JSON: its brackets do not balance" in second
    assert "proof file is 150,000 bytes" in third
    assert "proof file is 21,000,004 bytes" in fourth
