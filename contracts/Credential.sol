// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC165, IERC165} from "@openzeppelin/contracts/utils/introspection/ERC165.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ICredential} from "./interfaces/ICredential.sol";
import {IERC5192} from "./interfaces/IERC5192.sol";
import {IIssuerRegistry} from "./interfaces/IIssuerRegistry.sol";
import {IpfsCid} from "./libraries/IpfsCid.sol";

/// @title Credential
/// @notice Soulbound micro-credentials (ERC-721 + ERC-5192) issued by accredited institutions.
///
/// @dev Why not OpenZeppelin's ERC721 or solady's: a credential never moves, so none of ERC-721's
/// transfer and approval machinery is needed, only its interface. OpenZeppelin's ERC721 keeps the
/// owner in a private mapping, so a per-credential record costs a second storage slot (~70k gas per
/// credential to a new holder, measured); solady packs 96 bits beside the owner but in hand-written
/// assembly we would have to audit for features we forbid anyway. This contract implements the
/// OpenZeppelin interfaces (IERC721, IERC721Metadata, ERC165, IERC721Errors) directly, with every
/// transfer path reverting, and keeps the whole record in one slot:
///
///   slot of _records[tokenId]:  [ expiresAt: 32 | issuedAt: 32 | issuerId: 32 | holder: 160 ]
///
/// Issuing to a new holder so writes two fresh slots (record, balance): the physical floor
/// (~50k gas per credential in a batch; `make bench` prints the figures). Timestamps are uint32
/// (good until 2106); `issuedAt` is never zero for an id that was ever issued, which is how burned
/// ids stay unusable. Revocation and re-issue links live in their own mappings: they are rare.
///
/// Merkle-anchored batches: {anchor} records one root per batch (one slot, whatever the batch
/// size); {claim} later mints one credential of it through the same `_mint` as {issue}, with the
/// anchor's issuer and time. A claim to a new holder still writes the same two fresh slots as a
/// direct issue; what anchoring saves is the issuer's gas (one transaction for the whole cohort)
/// and the wait: every credential is verifiable from its document and proof before any claim.
/// Token ids are global but a batch belongs to one issuer, so everything about an unclaimed entry
/// is kept per (root, token id): revoking it ({revokeAnchored}) sets `_anchoredRevokedAt[root][id]`,
/// never `_revokedAt[id]`, which is only ever set on minted ids. And since a manifest makes its ids
/// public, a copy another issuer mints after the anchor is displaced by the rightful claim.
contract Credential is ICredential, IERC721Errors, ERC165 {
    struct Record {
        address holder; // zero: never issued, or burned
        uint32 issuerId;
        uint32 issuedAt; // zero: never issued
        uint32 expiresAt; // zero: never expires
    }

    string private constant _SUPERSEDED = "superseded";

    IIssuerRegistry private immutable _registry;
    string private _name;
    string private _symbol;

    mapping(uint256 tokenId => Record) private _records;
    mapping(address holder => uint256) private _balances;
    mapping(uint256 tokenId => uint64) private _revokedAt;
    mapping(uint256 tokenId => uint256) private _replaces;
    mapping(uint256 tokenId => uint256) private _replacedBy;
    mapping(bytes32 root => Anchor) private _anchors;
    mapping(bytes32 root => mapping(uint256 tokenId => uint64)) private _anchoredRevokedAt;

    /// @param registry_ The issuer registry to trust.
    /// @param name_ ERC-721 collection name, e.g. "microcred".
    /// @param symbol_ ERC-721 collection symbol, e.g. "CRED".
    constructor(IIssuerRegistry registry_, string memory name_, string memory symbol_) {
        _registry = registry_;
        _name = name_;
        _symbol = symbol_;
    }

    // ------------------------------------------------------------------ issuing

    /// @inheritdoc ICredential
    function issue(address to, uint256 tokenId, uint64 expiresAt) external {
        uint32 issuerId = _activeIssuerOfSender();
        _issue(issuerId, to, tokenId, expiresAt);
    }

    /// @inheritdoc ICredential
    function issueBatch(address[] calldata to, uint256[] calldata tokenIds, uint64[] calldata expiresAt) external {
        uint256 count = to.length;
        if (count == 0) revert CredentialEmptyBatch();
        if (tokenIds.length != count || expiresAt.length != count) {
            revert CredentialBatchLengthMismatch(count, tokenIds.length, expiresAt.length);
        }
        // One registry call for the whole batch: no external call inside the loop.
        uint32 issuerId = _activeIssuerOfSender();
        for (uint256 i = 0; i < count; ++i) {
            _issue(issuerId, to[i], tokenIds[i], expiresAt[i]);
        }
    }

    /// @inheritdoc ICredential
    function reissue(address to, uint256 tokenId, uint64 expiresAt, uint256 replaces) external {
        uint32 issuerId = _checkIssuerSigner(replaces);
        uint256 replacedBy = _replacedBy[replaces];
        if (replacedBy != 0) revert CredentialAlreadyReplaced(replaces, replacedBy);
        _issue(issuerId, to, tokenId, expiresAt);
        _replaces[tokenId] = replaces;
        _replacedBy[replaces] = tokenId;
        emit CredentialReplaced(replaces, tokenId);
        if (_revokedAt[replaces] == 0) {
            _revoke(replaces, issuerId, _SUPERSEDED);
        }
    }

    // ------------------------------------------------------------------ anchored batches

    /// @inheritdoc ICredential
    function anchor(bytes32 root, uint32 count, bytes32 manifest) external {
        if (root == bytes32(0)) revert CredentialEmptyRoot();
        if (count == 0) revert CredentialEmptyBatch();
        uint32 issuerId = _activeIssuerOfSender();
        // First come, first served: a root names one issuer's batch forever.
        if (_anchors[root].issuerId != 0) revert CredentialRootExists(root);
        _anchors[root] = Anchor({issuerId: issuerId, anchoredAt: uint32(block.timestamp), count: count});
        emit BatchAnchored(root, issuerId, msg.sender, count, manifest);
    }

    /// @inheritdoc ICredential
    function claim(bytes32 root, address recipient, uint256 tokenId, uint64 expiresAt, bytes32[] calldata proof)
        external
    {
        Anchor memory anchored = _anchors[root];
        if (anchored.issuerId == 0) revert CredentialUnknownRoot(root);
        _checkLeaf(root, recipient, tokenId, expiresAt, proof);
        // Revoked in this batch before anyone claimed it (revokeAnchored): it never reaches a wallet.
        if (_anchoredRevokedAt[root][tokenId] != 0) revert CredentialAlreadyRevoked(tokenId);
        // A suspended issuer's batch waits: a claim must not mint what a direct issue could not.
        if (!_registry.isActiveIssuer(anchored.issuerId)) revert CredentialIssuerNotActive(anchored.issuerId);
        Record memory existing = _records[tokenId];
        if (existing.issuedAt != 0) {
            // Another issuer minted this id strictly after the batch made it public: a copy, which
            // the batch's own entry displaces. Anything else (this issuer's own, or a mint in the same
            // second or before) stands, and the id is taken.
            if (existing.issuerId == anchored.issuerId || existing.issuedAt <= anchored.anchoredAt) {
                revert CredentialAlreadyIssued(tokenId);
            }
            _displace(tokenId, existing, root);
        }
        _mint(anchored.issuerId, recipient, tokenId, expiresAt, anchored.anchoredAt);
        emit CredentialClaimed(tokenId, root);
    }

    /// @inheritdoc ICredential
    function revokeAnchored(
        bytes32 root,
        address recipient,
        uint256 tokenId,
        uint64 expiresAt,
        bytes32[] calldata proof,
        string calldata reason
    ) external {
        if (bytes(reason).length == 0) revert CredentialEmptyReason();
        uint32 issuerId = _anchors[root].issuerId;
        if (issuerId == 0) revert CredentialUnknownRoot(root);
        (uint32 signerIssuer, bool active) = _registry.issuerOf(msg.sender);
        if (signerIssuer != issuerId || !active) revert CredentialNotIssuerSigner(msg.sender, tokenId);
        _checkLeaf(root, recipient, tokenId, expiresAt, proof);
        // Minted by this issuer (claimed, or issued directly): {revoke} applies. A record of another
        // issuer with the same id is not this batch's business and does not stop it.
        if (_records[tokenId].issuerId == issuerId) revert CredentialAlreadyIssued(tokenId);
        if (_anchoredRevokedAt[root][tokenId] != 0) revert CredentialAlreadyRevoked(tokenId);
        _anchoredRevokedAt[root][tokenId] = uint64(block.timestamp);
        emit AnchoredCredentialRevoked(root, tokenId, issuerId, msg.sender, reason);
    }

    // ------------------------------------------------------------------ revoking and renouncing

    /// @inheritdoc ICredential
    function revoke(uint256 tokenId, string calldata reason) external {
        if (bytes(reason).length == 0) revert CredentialEmptyReason();
        uint32 issuerId = _checkIssuerSigner(tokenId);
        if (_revokedAt[tokenId] != 0) revert CredentialAlreadyRevoked(tokenId);
        _revoke(tokenId, issuerId, reason);
    }

    /// @inheritdoc ICredential
    function revokeBatch(uint256[] calldata tokenIds, string calldata reason) external {
        if (tokenIds.length == 0) revert CredentialEmptyBatch();
        if (bytes(reason).length == 0) revert CredentialEmptyReason();
        (uint32 issuerId, bool active) = _registry.issuerOf(msg.sender);
        if (!active) revert CredentialUnauthorizedSigner(msg.sender);
        for (uint256 i = 0; i < tokenIds.length; ++i) {
            uint256 tokenId = tokenIds[i];
            Record storage record = _records[tokenId];
            if (record.issuedAt == 0) revert ERC721NonexistentToken(tokenId);
            if (record.issuerId != issuerId) revert CredentialNotIssuerSigner(msg.sender, tokenId);
            if (_revokedAt[tokenId] != 0) revert CredentialAlreadyRevoked(tokenId);
            _revoke(tokenId, issuerId, reason);
        }
    }

    /// @inheritdoc ICredential
    function burn(uint256 tokenId) external {
        Record storage record = _records[tokenId];
        address holder = record.holder;
        if (holder == address(0)) revert ERC721NonexistentToken(tokenId);
        if (holder != msg.sender) revert CredentialNotHolder(msg.sender, tokenId);
        // The rest of the record stays: issuedAt != 0 keeps the id from ever being issued again.
        record.holder = address(0);
        unchecked {
            --_balances[holder];
        }
        emit Transfer(holder, address(0), tokenId);
    }

    // ------------------------------------------------------------------ ERC-721 (soulbound)

    /// @inheritdoc IERC721
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _balances[owner];
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 tokenId) external view returns (address) {
        return _requireHolder(tokenId);
    }

    /// @notice Always reverts: credentials never move.
    function safeTransferFrom(address, address, uint256 tokenId, bytes calldata) external pure {
        revert CredentialNonTransferable(tokenId);
    }

    /// @notice Always reverts: credentials never move.
    function safeTransferFrom(address, address, uint256 tokenId) external pure {
        revert CredentialNonTransferable(tokenId);
    }

    /// @notice Always reverts: credentials never move.
    function transferFrom(address, address, uint256 tokenId) external pure {
        revert CredentialNonTransferable(tokenId);
    }

    /// @notice Always reverts: there is nothing to approve.
    function approve(address, uint256) external pure {
        revert CredentialApprovalDisabled();
    }

    /// @notice Always reverts: there is nothing to approve.
    function setApprovalForAll(address, bool) external pure {
        revert CredentialApprovalDisabled();
    }

    /// @notice Nobody is ever approved. Reverts for a token that does not exist, as ERC-721 asks.
    function getApproved(uint256 tokenId) external view returns (address) {
        _requireHolder(tokenId);
        return address(0);
    }

    /// @notice Nobody is ever an operator.
    function isApprovedForAll(address, address) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc IERC721Metadata
    function name() external view returns (string memory) {
        return _name;
    }

    /// @inheritdoc IERC721Metadata
    function symbol() external view returns (string memory) {
        return _symbol;
    }

    /// @notice `ipfs://` + the CIDv1 (raw, sha2-256, base32) of the document whose sha256 is `tokenId`.
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        _requireHolder(tokenId);
        return IpfsCid.uri(tokenId);
    }

    /// @notice Always true for a credential that exists; reverts for one that does not, as ERC-5192 asks.
    function locked(uint256 tokenId) external view returns (bool) {
        _requireHolder(tokenId);
        return true;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) public view override(ERC165, IERC165) returns (bool) {
        return interfaceId == type(IERC721).interfaceId || interfaceId == type(IERC721Metadata).interfaceId
            || interfaceId == type(IERC5192).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ views for verifiers

    /// @inheritdoc ICredential
    function anchorOf(bytes32 root) external view returns (Anchor memory) {
        return _anchors[root];
    }

    /// @inheritdoc ICredential
    function anchoredRevokedAt(bytes32[] calldata roots, uint256[] calldata tokenIds)
        external
        view
        returns (uint64[] memory revokedAt)
    {
        if (roots.length != tokenIds.length) revert CredentialRootsLengthMismatch(roots.length, tokenIds.length);
        revokedAt = new uint64[](roots.length);
        for (uint256 i = 0; i < roots.length; ++i) {
            revokedAt[i] = _anchoredRevokedAt[roots[i]][tokenIds[i]];
        }
    }

    /// @inheritdoc ICredential
    function registry() external view returns (IIssuerRegistry) {
        return _registry;
    }

    /// @inheritdoc ICredential
    function isValid(uint256 tokenId) external view returns (bool) {
        Record memory record = _records[tokenId];
        if (record.holder == address(0)) return false;
        return _isLive(tokenId, record) && _registry.isActiveIssuer(record.issuerId);
    }

    /// @inheritdoc ICredential
    function credential(uint256 tokenId) external view returns (CredentialStatus memory) {
        Record memory record = _records[tokenId];
        bool issuerActive = record.issuerId != 0 && _registry.isActiveIssuer(record.issuerId);
        return _status(tokenId, record, issuerActive);
    }

    /// @inheritdoc ICredential
    function credentials(uint256[] calldata tokenIds) external view returns (CredentialStatus[] memory) {
        return _credentials(tokenIds);
    }

    /// @inheritdoc ICredential
    function credentialsAndIssuers(uint256[] calldata tokenIds, uint32[] calldata issuerIds)
        external
        view
        returns (CredentialStatus[] memory statuses, IIssuerRegistry.IssuerProfile[] memory issuers)
    {
        statuses = _credentials(tokenIds);
        // The distinct issuer ids, each once (a wallet's credentials come from few issuers).
        uint32[] memory wanted = new uint32[](issuerIds.length + statuses.length);
        uint256 count;
        for (uint256 i = 0; i < issuerIds.length; ++i) {
            count = _addOnce(wanted, count, issuerIds[i]);
        }
        for (uint256 i = 0; i < statuses.length; ++i) {
            count = _addOnce(wanted, count, statuses[i].issuerId);
        }
        uint32[] memory ids = new uint32[](count);
        for (uint256 i = 0; i < count; ++i) {
            ids[i] = wanted[i];
        }
        issuers = _registry.issuerProfiles(ids);
    }

    // ------------------------------------------------------------------ internals

    function _credentials(uint256[] calldata tokenIds) private view returns (CredentialStatus[] memory statuses) {
        statuses = new CredentialStatus[](tokenIds.length);
        // A wallet's credentials mostly come from few issuers: ask the registry once per run of one issuer.
        uint32 lastIssuerId;
        bool lastActive;
        for (uint256 i = 0; i < tokenIds.length; ++i) {
            Record memory record = _records[tokenIds[i]];
            if (record.issuerId != 0 && record.issuerId != lastIssuerId) {
                lastIssuerId = record.issuerId;
                lastActive = _registry.isActiveIssuer(lastIssuerId);
            }
            statuses[i] = _status(tokenIds[i], record, record.issuerId != 0 && lastActive);
        }
    }

    /// @dev Appends `issuerId` to `ids[0:count]` unless it is zero or there already; the new count.
    function _addOnce(uint32[] memory ids, uint256 count, uint32 issuerId) private pure returns (uint256) {
        if (issuerId == 0) return count;
        for (uint256 i = 0; i < count; ++i) {
            if (ids[i] == issuerId) return count;
        }
        ids[count] = issuerId;
        return count + 1;
    }

    /// @dev Removes another issuer's copy of `tokenId` so that the rightful claim from `root` can mint
    /// it: the record, the holder's balance, the revocation and both directions of re-issue links.
    /// The copy's issuer keeps its own other credentials as they are.
    function _displace(uint256 tokenId, Record memory copy, bytes32 root) private {
        delete _records[tokenId];
        delete _revokedAt[tokenId];
        uint256 replaced = _replaces[tokenId];
        if (replaced != 0) {
            delete _replaces[tokenId];
            delete _replacedBy[replaced];
        }
        uint256 replacement = _replacedBy[tokenId];
        if (replacement != 0) {
            delete _replacedBy[tokenId];
            delete _replaces[replacement];
        }
        if (copy.holder != address(0)) {
            unchecked {
                // Cannot underflow: the copy was counted in its holder's balance while it was held.
                --_balances[copy.holder];
            }
            emit Transfer(copy.holder, address(0), tokenId);
        }
        emit CredentialDisplaced(tokenId, copy.issuerId, root);
    }

    function _issue(uint32 issuerId, address to, uint256 tokenId, uint64 expiresAt) private {
        _mint(issuerId, to, tokenId, expiresAt, uint32(block.timestamp));
        emit CredentialIssued(tokenId, issuerId, msg.sender, expiresAt);
    }

    /// @dev The one path by which a credential comes to exist (issue, re-issue, claim): no external call.
    function _mint(uint32 issuerId, address to, uint256 tokenId, uint64 expiresAt, uint32 issuedAt) private {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        Record storage record = _records[tokenId];
        // issuedAt is set forever once an id is used: revoked or burned ids never come back.
        if (record.issuedAt != 0) revert CredentialAlreadyIssued(tokenId);
        if (expiresAt != 0 && (expiresAt <= block.timestamp || expiresAt > type(uint32).max)) {
            revert CredentialInvalidExpiry(tokenId, expiresAt);
        }
        _records[tokenId] =
            Record({holder: to, issuerId: issuerId, issuedAt: issuedAt, expiresAt: uint32(expiresAt)});
        unchecked {
            // Cannot overflow: there are fewer than 2**256 token ids.
            ++_balances[to];
        }
        emit Transfer(address(0), to, tokenId);
        emit Locked(tokenId);
    }

    /// @dev Reverts unless `(recipient, tokenId, expiresAt)` is a leaf under `root` (OpenZeppelin's
    /// double-hashed leaf: no 64-byte leaf can pass for an inner node).
    function _checkLeaf(bytes32 root, address recipient, uint256 tokenId, uint64 expiresAt, bytes32[] calldata proof)
        private
        pure
    {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(recipient, tokenId, expiresAt))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert CredentialInvalidProof(root, tokenId);
    }

    function _revoke(uint256 tokenId, uint32 issuerId, string memory reason) private {
        _revokedAt[tokenId] = uint64(block.timestamp);
        emit CredentialRevoked(tokenId, issuerId, msg.sender, reason);
    }

    function _activeIssuerOfSender() private view returns (uint32 issuerId) {
        bool active;
        (issuerId, active) = _registry.issuerOf(msg.sender);
        if (!active) revert CredentialUnauthorizedSigner(msg.sender);
    }

    /// @dev The caller must sign for the (active) issuer of `tokenId`, which must have been issued.
    /// Any current signer qualifies, not only the one that issued it: rotating keys never loses the
    /// power to revoke.
    function _checkIssuerSigner(uint256 tokenId) private view returns (uint32 issuerId) {
        uint32 recordIssuer = _records[tokenId].issuerId;
        if (recordIssuer == 0) revert ERC721NonexistentToken(tokenId);
        bool active;
        (issuerId, active) = _registry.issuerOf(msg.sender);
        if (issuerId != recordIssuer || !active) revert CredentialNotIssuerSigner(msg.sender, tokenId);
    }

    function _requireHolder(uint256 tokenId) private view returns (address holder) {
        holder = _records[tokenId].holder;
        if (holder == address(0)) revert ERC721NonexistentToken(tokenId);
    }

    function _isLive(uint256 tokenId, Record memory record) private view returns (bool) {
        return _revokedAt[tokenId] == 0 && (record.expiresAt == 0 || block.timestamp < record.expiresAt);
    }

    function _status(uint256 tokenId, Record memory record, bool issuerActive)
        private
        view
        returns (CredentialStatus memory)
    {
        return CredentialStatus({
            tokenId: tokenId,
            holder: record.holder,
            issuerId: record.issuerId,
            issuedAt: record.issuedAt,
            expiresAt: record.expiresAt,
            revokedAt: _revokedAt[tokenId],
            replaces: _replaces[tokenId],
            replacedBy: _replacedBy[tokenId],
            issuerActive: issuerActive,
            valid: record.holder != address(0) && issuerActive && _isLive(tokenId, record)
        });
    }
}
