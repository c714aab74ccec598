"""Deploy microcred's contracts and record them in deployments/<chainId>.json.

    ape run deploy --network ethereum:local:foundry            # a throwaway anvil
    ape run deploy --network http://127.0.0.1:8545             # a node that is already running
    ape run deploy --network ethereum:sepolia:node --account deployer

On a local chain (chain id 31337 or 1337) the first test account deploys unless --account is given.
The deployer holds DEFAULT_ADMIN_ROLE and REGISTRAR_ROLE until it hands them on (`ape run roles`).
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, account_option

from microcred.deployment import ContractDeployment, Deployment, default_path

LOCAL_CHAIN_IDS = (31337, 1337)


def _deployer(account):
    if account is not None:
        return account
    if chain.chain_id in LOCAL_CHAIN_IDS:
        return accounts.test_accounts[0]
    raise click.UsageError(
        f"Chain {chain.chain_id} is not a local chain: name the deploying account with "
        "--account ALIAS (import one with `ape accounts import ALIAS`)."
    )


def _record(contract) -> ContractDeployment:
    receipt = chain.get_receipt(contract.txn_hash)
    return ContractDeployment(
        address=contract.address, block=receipt.block_number, tx=receipt.txn_hash
    )


@click.command(cls=ConnectedProviderCommand)
@account_option(prompt=False)
@click.option("--name", default="microcred", show_default=True, help="ERC-721 collection name.")
@click.option("--symbol", default="CRED", show_default=True, help="ERC-721 collection symbol.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the deployment (default: deployments/<chainId>.json).",
)
def cli(account, name, symbol, out):
    """Deploy IssuerRegistry and Credential, wired together."""
    deployer = _deployer(account)
    click.echo(f"Deploying to chain {chain.chain_id} from {deployer.address}")
    registry = project.IssuerRegistry.deploy(deployer.address, sender=deployer)
    credential = project.Credential.deploy(registry.address, name, symbol, sender=deployer)
    deployment = Deployment(
        chain_id=chain.chain_id,
        registry=_record(registry),
        credential=_record(credential),
    )
    path = out or default_path(chain.chain_id)
    deployment.save(path)
    click.echo(f"IssuerRegistry {registry.address} (block {deployment.registry.block})")
    click.echo(f"Credential     {credential.address} (block {deployment.credential.block})")
    click.echo(f"Wrote {path}")
