// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC5192} from "./IERC5192.sol";
import {IIssuerRegistry} from "./IIssuerRegistry.sol";

/// @title ICredential
/// @notice Soulbound micro-credentials: ERC-721 tokens that never move (ERC-5192), issued by the
/// signers of issuers accredited in an {IIssuerRegistry}.
/// @dev The token id is `uint256(sha256(document))`, where the document is the credential's
/// canonical JSON (ERC-721 metadata and an Open Badges 3.0 credential at once). `tokenURI` is
/// `ipfs://` + the CIDv1 (raw codec, sha2-256, base32) of that digest, so the id proves the content.
///
/// Listing a wallet's credentials takes two RPC calls whatever their number: `eth_getLogs` for
/// `Transfer(address(0), wallet, *)` (topic 2 = the wallet), then {credentials} with those ids.
interface ICredential is IERC721Metadata, IERC5192 {
    /// @notice Everything a verifier needs about one credential, as returned by the views.
    /// Every field is zero for an id that was never issued.
    struct CredentialStatus {
        uint256 tokenId;
        address holder; // zero once burned (renounced) or if never issued
        uint32 issuerId; // issuer in the registry
        uint64 issuedAt; // block timestamp of issue; zero only if never issued
        uint64 expiresAt; // zero: never expires
        uint64 revokedAt; // zero: not revoked
        uint256 replaces; // id of the credential this one corrects or re-issues, or zero
        uint256 replacedBy; // id of the credential that superseded this one, or zero
        bool issuerActive; // whether the issuer is active in the registry now
        bool valid; // exists, not revoked, not expired, issuer active
    }

    /// @notice A Merkle root an issuer committed to: a batch of credentials, claimable one by one.
    /// One storage slot. All zero for a root never anchored.
    struct Anchor {
        uint32 issuerId; // the issuer whose signer anchored it; zero: never anchored
        uint32 anchoredAt; // block timestamp of the anchor: the issue time of every credential in it
        uint32 count; // credentials in the batch, as the issuer declared it (for indexers)
    }

    /// @dev Credentials never move: every transfer path reverts with this.
    error CredentialNonTransferable(uint256 tokenId);
    /// @dev Approvals are meaningless for tokens that never move.
    error CredentialApprovalDisabled();
    /// @dev `account` is not a signer of an active issuer.
    error CredentialUnauthorizedSigner(address account);
    /// @dev `account` does not sign for the issuer of `tokenId` (or that issuer is suspended).
    error CredentialNotIssuerSigner(address account, uint256 tokenId);
    /// @dev This id was issued before (it may since be revoked or burned): an id is used once, ever.
    error CredentialAlreadyIssued(uint256 tokenId);
    /// @dev The expiry is not in the future, or does not fit in 32 bits (after 2106-02-07).
    error CredentialInvalidExpiry(uint256 tokenId, uint64 expiresAt);
    /// @dev The credential is revoked already.
    error CredentialAlreadyRevoked(uint256 tokenId);
    /// @dev A revocation needs a reason, for the public record.
    error CredentialEmptyReason();
    /// @dev The credential was superseded already by `replacedBy`.
    error CredentialAlreadyReplaced(uint256 tokenId, uint256 replacedBy);
    /// @dev `account` does not hold `tokenId`.
    error CredentialNotHolder(address account, uint256 tokenId);
    /// @dev The arrays of a batch differ in length.
    error CredentialBatchLengthMismatch(uint256 recipients, uint256 tokenIds, uint256 expiries);
    /// @dev A batch must hold at least one credential.
    error CredentialEmptyBatch();
    /// @dev The zero root commits to nothing.
    error CredentialEmptyRoot();
    /// @dev This root was anchored already (by any issuer).
    error CredentialRootExists(bytes32 root);
    /// @dev No issuer anchored this root.
    error CredentialUnknownRoot(bytes32 root);
    /// @dev The proof does not show that `(recipient, tokenId, expiresAt)` is a leaf under `root`.
    error CredentialInvalidProof(bytes32 root, uint256 tokenId);
    /// @dev The issuer of the anchor is suspended: its credentials cannot be claimed for now.
    error CredentialIssuerNotActive(uint32 issuerId);
    /// @dev A batched view was given `roots` roots for `tokenIds` token ids.
    error CredentialRootsLengthMismatch(uint256 roots, uint256 tokenIds);

    /// @notice A credential was issued. Alongside the ERC-721 `Transfer` from the zero address and the
    /// ERC-5192 `Locked`: this one carries the issuer, the signing key and the expiry for indexers.
    event CredentialIssued(
        uint256 indexed tokenId, uint32 indexed issuerId, address indexed signer, uint64 expiresAt
    );
    /// @notice A credential was revoked. It stays in its holder's wallet, marked revoked, forever.
    event CredentialRevoked(uint256 indexed tokenId, uint32 indexed issuerId, address indexed by, string reason);
    /// @notice A signer of `issuerId` committed to a batch of `count` credentials under Merkle `root`.
    /// `manifest` is the sha256 digest of the batch manifest on IPFS (CIDv1, raw codec): how a
    /// wallet finds the credentials waiting for it. Logged only, never stored.
    event BatchAnchored(
        bytes32 indexed root, uint32 indexed issuerId, address indexed signer, uint32 count, bytes32 manifest
    );
    /// @notice A signer of `issuerId`, the issuer of batch `root`, revoked the unclaimed entry `tokenId`
    /// of that batch: it can never be claimed from `root`. Only this batch: token ids are global,
    /// and another issuer's batch or credential with the same id is not touched.
    event AnchoredCredentialRevoked(
        bytes32 indexed root, uint256 indexed tokenId, uint32 indexed issuerId, address by, string reason
    );
    /// @notice A copy of `tokenId` that issuer `fromIssuerId` minted after batch `root` was anchored
    /// was removed by the claim of that batch's entry (the rightful one: it was public first).
    /// Emitted before the claim's own `Transfer`, `Locked` and {CredentialClaimed}.
    event CredentialDisplaced(uint256 indexed tokenId, uint32 indexed fromIssuerId, bytes32 indexed root);
    /// @notice A credential of the batch `root` was claimed: minted to the recipient named in its leaf.
    /// Alongside the ERC-721 `Transfer` from the zero address and the ERC-5192 `Locked`.
    event CredentialClaimed(uint256 indexed tokenId, bytes32 indexed root);
    /// @notice `newTokenId` re-issues (corrects, or moves to a new wallet) `oldTokenId`, which was revoked as superseded.
    event CredentialReplaced(uint256 indexed oldTokenId, uint256 indexed newTokenId);

    /// @notice Issues one credential. Only a signer of an active issuer.
    /// @param to The learner's wallet.
    /// @param tokenId `uint256(sha256(document))`; the document must already be on IPFS.
    /// @param expiresAt Unix time after which the credential is expired, or zero for never.
    function issue(address to, uint256 tokenId, uint64 expiresAt) external;

    /// @notice Issues many credentials in one transaction. All or nothing: any invalid entry reverts the batch.
    function issueBatch(address[] calldata to, uint256[] calldata tokenIds, uint64[] calldata expiresAt) external;

    /// @notice Issues a credential that replaces `replaces` (a corrected document, or a learner's new
    /// wallet) and, unless it is revoked already, revokes the old one with the reason "superseded".
    /// Only a signer of the active issuer of `replaces`.
    function reissue(address to, uint256 tokenId, uint64 expiresAt, uint256 replaces) external;

    /// @notice Revokes a credential. Any current signer of its active issuer, whoever issued it.
    /// @param reason Why, for the public record (non-empty).
    function revoke(uint256 tokenId, string calldata reason) external;

    /// @notice Revokes many credentials of the caller's issuer with one reason. All or nothing.
    function revokeBatch(uint256[] calldata tokenIds, string calldata reason) external;

    /// @notice The holder renounces a credential: the token is burned. Its id can never be issued again.
    function burn(uint256 tokenId) external;

    /// @notice Commits a batch of credentials at once: one Merkle root over leaves
    /// `keccak256(bytes.concat(keccak256(abi.encode(recipient, tokenId, expiresAt))))` with types
    /// `(address, uint256, uint64)` and sorted-pair hashing (OpenZeppelin's `MerkleProof` and
    /// `StandardMerkleTree`). Only a signer of an active issuer. Each credential is then verifiable
    /// with its document and proof, and claimable with {claim}.
    /// @param root The Merkle root (non-zero, never anchored before).
    /// @param count How many credentials the batch holds (non-zero; recorded, not checked).
    /// @param manifest sha256 digest of the batch manifest stored on IPFS (emitted, not checked).
    function anchor(bytes32 root, uint32 count, bytes32 manifest) external;

    /// @notice Mints an anchored credential to the recipient named in its leaf, never to the caller:
    /// anyone may send it (the learner, or a relayer paying the gas). The credential is then exactly
    /// like a directly issued one, issued at the anchor's time by the anchor's issuer.
    ///
    /// Token ids are global and a manifest publishes its ids, so another issuer could mint the same
    /// id first (issue it, or anchor and claim a copy). A copy minted by another issuer strictly
    /// after this batch was anchored is displaced: its record, holder balance, revocation and
    /// re-issue links are cleared ({CredentialDisplaced}, and `Transfer` to zero if it had a holder),
    /// then the entry is minted. A copy minted in the same second as the anchor or earlier is not.
    /// @dev Reverts if the root is unknown, the proof fails, the entry was revoked in this batch,
    /// the issuer is not active, the id was minted by this issuer or (not displaceable) by another,
    /// or its expiry is past.
    function claim(bytes32 root, address recipient, uint256 tokenId, uint64 expiresAt, bytes32[] calldata proof)
        external;

    /// @notice Revokes an anchored credential that was not claimed yet: it can then never be
    /// claimed from `root`. Any current signer of the anchor's active issuer, proving the leaf is in
    /// the batch. Per batch: it never marks the token id itself, so no issuer can revoke, block or
    /// pre-revoke another issuer's credential with the same id. A credential this issuer minted
    /// (claimed, or issued directly) is revoked with {revoke}.
    /// @dev Emits {AnchoredCredentialRevoked}, not {CredentialRevoked}.
    /// @param reason Why, for the public record (non-empty).
    function revokeAnchored(
        bytes32 root,
        address recipient,
        uint256 tokenId,
        uint64 expiresAt,
        bytes32[] calldata proof,
        string calldata reason
    ) external;

    /// @notice The anchor of `root`; all zero if it was never anchored.
    function anchorOf(bytes32 root) external view returns (Anchor memory);

    /// @notice When the entry `tokenIds[i]` of batch `roots[i]` was revoked ({revokeAnchored}), zero
    /// if it was not: one call for every anchored entry a verifier looks at.
    function anchoredRevokedAt(bytes32[] calldata roots, uint256[] calldata tokenIds)
        external
        view
        returns (uint64[] memory);

    /// @notice The registry this contract trusts for issuers and signers.
    function registry() external view returns (IIssuerRegistry);

    /// @notice Whether the credential exists, is not revoked, not expired, and its issuer is active.
    function isValid(uint256 tokenId) external view returns (bool);

    /// @notice The status of one credential; all zero for an id never issued.
    function credential(uint256 tokenId) external view returns (CredentialStatus memory);

    /// @notice The statuses of many credentials in one call; all zero for ids never issued.
    function credentials(uint256[] calldata tokenIds) external view returns (CredentialStatus[] memory);

    /// @notice {credentials}, plus the registry profiles (no signer lists) of the issuers of those
    /// credentials and of `issuerIds` (e.g. the issuers of anchored batches), each once: everything a
    /// verifier reads, in one call whose cost grows with the credentials asked about, not with the
    /// registry.
    function credentialsAndIssuers(uint256[] calldata tokenIds, uint32[] calldata issuerIds)
        external
        view
        returns (CredentialStatus[] memory statuses, IIssuerRegistry.IssuerProfile[] memory issuers);
}
