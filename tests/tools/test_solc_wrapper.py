"""The solc-compatible command that lets py-solc-x (and so ape-solidity) compile with solc-js."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from solcx.wrapper import get_solc_version

ROOT = Path(__file__).resolve().parents[2]
SOLC = ROOT / "tools" / "solc" / "solc-v0.8.28"


def run_solc(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(SOLC), *args], input=stdin, capture_output=True, text=True)


def standard_input(sources: dict) -> str:
    return json.dumps(
        {
            "language": "Solidity",
            "sources": sources,
            "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
        }
    )


def test_version_is_what_py_solc_x_parses():
    assert str(get_solc_version(SOLC)) == "0.8.28"
    assert "Version: 0.8.28+commit.7893614a" in run_solc("--version").stdout


def test_standard_json_reads_imports_from_base_and_include_paths(tmp_path):
    base, lib = tmp_path / "base", tmp_path / "lib"
    (base / "contracts").mkdir(parents=True)
    lib.mkdir()
    (base / "contracts" / "B.sol").write_text(
        'pragma solidity 0.8.28; import "C.sol"; contract B is C {}'
    )
    (lib / "C.sol").write_text("pragma solidity 0.8.28; contract C { function c() external {} }")
    source = 'pragma solidity 0.8.28; import "contracts/B.sol"; contract A is B {}'
    result = run_solc(
        "--standard-json",
        "--base-path",
        str(base),
        "--include-path",
        str(lib),
        stdin=standard_input({"A.sol": {"content": source}}),
    )
    output = json.loads(result.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    assert [f["name"] for f in output["contracts"]["A.sol"]["A"]["abi"]] == ["c"]
    assert output["contracts"]["A.sol"]["A"]["evm"]["bytecode"]["object"]


def test_imports_outside_allowed_paths_are_refused(tmp_path):
    base, outside = tmp_path / "base", tmp_path / "outside"
    base.mkdir()
    outside.mkdir()
    (outside / "Secret.sol").write_text("pragma solidity 0.8.28; contract Secret {}")
    source = f'pragma solidity 0.8.28; import "{outside / "Secret.sol"}"; contract A {{}}'
    stdin = standard_input({"A.sol": {"content": source}})

    refused = json.loads(run_solc("--standard-json", "--base-path", str(base), stdin=stdin).stdout)
    assert any("not found" in e["message"] for e in refused["errors"] if e["severity"] == "error")

    allowed = run_solc(
        "--standard-json", "--base-path", str(base), "--allow-paths", str(outside), stdin=stdin
    )
    assert "Secret" in json.loads(allowed.stdout)["contracts"][str(outside / "Secret.sol")]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--optimize",), "", "unsupported option --optimize"),
        ((), "", "pass --version or --standard-json"),
        (("--standard-json",), "{not json", "not valid JSON"),
        (("--standard-json", "--base-path"), "", "--base-path needs a value"),
    ],
)
def test_bad_invocations_fail_with_a_clear_message(args, stdin, message):
    result = run_solc(*args, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr


def test_the_call_slither_makes_through_crytic_compile(tmp_path):
    """tools/slither.sh: crytic-compile's solc standard-JSON platform runs `solc --standard-json
    --allow-paths <cwd>` in the project root, names sources by `urls` and passes the remappings of
    slither.config.json in the settings."""
    (tmp_path / "contracts").mkdir()
    lib = tmp_path / "node_modules" / "@oz" / "contracts"
    lib.mkdir(parents=True)
    (lib / "Base.sol").write_text(
        "pragma solidity 0.8.28; contract Base { function b() external {} }"
    )
    (tmp_path / "contracts" / "A.sol").write_text(
        'pragma solidity 0.8.28; import {Base} from "@oz/contracts/Base.sol"; contract A is Base {}'
    )
    stdin = json.dumps(
        {
            "language": "Solidity",
            "sources": {"contracts/A.sol": {"urls": ["contracts/A.sol"]}},
            "settings": {
                "remappings": ["@oz/contracts=node_modules/@oz/contracts"],
                "optimizer": {"enabled": False},
                "outputSelection": {"*": {"*": ["abi", "evm.bytecode"], "": ["ast"]}},
            },
        }
    )
    result = subprocess.run(
        [str(SOLC), "--standard-json", "--allow-paths", str(tmp_path)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    output = json.loads(result.stdout)
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    assert [f["name"] for f in output["contracts"]["contracts/A.sol"]["A"]["abi"]] == ["b"]
    assert set(output["sources"]) == {"contracts/A.sol", "node_modules/@oz/contracts/Base.sol"}
    assert output["sources"]["contracts/A.sol"]["ast"]["nodeType"] == "SourceUnit"
