"""Ids people copy from the command's output and paste back into it: whole in every table, and a
shortened one refused instead of padded into another id (issue 11, item 10)."""

from __future__ import annotations

import pytest
from _cli_support import last_line
from eth_account import Account


def _issue(run, setup, to):
    return last_line(run("issue", "--template", setup.template, "--to", to, key=setup.key))


def test_verify_and_template_list_print_whole_ids_that_can_be_copied(run, fresh_issuer):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder)
    table = run("verify", holder).stdout
    # The whole id on a line of its own under the table (in an 80-column terminal too), the
    # table itself still readable.
    assert any(line.strip().startswith(token) for line in table.splitlines())
    assert "valid" in table and "Course" in table
    templates = run("template", "list", "--issuer", str(fresh_issuer.id)).stdout
    assert any(line.strip().startswith(fresh_issuer.template) for line in templates.splitlines())
    # The id copied from the table is accepted as it is.
    assert run("verify", token).exit_code == 0


@pytest.mark.parametrize("command", [("revoke", "--reason", "test"), ("show",), ("claim",)])
def test_a_shortened_token_id_is_refused_not_padded(run, fresh_issuer, command):
    holder = Account.create().address
    token = _issue(run, fresh_issuer, holder)
    for cut in ("0xdaba", token[:-1]):
        result = run(command[0], cut, *command[1:], key=fresh_issuer.key, ok=False)
        assert result.exit_code == 2, result.stdout + result.stderr
        assert "a token id has 64" in result.stderr and "copy the whole id" in result.stderr
    # Nothing was revoked by a padded id: the credential is still valid.
    assert run("verify", token).exit_code == 0
