"""A sentence for every custom error of microcred's contracts, for the people who see them.

A revert reaches users as ``The chain refused to revoke: credential 0x12ab… is already revoked
(CredentialAlreadyRevoked).`` rather than in contract words. Every error in the two ABIs must have
an entry here: ``tests/lib/test_revert_reasons.py`` walks the ABIs, so a new error cannot ship
without its sentence.

Each entry takes the error's decoded arguments, by name, already formatted for reading
(addresses checksummed, ids as 0x-hex, times as UTC dates) and returns the sentence without its
full stop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from eth_utils import keccak, to_checksum_address

__all__ = ["EXPLANATIONS", "explain", "format_argument"]

Args = Mapping[str, str]

_ROLES = {
    "0x" + "00" * 32: "admin",
    "0x" + keccak(text="REGISTRAR_ROLE").hex(): "registrar",
}


def _issuer(issuer_id: str) -> str:
    return "any accredited institution" if issuer_id == "0" else f"issuer {issuer_id}"


#: Error name -> the sentence for its (formatted) arguments.
EXPLANATIONS: dict[str, Callable[[Args], str]] = {
    # ---- OpenZeppelin AccessControl (IssuerRegistry's roles)
    "AccessControlBadConfirmation": lambda a: "an account can only renounce a role for itself",
    "AccessControlUnauthorizedAccount": lambda a: (
        f"{a['account']} does not hold the {_ROLES.get(a['neededRole'], a['neededRole'])} role "
        "this needs"
    ),
    # ---- IssuerRegistry
    "IssuerRegistryAssertionKeyAlreadyRevoked": lambda a: (
        f"the signing key {a['publicKey']} was already revoked on {a['revokedAt']}"
    ),
    "IssuerRegistryAssertionKeyTaken": lambda a: (
        f"issuer {a['issuerId']} has registered the signing key {a['publicKey']} already (a key "
        "is registered once per institution, and a revoked one never again: use a new key)"
    ),
    "IssuerRegistryAssertionKeysLengthMismatch": lambda a: (
        f"the query names {a['issuerIds']} issuer ids for {a['publicKeys']} signing keys, which "
        "must be equal"
    ),
    "IssuerRegistryEmptyName": lambda a: "an institution needs a name",
    "IssuerRegistryEmptyReason": lambda a: "a reason is required",
    "IssuerRegistryInvalidAssertionKey": lambda a: (
        "the signing key is empty (all zero): give the 32-byte Ed25519 public key"
    ),
    "IssuerRegistryInvalidSigner": lambda a: (
        f"{a['signer']} cannot be a signer key (it is the zero address)"
    ),
    "IssuerRegistryIssuerNotActive": lambda a: (
        f"issuer {a['issuerId']} is suspended: the registrar must reinstate it first"
    ),
    "IssuerRegistryIssuerNotSuspended": lambda a: (
        f"issuer {a['issuerId']} is not suspended, so there is nothing to reinstate"
    ),
    "IssuerRegistryLastSigner": lambda a: (
        f"{a['signer']} is the last signer key of issuer {a['issuerId']}: add another key "
        "before removing this one"
    ),
    "IssuerRegistryNoSigners": lambda a: "an institution needs at least one signer key",
    "IssuerRegistryNotASigner": lambda a: (
        f"{a['signer']} is not a signer key of issuer {a['issuerId']}"
    ),
    "IssuerRegistrySignerTaken": lambda a: (
        f"{a['signer']} already signs for issuer {a['issuerId']}, and a key signs for one "
        "institution only"
    ),
    "IssuerRegistryTextTooLong": lambda a: (
        f"the text is {a['length']} bytes long; names, profile addresses and reasons may have at "
        f"most {a['max']}"
    ),
    "IssuerRegistryTooManySigners": lambda a: (
        f"issuer {a['issuerId']} already has {a['max']} signer keys, the most an institution may "
        "have: remove one first"
    ),
    "IssuerRegistryTemplateExists": lambda a: f"template {a['templateId']} is already published",
    "IssuerRegistryTemplateRetired": lambda a: (
        f"template {a['templateId']} is retired: publish a new one to issue this achievement"
    ),
    "IssuerRegistryUnauthorizedSigner": lambda a: (
        f"{a['account']} is not a signer key of {_issuer(a['issuerId'])}"
    ),
    "IssuerRegistryUnknownAssertionKey": lambda a: (
        f"the signing key {a['publicKey']} was never registered by the institution named"
    ),
    "IssuerRegistryUnknownIssuer": lambda a: f"there is no issuer {a['issuerId']} in the registry",
    "IssuerRegistryUnknownTemplate": lambda a: f"no template {a['templateId']} was ever published",
    # ---- Credential
    "CredentialAlreadyIssued": lambda a: (
        f"credential {a['tokenId']} was already issued (the same document cannot be issued twice)"
    ),
    "CredentialAlreadyReplaced": lambda a: (
        f"credential {a['tokenId']} was already replaced by {a['replacedBy']}"
    ),
    "CredentialAlreadyRevoked": lambda a: f"credential {a['tokenId']} is already revoked",
    "CredentialApprovalDisabled": lambda a: (
        "credentials cannot be approved for transfer: they never move"
    ),
    "CredentialBatchLengthMismatch": lambda a: (
        f"the batch lists {a['recipients']} recipients, {a['tokenIds']} credential ids and "
        f"{a['expiries']} expiry dates, which must be equal"
    ),
    "CredentialEmptyBatch": lambda a: "the batch is empty",
    "CredentialEmptyReason": lambda a: "a reason is required",
    "CredentialEmptyRoot": lambda a: "the batch root is empty",
    "CredentialInvalidExpiry": lambda a: (
        f"the expiry of credential {a['tokenId']} ({a['expiresAt']}) is not in the future, "
        "or is past the year 2106"
    ),
    "CredentialInvalidProof": lambda a: (
        f"the proof of credential {a['tokenId']} does not lead to the batch root {a['root']}"
    ),
    "CredentialIssuerNotActive": lambda a: (
        f"issuer {a['issuerId']} is suspended: its batch cannot be claimed until the registrar "
        "reinstates it"
    ),
    "CredentialNonTransferable": lambda a: (
        f"credential {a['tokenId']} is soulbound: it can never be transferred"
    ),
    "CredentialNotHolder": lambda a: (
        f"{a['account']} does not hold credential {a['tokenId']}: only its holder can renounce it"
    ),
    "CredentialNotIssuerSigner": lambda a: (
        f"{a['account']} is not a signer key of the active institution that issued credential "
        f"{a['tokenId']}"
    ),
    "CredentialRootsLengthMismatch": lambda a: (
        f"the query names {a['roots']} batch roots for {a['tokenIds']} credential ids, which must "
        "be equal"
    ),
    "CredentialRootExists": lambda a: f"the batch root {a['root']} is already anchored",
    "CredentialUnauthorizedSigner": lambda a: (
        f"{a['account']} is not a signer key of an active accredited institution"
    ),
    "CredentialUnknownRoot": lambda a: f"no batch with root {a['root']} is anchored on this chain",
    # ---- OpenZeppelin IERC721Errors (the ERC-721 surface of Credential)
    "ERC721IncorrectOwner": lambda a: (
        f"{a['sender']} does not hold credential {a['tokenId']} (its holder is {a['owner']})"
    ),
    "ERC721InsufficientApproval": lambda a: (
        f"{a['operator']} is not approved for credential {a['tokenId']}"
    ),
    "ERC721InvalidApprover": lambda a: f"{a['approver']} cannot approve",
    "ERC721InvalidOperator": lambda a: f"{a['operator']} cannot be an operator",
    "ERC721InvalidOwner": lambda a: f"{a['owner']} is not a valid holder address",
    "ERC721InvalidReceiver": lambda a: (
        f"{a['receiver']} cannot receive a credential (it is the zero address)"
    ),
    "ERC721InvalidSender": lambda a: f"{a['sender']} is not a valid sender",
    "ERC721NonexistentToken": lambda a: (
        f"there is no credential {a['tokenId']} on this chain (never issued, or renounced)"
    ),
}


def format_argument(name: str, kind: str, value: object) -> str:
    """One decoded argument as people read it."""
    if kind == "address":
        return to_checksum_address(str(value))
    if kind == "bytes32" and isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if kind == "uint256" and isinstance(value, int) and value >= 2**64:
        return f"0x{value:064x}"
    if kind == "uint64" and name.lower().endswith("at") and isinstance(value, int) and value:
        return datetime.fromtimestamp(min(value, 2**32), UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def explain(name: str, args: Args) -> str | None:
    """The sentence for error ``name`` with formatted ``args``; None for an error not listed."""
    sentence = EXPLANATIONS.get(name)
    if sentence is None:
        return None
    return sentence(args)
