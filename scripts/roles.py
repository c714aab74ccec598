"""Who governs the registry: show the roles, grant a registrar, hand governance on.

    ape run roles show --network ...
    ape run roles grant-registrar 0xRegistrar --network ... --account deployer
    ape run roles handover 0xMultisig --network ... --account deployer

`handover` grants DEFAULT_ADMIN_ROLE and REGISTRAR_ROLE to the new holder (a multisig on public
networks) and only then renounces them for the current account, so governance is never left empty.
"""

from __future__ import annotations

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, account_option
from eth_utils import is_address, to_checksum_address

from microcred.deployment import Deployment, default_path

LOCAL_CHAIN_IDS = (31337, 1337)


def _registry():
    deployment = Deployment.load(default_path(chain.chain_id))
    return project.IssuerRegistry.at(deployment.registry.address)


def _sender(account):
    if account is not None:
        return account
    if chain.chain_id in LOCAL_CHAIN_IDS:
        return accounts.test_accounts[0]
    raise click.UsageError("Name the governing account with --account ALIAS.")


def _address(value: str) -> str:
    if not is_address(value):
        raise click.BadParameter(f"{value!r} is not an Ethereum address.")
    return to_checksum_address(value)


@click.group()
def cli():
    """Registry governance."""


@cli.command(cls=ConnectedProviderCommand)
@click.argument("address", required=False)
def show(address):
    """Show whether ADDRESS (default: the local deployer) holds each role."""
    registry = _registry()
    who = _address(address) if address else accounts.test_accounts[0].address
    for role_name in ("DEFAULT_ADMIN_ROLE", "REGISTRAR_ROLE"):
        role = getattr(registry, role_name)()
        click.echo(f"{role_name:20} {who}: {registry.hasRole(role, who)}")


@cli.command(name="grant-registrar", cls=ConnectedProviderCommand)
@click.argument("address")
@account_option(prompt=False)
def grant_registrar(address, account):
    """Let ADDRESS accredit, suspend and reinstate issuers."""
    registry = _registry()
    registry.grantRole(registry.REGISTRAR_ROLE(), _address(address), sender=_sender(account))
    click.echo(f"{address} is now a registrar")


@cli.command(cls=ConnectedProviderCommand)
@click.argument("address")
@account_option(prompt=False)
def handover(address, account):
    """Give both roles to ADDRESS, then renounce them for the current account."""
    registry, sender, new_holder = _registry(), _sender(account), _address(address)
    if new_holder == sender.address:
        raise click.BadParameter("The new holder is the current account: nothing to hand over.")
    admin_role, registrar_role = registry.DEFAULT_ADMIN_ROLE(), registry.REGISTRAR_ROLE()
    for role in (registrar_role, admin_role):
        registry.grantRole(role, new_holder, sender=sender)
    for role in (registrar_role, admin_role):
        registry.renounceRole(role, sender.address, sender=sender)
    click.echo(f"Governance handed to {new_holder}; {sender.address} holds no role any more.")
