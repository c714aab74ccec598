"""microcred's contracts through web3: typed views, statuses in batches, signed transactions.

Only web3 and eth-account: the library runs against any JSON-RPC node (anvil, a public node) or
a test chain (Ape's EthTester ``chain.provider.web3``). :meth:`Chain.connect` builds the client
and refuses an RPC on another network than the deployment file, or addresses without code.

This class reads and writes contract state only; nothing here scans history. Which credentials a
wallet holds, and what waits for it in anchored batches, is the credential index's to find
(:mod:`microcred.index`); the statuses of any number of them then cost one round trip
(:meth:`Chain.read_state`).

Reverts come back as :class:`~microcred.errors.ChainError` with a sentence for the contract's
custom error and its name, e.g. ``issuer 2 is suspended: the registrar must reinstate it first
(IssuerRegistryIssuerNotActive)`` (:mod:`microcred.revert_reasons`).
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils import function_abi_to_4byte_selector, is_address, to_checksum_address
from eth_utils.abi import collapse_if_tuple
from requests.exceptions import RequestException
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, TimeExhausted, Web3RPCError
from web3.logs import DISCARD
from web3.providers import JSONBaseProvider
from web3.types import RPCEndpoint

from .cid import digest_of_cid
from .deployment import Deployment
from .errors import ChainError, ConfigError, InputError
from .redaction import redact
from .revert_reasons import explain, format_argument

__all__ = [
    "ISSUER_STATUSES",
    "Anchor",
    "AnchoredBatch",
    "TEMPLATE_STATUSES",
    "Activity",
    "Chain",
    "RequestCounter",
    "CredentialStatus",
    "Issuer",
    "SentTransaction",
    "Template",
    "checksum",
    "describe_revert",
    "load_abi",
]

ZERO_ADDRESS = "0x" + "0" * 40
ISSUER_STATUSES = ("none", "active", "suspended")
TEMPLATE_STATUSES = ("none", "published", "retired")
#: Credential statuses read per ``eth_call``: a call's gas limit holds ~1,500 (measured on anvil).
CREDENTIALS_PER_CALL = 500
#: How long to wait for a receipt before telling the user the transaction is still pending.
RECEIPT_TIMEOUT = 120


@cache
def load_abi(name: str) -> list[dict[str, Any]]:
    """The ABI exported by ``make compile`` (``IssuerRegistry`` or ``Credential``)."""
    return json.loads((Path(__file__).parent / "abi" / f"{name}.json").read_text())


def checksum(address: str, *, what: str = "address") -> str:
    """``address`` checksummed; a malformed one, or mixed case with a wrong checksum, is named.

    >>> checksum("0x70997970c51812dc3a010c7d01b50e0d17dc79c8")
    '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    """
    text = address.strip() if isinstance(address, str) else address
    if not isinstance(text, str) or not is_address(text.lower() if _mixed(text) else text):
        raise InputError(f"The {what} {address!r} is not an Ethereum address (0x + 40 hex digits).")
    if _mixed(text) and to_checksum_address(text) != text:
        raise InputError(
            f"The {what} {address!r} has a wrong checksum (its mixed case is a typo check): "
            "copy it again from its source."
        )
    return to_checksum_address(text)


def _mixed(text: str) -> bool:
    body = text[2:] if text.startswith(("0x", "0X")) else text
    return body != body.lower() and body != body.upper()


# --------------------------------------------------------------------------------------------------
# Typed records
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """An institution in the registry."""

    id: int
    status: str  # "active" | "suspended" | "none"
    name: str
    profile_uri: str
    signers: tuple[str, ...]

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class Template:
    """An achievement template published in the registry; its document is at :attr:`uri`."""

    id: int
    issuer_id: int
    status: str  # "published" | "retired" | "none"
    published_at: int
    uri: str

    @property
    def exists(self) -> bool:
        return self.status != "none"


@dataclass(frozen=True)
class CredentialStatus:
    """What the Credential contract says of one token id (every field zero if never issued)."""

    token_id: int
    holder: str | None  # None once burned or if never issued
    issuer_id: int
    issued_at: int
    expires_at: int  # 0: never
    revoked_at: int  # 0: not revoked
    replaces: int
    replaced_by: int
    issuer_active: bool
    valid: bool

    @property
    def exists(self) -> bool:
        """Whether this id was ever issued (it may since be revoked or burned)."""
        return self.issued_at != 0

    @property
    def revoked(self) -> bool:
        return self.revoked_at != 0


@dataclass(frozen=True)
class AnchoredBatch:
    """A ``BatchAnchored`` event: who anchored which root, and where its manifest is."""

    root: bytes
    issuer_id: int
    signer: str
    count: int
    manifest: str  # CID of the batch manifest on IPFS
    block: int


@dataclass(frozen=True)
class Anchor:
    """A Merkle root an issuer anchored (every field zero if it never was)."""

    root: bytes
    issuer_id: int
    anchored_at: int
    count: int

    @property
    def exists(self) -> bool:
        return self.issuer_id != 0


@dataclass(frozen=True)
class Activity:
    """How many credentials one issuer issued and revoked on one UTC day."""

    day: str  # YYYY-MM-DD
    issuer_id: int
    issued: int
    revoked: int

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "issuerId": self.issuer_id,
            "issued": self.issued,
            "revoked": self.revoked,
        }


@dataclass(frozen=True)
class SentTransaction:
    """A signed transaction; :attr:`hash` is known before it is broadcast (journals record it)."""

    hash: str
    raw: bytes
    nonce: int


@lru_cache(maxsize=4096)
def _checksummed(address: str) -> str:
    # A wallet's thousand credentials share one holder: hashing its checksum once is enough.
    return to_checksum_address(address)


def _function_abi(contract: Any, name: str) -> Any:
    return next(e for e in contract.abi if e.get("type") == "function" and e["name"] == name)


def _issuer(raw: Any) -> Issuer:
    issuer_id, status, name, profile_uri, signers = raw
    return Issuer(
        id=int(issuer_id),
        status=ISSUER_STATUSES[int(status)],
        name=str(name),
        profile_uri=str(profile_uri),
        signers=tuple(_checksummed(s) for s in signers),
    )


def _profile(raw: Any) -> Issuer:
    """An ``IssuerProfile`` (no signer list: verifiers never need one) as an :class:`Issuer`."""
    issuer_id, status, name, profile_uri = raw
    return Issuer(
        id=int(issuer_id),
        status=ISSUER_STATUSES[int(status)],
        name=str(name),
        profile_uri=str(profile_uri),
        signers=(),
    )


def _template(raw: Any) -> Template:
    template_id, issuer_id, status, published_at, uri = raw
    return Template(
        id=int(template_id),
        issuer_id=int(issuer_id),
        status=TEMPLATE_STATUSES[int(status)],
        published_at=int(published_at),
        uri=str(uri),
    )


def _status(raw: Any) -> CredentialStatus:
    (
        token_id,
        holder,
        issuer_id,
        issued_at,
        expires_at,
        revoked_at,
        replaces,
        replaced_by,
        issuer_active,
        valid,
    ) = raw
    return CredentialStatus(
        token_id=int(token_id),
        holder=None if int(holder, 16) == 0 else _checksummed(holder),
        issuer_id=int(issuer_id),
        issued_at=int(issued_at),
        expires_at=int(expires_at),
        revoked_at=int(revoked_at),
        replaces=int(replaces),
        replaced_by=int(replaced_by),
        issuer_active=bool(issuer_active),
        valid=bool(valid),
    )


# --------------------------------------------------------------------------------------------------
# Revert decoding
# --------------------------------------------------------------------------------------------------


@cache
def _custom_errors() -> dict[bytes, tuple[str, list[str], list[str]]]:
    errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for name in ("IssuerRegistry", "Credential"):
        for entry in load_abi(name):
            if entry["type"] == "error":
                selector = function_abi_to_4byte_selector(entry)  # type: ignore[arg-type]
                names = [i["name"] for i in entry["inputs"]]
                types = [i["type"] for i in entry["inputs"]]
                errors[selector] = (entry["name"], names, types)
    return errors


def describe_revert(data: str | bytes | None) -> str | None:
    """The sentence for revert data of one of microcred's custom errors, followed by the error's
    name (``credential 0x12… is already revoked (CredentialAlreadyRevoked)``; see
    :mod:`microcred.revert_reasons`), or ``Name(arg=value, ...)`` for an error without a
    sentence; None for data that is not one of them."""
    if data is None:
        return None
    if isinstance(data, str):
        try:
            data = bytes.fromhex(data.removeprefix("0x"))
        except ValueError:
            return None
    known = _custom_errors().get(bytes(data[:4]))
    if known is None:
        return None
    name, names, types = known
    try:
        values = abi_decode(types, bytes(data[4:]))
    except Exception:  # noqa: BLE001 - undecodable arguments: the name alone still helps
        return f"{name}(...)"
    shown = {
        arg: format_argument(arg, kind, value)
        for arg, kind, value in zip(names, types, values, strict=True)
    }
    sentence = explain(name, shown)
    if sentence is not None:
        return f"{sentence} ({name})"
    return f"{name}({', '.join(f'{arg}={value}' for arg, value in shown.items())})"


def _revert_data(err: BaseException) -> bytes | None:
    """The raw revert data inside an exception from web3 (JSON-RPC nodes) or eth-tester."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        candidates: list[Any] = [getattr(current, "data", None), *getattr(current, "args", ())]
        for value in candidates:
            if isinstance(value, dict):
                value = value.get("data")
            if isinstance(value, bytes | bytearray) and len(value) >= 4:
                return bytes(value)
            if isinstance(value, str):
                text = value.removeprefix("execution reverted: ")
                if text.startswith("0x") and len(text) >= 10:
                    try:
                        return bytes.fromhex(text[2:])
                    except ValueError:
                        pass
                if text.startswith(("b'", 'b"')):
                    try:
                        literal = ast.literal_eval(text)
                    except (ValueError, SyntaxError):
                        literal = None
                    if isinstance(literal, bytes) and len(literal) >= 4:
                        return literal
            inner = getattr(value, "args", None)
            if inner and isinstance(inner[0], bytes | bytearray) and len(inner[0]) >= 4:
                return bytes(inner[0])
        todo += [current.__cause__, current.__context__]
    return None


def _revert_error(err: BaseException, action: str) -> ChainError:
    described = describe_revert(_revert_data(err))
    if described is not None:
        return ChainError(f"The chain refused to {action}: {described}.")
    message = getattr(err, "message", None) or (err.args[0] if err.args else type(err).__name__)
    # Not a custom error: the node's own text, which may quote the RPC URL and its key.
    return ChainError(f"The chain refused to {action}: {redact(str(message))}.")


#: What a revert looks like from web3 (JSON-RPC nodes), and from eth-tester once a test chain has
#: loaded it (see :func:`_recognise_test_backend`).
_REVERTS: tuple[type[BaseException], ...] = (ContractCustomError, ContractLogicError)


def _recognise_test_backend() -> None:
    """Add eth-tester's ``TransactionFailed`` to :data:`_REVERTS` if a test chain loaded it.

    The library never imports test backends itself: eth-tester pulls in py_ecc, which raises
    Python's recursion limit to 100,000, and then a deeply nested JSON overflows the C stack
    (SIGSEGV) instead of raising RecursionError. web3's eth-tester provider imports it before it
    can raise anything, so looking in ``sys.modules`` before each call is enough."""
    global _REVERTS
    module = sys.modules.get("eth_tester.exceptions")
    failed = getattr(module, "TransactionFailed", None)
    if isinstance(failed, type) and issubclass(failed, BaseException) and failed not in _REVERTS:
        _REVERTS = (*_REVERTS, failed)


_recognise_test_backend()


@contextmanager
def _reaching_node(action: str) -> Iterator[None]:
    """The node going away (refused, 5xx, timeout) or answering an error that is not a revert
    becomes a :class:`ChainError`, so a run that loses its node stops with one sentence; its
    journal already says what was sent, and running again reconciles with the chain.

    The sentence never quotes the error's URL: ``requests`` puts the whole RPC URL in its
    errors, and a provider's key is often part of it."""
    _recognise_test_backend()
    try:
        yield
    except RequestException as err:
        raise ChainError(
            f"Lost the RPC node while trying to {action} ({type(err).__name__}: "
            f"{redact(str(err))}): check the node, then run the command again."
        ) from None
    except Web3RPCError as err:
        message = getattr(err, "message", None) or str(err)
        raise ChainError(f"The RPC node refused to {action}: {redact(str(message))}.") from None


# --------------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------------


class Chain:
    """microcred's two contracts on one chain, read through ``w3`` and written with a signer.

    Build it with :meth:`connect`, which checks the network and the addresses first.
    """

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.registry = w3.eth.contract(
            address=to_checksum_address(deployment.registry.address), abi=load_abi("IssuerRegistry")
        )
        self.credential = w3.eth.contract(
            address=to_checksum_address(deployment.credential.address), abi=load_abi("Credential")
        )

    @classmethod
    def connect(cls, w3: Web3, deployment: Deployment) -> Chain:
        """A client, once ``w3`` is known to be on the deployment's chain with both contracts."""
        try:
            chain_id = int(w3.eth.chain_id)
        except Exception as err:  # noqa: BLE001 - any transport failure means the same to the user
            raise ConfigError(
                f"Cannot reach the RPC node ({type(err).__name__}): "
                "check --rpc / MICROCRED_RPC_URL."
            ) from None
        if chain_id != deployment.chain_id:
            raise ConfigError(
                f"The RPC node is on chain {chain_id} but the deployment file is for chain "
                f"{deployment.chain_id}: use the deployment file of chain {chain_id} "
                "(or another RPC)."
            )
        for name, contract in (
            ("IssuerRegistry", deployment.registry),
            ("Credential", deployment.credential),
        ):
            if not w3.eth.get_code(to_checksum_address(contract.address)):
                raise ConfigError(
                    f"There is no contract at the {name} address {contract.address} on chain "
                    f"{chain_id}: the deployment file is stale "
                    "(redeploy, or fix MICROCRED_DEPLOYMENT)."
                )
        return cls(w3, deployment)

    @property
    def chain_id(self) -> int:
        return self.deployment.chain_id

    # --- raw JSON-RPC ---------------------------------------------------------------------------
    # For a thousand records, web3's result formatting costs more than the request itself, so the
    # bulk reads go to JSON-RPC providers directly and are decoded with eth-abi. Providers that are
    # not JSON-RPC (eth-tester) take the ordinary web3 path.

    @property
    def _json_rpc(self) -> bool:
        return isinstance(self.w3.provider, JSONBaseProvider)

    def _call_data(self, contract: Any, name: str, *args: Any) -> dict[str, str]:
        abi = _function_abi(contract, name)
        types = [collapse_if_tuple(i) for i in abi["inputs"]]
        data = function_abi_to_4byte_selector(abi) + abi_encode(types, list(args))
        return {"to": contract.address, "data": "0x" + data.hex()}

    def _result(self, response: Any, action: str) -> Any:
        if "error" in response:
            error = response["error"]
            described = describe_revert(error.get("data") if isinstance(error, dict) else None)
            message = described or (error.get("message") if isinstance(error, dict) else error)
            raise ChainError(f"The chain refused to {action}: {redact(str(message))}.")
        return response["result"]

    def _decode(self, contract: Any, name: str, data: str) -> Any:
        types = [collapse_if_tuple(o) for o in _function_abi(contract, name)["outputs"]]
        return abi_decode(types, bytes.fromhex(data.removeprefix("0x")))[0]

    @property
    def registry_address(self) -> str:
        return self.deployment.registry.address

    def _call(self, fn: Any, action: str) -> Any:
        with _reaching_node(action):
            try:
                return fn.call()
            except _REVERTS as err:
                raise _revert_error(err, action) from None

    # --- registry views ---------------------------------------------------------------------------

    def issuers(self) -> list[Issuer]:
        """Every issuer with its signers, in id order (one call)."""
        return [
            _issuer(raw) for raw in self._call(self.registry.functions.issuers(), "list issuers")
        ]

    def issuer_profiles(self, issuer_ids: Iterable[int]) -> list[Issuer]:
        """The profiles of ``issuer_ids`` (status, name, profile URI; ``signers`` left empty), in
        one call whose cost does not grow with anyone's keys; status ``none`` for an unknown id."""
        ids = list(dict.fromkeys(int(i) for i in issuer_ids))
        if not ids:
            return []
        raw = self._call(self.registry.functions.issuerProfiles(ids), "read issuer profiles")
        return [_profile(r) for r in raw]

    def issuer(self, issuer_id: int) -> Issuer:
        """One issuer; :class:`ChainError` if the id was never registered."""
        raw = self._call(self.registry.functions.issuer(issuer_id), f"read issuer {issuer_id}")
        return _issuer(raw)

    def issuer_of(self, signer: str) -> tuple[int, bool]:
        """``(issuer id, active)`` that ``signer`` signs for; ``(0, False)`` for a stranger."""
        issuer_id, active = self._call(
            self.registry.functions.issuerOf(checksum(signer, what="signer address")),
            "look up a signer",
        )
        return int(issuer_id), bool(active)

    def template(self, template_id: int) -> Template:
        """One template (status ``none`` if it was never published)."""
        with _reaching_node("read a template"):
            try:
                raw = self.registry.functions.template(template_id).call()
            except _REVERTS as err:
                message = str(_revert_error(err, "read a template"))
                if "IssuerRegistryUnknownTemplate" in message:
                    return Template(
                        id=template_id, issuer_id=0, status="none", published_at=0, uri=""
                    )
                raise ChainError(message) from None
        return _template(raw)

    def templates_of(self, issuer_id: int) -> list[Template]:
        """Every template an issuer published, retired ones included."""
        raw = self._call(
            self.registry.functions.templatesOf(issuer_id), f"list templates of issuer {issuer_id}"
        )
        return [_template(t) for t in raw]

    def is_registrar(self, account: str) -> bool:
        role = self._call(self.registry.functions.REGISTRAR_ROLE(), "read the registrar role")
        return bool(self._call(self.registry.functions.hasRole(role, account), "check a role"))

    def issuers_active(self, issuer_ids: Iterable[int]) -> dict[int, bool]:
        """Whether each issuer is active (``isActiveIssuer``), for the distinct ``issuer_ids``:
        one JSON-RPC batch of ``eth_call``s where the provider can batch (in chunks of 100: some
        providers cap a batch at 100 requests), one call each otherwise."""
        per_batch = 100
        ids = sorted({int(i) for i in issuer_ids})
        action = "read issuer statuses"
        if not self._json_rpc:
            return {
                i: bool(self._call(self.registry.functions.isActiveIssuer(i), action)) for i in ids
            }
        active: dict[int, bool] = {}
        for start in range(0, len(ids), per_batch):
            chunk = ids[start : start + per_batch]
            calls = [
                ("eth_call", [self._call_data(self.registry, "isActiveIssuer", i), "latest"])
                for i in chunk
            ]
            if len(calls) == 1:
                with _reaching_node(action):
                    responses = [
                        self.w3.provider.make_request(RPCEndpoint("eth_call"), calls[0][1])
                    ]
            else:
                responses = self._batch(calls, action)
            for issuer_id, response in zip(chunk, responses, strict=True):
                result = self._result(response, action)
                active[issuer_id] = bool(self._decode(self.registry, "isActiveIssuer", result))
        return active

    # --- credential views -------------------------------------------------------------------------

    def credentials(self, token_ids: Sequence[int]) -> list[CredentialStatus]:
        """Statuses of many credentials (all-zero records for unknown ids): one ``eth_call`` per
        :data:`CREDENTIALS_PER_CALL` ids, sent as one JSON-RPC batch where the provider can."""
        ids = list(token_ids)
        if not ids:
            return []
        chunks = [
            ids[i : i + CREDENTIALS_PER_CALL] for i in range(0, len(ids), CREDENTIALS_PER_CALL)
        ]
        if not self._json_rpc:
            return [
                _status(r)
                for chunk in chunks
                for r in self._call(
                    self.credential.functions.credentials(chunk), "read credentials"
                )
            ]
        calls = [self._call_data(self.credential, "credentials", chunk) for chunk in chunks]
        if len(calls) == 1:
            with _reaching_node("read credentials"):
                response = self.w3.provider.make_request(
                    RPCEndpoint("eth_call"), [calls[0], "latest"]
                )
            responses = [response]
        else:
            responses = self._batch(
                [("eth_call", [c, "latest"]) for c in calls], "read credentials"
            )
        return [
            _status(r)
            for response in responses
            for r in self._decode(
                self.credential, "credentials", self._result(response, "read credentials")
            )
        ]

    def _batch(self, requests: list[tuple[str, list[Any]]], action: str) -> list[Any]:
        """One JSON-RPC batch; the responses in request order."""
        provider: Any = self.w3.provider
        with _reaching_node(action):
            responses = provider.make_batch_request(requests)
        if not isinstance(responses, list):  # the node refused the whole batch
            self._result(responses, action)
        return sorted(responses, key=lambda r: int(r.get("id", 0)))

    def credential_status(self, token_id: int) -> CredentialStatus:
        return self.credentials([token_id])[0]

    def anchor_of(self, root: bytes) -> Anchor:
        """The anchor of a Merkle root (all zero if it was never anchored)."""
        issuer_id, anchored_at, count = self._call(
            self.credential.functions.anchorOf(bytes(root)), "read an anchored batch"
        )
        return Anchor(
            root=bytes(root),
            issuer_id=int(issuer_id),
            anchored_at=int(anchored_at),
            count=int(count),
        )

    def read_state(
        self, token_ids: Sequence[int], issuer_ids: Iterable[int] = ()
    ) -> tuple[list[CredentialStatus], list[Issuer], int]:
        """Statuses of ``token_ids``, the profiles of their issuers and of ``issuer_ids`` (each
        once, without signer lists: :meth:`issuer_profiles`), and the latest block time, in ONE
        round trip (a JSON-RPC batch: a ``credentialsAndIssuers`` call per
        :data:`CREDENTIALS_PER_CALL` ids) where the provider can batch, else in two calls or more.

        Never the whole registry: what it costs grows with the credentials asked about, not with
        how many issuers or keys the registry holds (one issuer adding thousands of keys once made
        every verification exceed a node's gas cap for calls)."""
        ids = list(token_ids)
        wanted = list(dict.fromkeys(int(i) for i in issuer_ids))
        chunks = [
            ids[i : i + CREDENTIALS_PER_CALL] for i in range(0, len(ids), CREDENTIALS_PER_CALL)
        ] or [[]]
        # The extra issuers ride with the first chunk; each chunk brings its credentials' issuers.
        arguments = [(chunk, wanted if n == 0 else []) for n, chunk in enumerate(chunks)]
        if not self._json_rpc:
            results = [
                self._call(
                    self.credential.functions.credentialsAndIssuers(chunk, extra),
                    "read credentials",
                )
                for chunk, extra in arguments
            ]
            now = self.latest_timestamp()
        else:
            requests: list[tuple[str, list[Any]]] = [("eth_getBlockByNumber", ["latest", False])]
            requests += [
                (
                    "eth_call",
                    [
                        self._call_data(self.credential, "credentialsAndIssuers", chunk, extra),
                        "latest",
                    ],
                )
                for chunk, extra in arguments
            ]
            block, *answers = (
                self._result(r, "read credentials")
                for r in self._batch(requests, "read credentials")
            )
            types = [
                collapse_if_tuple(o)
                for o in _function_abi(self.credential, "credentialsAndIssuers")["outputs"]
            ]
            results = [abi_decode(types, bytes.fromhex(a.removeprefix("0x"))) for a in answers]
            now = int(block["timestamp"], 16)
        statuses = [_status(r) for raw_statuses, _ in results for r in raw_statuses]
        issuers: dict[int, Issuer] = {}
        for _, raw_issuers in results:
            for raw in raw_issuers:
                profile = _profile(raw)
                issuers.setdefault(profile.id, profile)
        return statuses, list(issuers.values()), now

    def anchored_state(
        self, entries: Sequence[tuple[bytes, int]]
    ) -> tuple[dict[bytes, Anchor], list[int]]:
        """For anchored entries ``(root, token id)``: the anchor of each root, and when each entry
        was revoked in ITS batch (0 if not; ``anchoredRevokedAt``), in one round trip where the
        provider can batch. Revocation is per batch: token ids are global, and another issuer's
        batch with the same id says nothing about this one."""
        anchors, revoked, _ = self.anchored_state_and_keys(entries, [])
        return anchors, revoked

    def anchored_state_and_keys(
        self, entries: Sequence[tuple[bytes, int]], pairs: Sequence[tuple[int, bytes]]
    ) -> tuple[dict[bytes, Anchor], list[int], dict[tuple[int, bytes], AssertionKey]]:
        """:meth:`anchored_state` of ``entries`` and the registry's records of the signing keys
        ``pairs`` ``(issuer id, public key)``, in ONE round trip where the provider can batch
        (nothing is sent when both are empty)."""
        from .assertion_keys import (
            KEYS_PER_CALL,
            assertion_keys_call_data,
            decode_assertion_keys,
        )

        keys = list(dict.fromkeys((int(i), bytes(k)) for i, k in pairs))
        found = [(bytes(root), int(token_id)) for root, token_id in entries]
        roots = list(dict.fromkeys(root for root, _ in found))
        revoked_args = ([root for root, _ in found], [token_id for _, token_id in found])
        if not found or not self._json_rpc or len(keys) > KEYS_PER_CALL:
            records = self.assertion_keys(keys) if keys else {}
            if not found:
                return {}, [], records
            anchors = {root: self.anchor_of(root) for root in roots}
            revoked = self._call(
                self.credential.functions.anchoredRevokedAt(*revoked_args),
                "read anchored revocations",
            )
            return anchors, [int(r) for r in revoked], records
        requests: list[tuple[str, list[Any]]] = []
        if keys:
            requests.append(("eth_call", [assertion_keys_call_data(self, keys), "latest"]))
        revoked_call = self._call_data(self.credential, "anchoredRevokedAt", *revoked_args)
        requests.append(("eth_call", [revoked_call, "latest"]))
        requests += [
            ("eth_call", [self._call_data(self.credential, "anchorOf", root), "latest"])
            for root in roots
        ]
        action = "read anchored batches and signing keys"
        answers = [self._result(r, action) for r in self._batch(requests, action)]
        records = decode_assertion_keys(self, keys, answers.pop(0)) if keys else {}
        revoked_data, *anchor_data = answers
        anchors = {}
        for root, data in zip(roots, anchor_data, strict=True):
            issuer_id, anchored_at, count = self._decode(self.credential, "anchorOf", data)
            anchors[root] = Anchor(
                root=root, issuer_id=int(issuer_id), anchored_at=int(anchored_at), count=int(count)
            )
        revoked = self._decode(self.credential, "anchoredRevokedAt", revoked_data)
        return anchors, [int(r) for r in revoked], records

    def latest_timestamp(self) -> int:
        """The latest block's time: the chain's "now", which decides expiry."""
        with _reaching_node("read the latest block"):
            return int(self.w3.eth.get_block("latest")["timestamp"])

    # --- transactions -----------------------------------------------------------------------------

    def prepare(
        self, fn: Any, signer: LocalAccount, *, action: str, nonce: int | None = None
    ) -> SentTransaction:
        """Sign ``fn`` (gas estimated, so a revert is caught and named here, before sending)."""
        with _reaching_node(action):
            if nonce is None:
                nonce = self.w3.eth.get_transaction_count(signer.address, "pending")
            try:
                tx = fn.build_transaction(
                    {"from": signer.address, "nonce": nonce, "chainId": self.chain_id}
                )
            except _REVERTS as err:
                raise _revert_error(err, action) from None
        signed = signer.sign_transaction(tx)
        return SentTransaction(
            hash="0x" + bytes(signed.hash).hex(), raw=bytes(signed.raw_transaction), nonce=nonce
        )

    def broadcast(self, tx: SentTransaction) -> None:
        try:
            with _reaching_node("send the transaction"):
                self.w3.eth.send_raw_transaction(tx.raw)
        except _REVERTS as err:
            raise _revert_error(err, "accept the transaction") from None
        except (ValueError, ChainError) as err:
            if "already known" in str(err) or "known transaction" in str(err).lower():
                return
            if isinstance(err, ChainError):
                raise
            raise ChainError(f"The node rejected the transaction: {err}.") from None

    def wait(self, tx_hash: str, *, action: str, timeout: float = RECEIPT_TIMEOUT) -> Any:
        """The receipt of ``tx_hash``; :class:`ChainError` if it reverted or is still pending."""
        try:
            with _reaching_node(action):
                receipt = self.w3.eth.wait_for_transaction_receipt(HexStr(tx_hash), timeout=timeout)
        except TimeExhausted:
            raise ChainError(
                f"Transaction {tx_hash} to {action} is not mined after {timeout:.0f} s; "
                "check it on the network, then run the command again."
            ) from None
        if receipt["status"] != 1:
            raise ChainError(f"Transaction {tx_hash} to {action} reverted on chain.")
        return receipt

    def transact(self, fn: Any, signer: LocalAccount, *, action: str) -> Any:
        """Sign, send and wait: the receipt of a successful transaction."""
        tx = self.prepare(fn, signer, action=action)
        self.broadcast(tx)
        return self.wait(tx.hash, action=action)

    def receipt_if_mined(self, tx_hash: str) -> Any | None:
        """The receipt of ``tx_hash`` if it is mined, else None (also for an unknown hash)."""
        try:
            return self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
        except Exception:  # noqa: BLE001 - TransactionNotFound and provider variants
            return None

    def is_pending(self, tx_hash: str) -> bool:
        try:
            self.w3.eth.get_transaction(HexStr(tx_hash))
        except Exception:  # noqa: BLE001
            return False
        return True

    # --- transactions a browser wallet signs ----------------------------------------------------

    def unsigned(self, fn: Any) -> dict[str, Any]:
        """``{"to", "data", "value"}`` of a contract call, for a wallet to sign and send."""
        return {"to": fn.address, "data": fn._encode_transaction_data(), "value": 0}

    def registry_tx(self, action: str, **kwargs: Any) -> dict[str, Any]:
        """A registry call a wallet signs: ``register`` (name, profile_uri, signers), ``suspend``
        (issuer_id, reason), ``reinstate`` (issuer_id), ``add_signer`` / ``remove_signer``
        (issuer_id, address). Addresses are checked here, with the bad one named."""
        functions = self.registry.functions
        if action == "register":
            name = str(kwargs["name"])
            if not name.strip():
                raise InputError("An issuer needs a name.")
            signers = [checksum(a, what="signer address") for a in kwargs["signers"]]
            if not signers:
                raise InputError("An issuer needs at least one signer address.")
            fn = functions.registerIssuer(name, str(kwargs.get("profile_uri") or ""), signers)
        elif action == "suspend":
            fn = functions.suspendIssuer(int(kwargs["issuer_id"]), str(kwargs.get("reason", "")))
        elif action == "reinstate":
            fn = functions.reinstateIssuer(int(kwargs["issuer_id"]))
        elif action in ("add_signer", "remove_signer"):
            address = checksum(kwargs["address"], what="signer address")
            call = functions.addSigner if action == "add_signer" else functions.removeSigner
            fn = call(int(kwargs["issuer_id"]), address)
        else:
            raise InputError(f"Unknown registry action {action!r}.")
        return self.unsigned(fn)

    def _receipt_json(self, receipt: Any) -> dict[str, Any]:
        return {
            "txHash": "0x" + bytes(receipt["transactionHash"]).hex(),
            "blockNumber": int(receipt["blockNumber"]),
            "gasUsed": int(receipt["gasUsed"]),
            "status": int(receipt["status"]),
        }

    def confirm_sent(
        self, tx_hash: str, expected: dict[str, Any], *, timeout: float = RECEIPT_TIMEOUT
    ) -> dict[str, Any]:
        """The receipt of a transaction a wallet sent, once the chain shows it is the one that was
        built (same contract and calldata) and succeeded: trust the chain, not the wallet."""
        receipt = self.wait(tx_hash, action="confirm the transaction", timeout=timeout)
        sent = self.w3.eth.get_transaction(HexStr(tx_hash))
        data = sent["input"]
        data_hex = data if isinstance(data, str) else "0x" + bytes(data).hex()
        if (
            str(sent.get("to") or "").lower() != str(expected["to"]).lower()
            or data_hex.lower() != str(expected["data"]).lower()
        ):
            raise ChainError(
                f"Transaction {tx_hash} is not the one prepared (another contract or call): "
                "nothing was recorded; check the wallet."
            )
        return self._receipt_json(receipt)

    def send_unsigned(self, tx: dict[str, Any], signer: LocalAccount) -> dict[str, Any]:
        """Sign and send an :meth:`unsigned` transaction with a local key (the demo signer)."""
        params: dict[str, Any] = {
            "from": signer.address,
            "to": to_checksum_address(tx["to"]),
            "data": tx["data"],
            "value": int(tx.get("value", 0)),
        }
        with _reaching_node("send the transaction"):
            try:
                gas = self.w3.eth.estimate_gas(params)  # type: ignore[arg-type]
            except _REVERTS as err:
                raise _revert_error(err, "accept the transaction") from None
            params["gas"] = int(gas * 6 // 5)
            base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
            tip = int(self.w3.eth.max_priority_fee)
            params |= {
                "nonce": self.w3.eth.get_transaction_count(signer.address, "pending"),
                "chainId": self.chain_id,
                "maxPriorityFeePerGas": tip,
                "maxFeePerGas": 2 * base_fee + tip,
            }
        signed = signer.sign_transaction(params)
        tx_hash = "0x" + bytes(signed.hash).hex()
        self.broadcast(SentTransaction(hash=tx_hash, raw=bytes(signed.raw_transaction), nonce=0))
        return self._receipt_json(self.wait(tx_hash, action="send the transaction"))

    # --- registry writes --------------------------------------------------------------------------

    # Assertion keys, which Ed25519 keys speak for which issuer: microcred.assertion_keys holds the
    # record type and the logic; these are its entry points on the client.
    from .assertion_keys import AssertionKey

    def assertion_keys(
        self, pairs: Iterable[tuple[int, bytes]]
    ) -> dict[tuple[int, bytes], AssertionKey]:
        """The registry's records of the distinct ``(issuer id, public key)`` ``pairs`` (raw
        32-byte Ed25519 keys), in first-seen order; ``issuer_id`` 0 for a pair never registered
        (another issuer's record of the same key is not this pair's). One call per 500 pairs."""
        from .assertion_keys import read_assertion_keys

        return read_assertion_keys(self, pairs)

    def register_assertion_key_call(self, public_key: bytes) -> Any:
        """``registerAssertionKey(public_key)``, for :meth:`prepare` or a wallet."""
        from .assertion_keys import register_assertion_key_call

        return register_assertion_key_call(self, public_key)

    def revoke_assertion_key_call(self, issuer_id: int, public_key: bytes, reason: str) -> Any:
        """``revokeAssertionKey(issuer_id, public_key, reason)``, for :meth:`prepare` or a
        wallet."""
        from .assertion_keys import revoke_assertion_key_call

        return revoke_assertion_key_call(self, issuer_id, public_key, reason)

    def register_issuer(
        self, signer: LocalAccount, *, name: str, signers: Sequence[str], profile_uri: str = ""
    ) -> int:
        """Accredit an institution (registrar only); returns its issuer id."""
        addresses = [checksum(s, what="signer address") for s in signers]
        fn = self.registry.functions.registerIssuer(name, profile_uri, addresses)
        receipt = self.transact(fn, signer, action=f"register issuer {name!r}")
        events = self.registry.events.IssuerRegistered().process_receipt(receipt, errors=DISCARD)
        return int(events[0]["args"]["issuerId"])

    def suspend_issuer(self, signer: LocalAccount, issuer_id: int, reason: str) -> Any:
        fn = self.registry.functions.suspendIssuer(issuer_id, reason)
        return self.transact(fn, signer, action=f"suspend issuer {issuer_id}")

    def reinstate_issuer(self, signer: LocalAccount, issuer_id: int) -> Any:
        fn = self.registry.functions.reinstateIssuer(issuer_id)
        return self.transact(fn, signer, action=f"reinstate issuer {issuer_id}")

    def rename_issuer(self, signer: LocalAccount, issuer_id: int, name: str) -> Any:
        """Rename an issuer (registrar only: names are what verifiers show)."""
        if not name.strip():
            raise InputError("An issuer needs a name.")
        fn = self.registry.functions.renameIssuer(issuer_id, name)
        return self.transact(fn, signer, action=f"rename issuer {issuer_id}")

    def update_issuer_profile(self, signer: LocalAccount, issuer_id: int, profile_uri: str) -> Any:
        """Point an issuer at a new profile document (its signers, or the registrar)."""
        fn = self.registry.functions.updateIssuerProfile(issuer_id, profile_uri)
        return self.transact(fn, signer, action=f"update the profile of issuer {issuer_id}")

    def add_signer(self, signer: LocalAccount, issuer_id: int, address: str) -> Any:
        fn = self.registry.functions.addSigner(issuer_id, checksum(address, what="signer address"))
        return self.transact(fn, signer, action=f"add a signer to issuer {issuer_id}")

    def remove_signer(self, signer: LocalAccount, issuer_id: int, address: str) -> Any:
        fn = self.registry.functions.removeSigner(
            issuer_id, checksum(address, what="signer address")
        )
        return self.transact(fn, signer, action=f"remove a signer from issuer {issuer_id}")

    def publish_template(self, signer: LocalAccount, template_id: int) -> Any:
        fn = self.registry.functions.publishTemplate(template_id)
        return self.transact(fn, signer, action="publish the template")

    def retire_template(self, signer: LocalAccount, template_id: int) -> Any:
        fn = self.registry.functions.retireTemplate(template_id)
        return self.transact(fn, signer, action="retire the template")

    # --- credential writes ------------------------------------------------------------------------

    def revoke(self, signer: LocalAccount, token_id: int, reason: str) -> Any:
        fn = self.credential.functions.revoke(token_id, reason)
        return self.transact(fn, signer, action=f"revoke credential 0x{token_id:064x}")

    def anchor_call(self, root: bytes, count: int, manifest: str) -> Any:
        """The ``anchor`` call; ``manifest`` is the batch manifest's CID (its digest is logged)."""
        digest = digest_of_cid(manifest).to_bytes(32, "big")
        return self.credential.functions.anchor(bytes(root), count, digest)

    def claim_call(
        self, root: bytes, recipient: str, token_id: int, expires_at: int, proof: Sequence[bytes]
    ) -> Any:
        return self.credential.functions.claim(
            bytes(root), recipient, token_id, expires_at, [bytes(p) for p in proof]
        )

    def revoke_anchored_call(
        self,
        *,
        root: bytes,
        recipient: str,
        token_id: int,
        expires_at: int,
        proof: Sequence[bytes],
        reason: str,
    ) -> Any:
        return self.credential.functions.revokeAnchored(
            bytes(root), recipient, token_id, expires_at, [bytes(p) for p in proof], reason
        )

    def revoke_anchored(
        self,
        signer: LocalAccount,
        *,
        root: bytes,
        recipient: str,
        token_id: int,
        expires_at: int,
        proof: Sequence[bytes],
        reason: str,
    ) -> Any:
        fn = self.revoke_anchored_call(
            root=root,
            recipient=recipient,
            token_id=token_id,
            expires_at=expires_at,
            proof=proof,
            reason=reason,
        )
        return self.transact(fn, signer, action=f"revoke anchored credential 0x{token_id:064x}")

    def issue_batch_call(
        self, recipients: Sequence[str], token_ids: Sequence[int], expiries: Sequence[int]
    ) -> Any:
        return self.credential.functions.issueBatch(
            list(recipients), list(token_ids), list(expiries)
        )

    def issue_call(self, recipient: str, token_id: int, expires_at: int, replaces: int = 0) -> Any:
        if replaces:
            return self.credential.functions.reissue(recipient, token_id, expires_at, replaces)
        return self.credential.functions.issue(recipient, token_id, expires_at)


class RequestCounter:
    """Counts the JSON-RPC requests ``w3`` sends while installed (tests and benchmarks).

    >>> counter = RequestCounter.install(w3)  # doctest: +SKIP
    >>> counter.methods  # doctest: +SKIP
    ['eth_call']
    """

    def __init__(self) -> None:
        self.methods: list[str] = []
        self._name = ""
        self._w3: Any = None

    @property
    def count(self) -> int:
        return len(self.methods)

    def reset(self) -> None:
        self.methods.clear()

    @classmethod
    def install(cls, w3: Web3) -> RequestCounter:
        from web3.middleware import Web3Middleware

        counter = cls()

        class _Counting(Web3Middleware):
            def wrap_make_request(self, make_request: Callable[..., Any]) -> Callable[..., Any]:
                def counting(method: Any, params: Any) -> Any:
                    counter.methods.append(str(method))
                    return make_request(method, params)

                return counting

        counter._name = f"microcred-counter-{id(counter)}"
        counter._w3 = w3
        w3.middleware_onion.add(_Counting, name=counter._name)
        return counter

    def remove(self) -> None:
        """Stop counting (take the middleware out of ``w3``)."""
        self._w3.middleware_onion.remove(self._name)
