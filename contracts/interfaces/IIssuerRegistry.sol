// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IIssuerRegistry
/// @notice Which institutions may issue microcred credentials, the signer keys of their staff, the
/// Ed25519 keys that sign their credential documents (assertion keys), and the achievement
/// templates (the skills) each one recognises.
/// @dev Governance: `DEFAULT_ADMIN_ROLE` grants and revokes roles; `REGISTRAR_ROLE` accredits,
/// suspends, reinstates and renames issuers, can add or remove any issuer's signer keys (see
/// {addSigner}) and revoke any issuer's assertion keys. An active issuer's own signers manage that
/// issuer's signers, profile document, templates and assertion keys, never its name. A suspended
/// issuer is frozen: only the registrar can change it.
interface IIssuerRegistry {
    /// @notice Lifecycle of an issuer. `None` means the id was never registered.
    enum IssuerStatus {
        None,
        Active,
        Suspended
    }

    /// @notice Lifecycle of an achievement template. `None` means the id was never published.
    enum TemplateStatus {
        None,
        Published,
        Retired
    }

    /// @notice An issuer as returned by the views.
    struct Issuer {
        uint32 id; // 1-based, in order of registration
        IssuerStatus status;
        string name; // display name of the institution
        string profileURI; // its profile document (an Open Badges Profile), usually ipfs://
        address[] signers; // staff keys allowed to issue and revoke in its name
    }

    /// @notice An issuer without its signers, as verifiers read it ({issuerProfiles}): its size does
    /// not grow with the issuer's keys.
    struct IssuerProfile {
        uint32 id; // as asked; status None if it was never registered
        IssuerStatus status;
        string name; // display name, set by the registrar only
        string profileURI; // its profile document, set by its signers or the registrar
    }

    /// @notice An achievement template as returned by the views.
    struct Template {
        uint256 id; // sha256 of the template document; its CID is derived from it
        uint32 issuerId; // the issuer that published it
        TemplateStatus status;
        uint64 publishedAt; // block timestamp of publication
        string uri; // ipfs:// URI of the template document, computed from `id`
    }

    /// @notice An issuer's record of an Ed25519 key that signs its Open Badges documents (their
    /// `DataIntegrityProof`, proof purpose `assertionMethod`), as the views return it: one record per
    /// (issuer, key) pair. All zero for a pair never registered.
    /// @dev How a verifier uses it: read the pair (the credential's on-chain issuer `I`, the key that
    /// signed its document); the key speaks for `I` when the record's `issuerId == I` and (`revokedAt
    /// == 0` or the credential's on-chain issue or anchor time < `revokedAt`). So a key rotated out
    /// (revoked) keeps the credentials it signed before valid, and removing the signer that registered
    /// it changes nothing here. Another issuer registering the same bytes has its own record, which
    /// says nothing about `I`.
    struct AssertionKey {
        uint32 issuerId; // the issuer asked about, once it registered the key; zero: never registered
        address signer; // the signer key (wallet) of that issuer that registered it
        uint64 registeredAt; // block timestamp of registration
        uint64 revokedAt; // block timestamp of revocation; zero: not revoked
    }

    /// @dev `issuerId` does not name a registered issuer.
    error IssuerRegistryUnknownIssuer(uint32 issuerId);
    /// @dev The operation needs the issuer to be active.
    error IssuerRegistryIssuerNotActive(uint32 issuerId);
    /// @dev The operation needs the issuer to be suspended.
    error IssuerRegistryIssuerNotSuspended(uint32 issuerId);
    /// @dev `account` may not act for `issuerId`: it is neither one of its signers nor the registrar.
    error IssuerRegistryUnauthorizedSigner(address account, uint32 issuerId);
    /// @dev `signer` already signs for `issuerId`; a key signs for one issuer at a time.
    error IssuerRegistrySignerTaken(address signer, uint32 issuerId);
    /// @dev `signer` is not a signer of `issuerId`.
    error IssuerRegistryNotASigner(address signer, uint32 issuerId);
    /// @dev Removing `signer` would leave `issuerId` without any signer.
    error IssuerRegistryLastSigner(uint32 issuerId, address signer);
    /// @dev The zero address cannot be a signer.
    error IssuerRegistryInvalidSigner(address signer);
    /// @dev An issuer needs a non-empty name.
    error IssuerRegistryEmptyName();
    /// @dev An issuer needs at least one signer.
    error IssuerRegistryNoSigners();
    /// @dev `issuerId` has `max` signers already: the cap keeps every view of an issuer bounded.
    error IssuerRegistryTooManySigners(uint32 issuerId, uint256 max);
    /// @dev A name or profile URI of `length` bytes is longer than `max`.
    error IssuerRegistryTextTooLong(uint256 length, uint256 max);
    /// @dev A template with this id was published already (by any issuer).
    error IssuerRegistryTemplateExists(uint256 templateId);
    /// @dev No template with this id was published.
    error IssuerRegistryUnknownTemplate(uint256 templateId);
    /// @dev The template was retired already.
    error IssuerRegistryTemplateRetired(uint256 templateId);
    /// @dev The zero key is no Ed25519 public key (and is the mapping's "never registered").
    error IssuerRegistryInvalidAssertionKey();
    /// @dev `issuerId` (the caller's issuer) registered `publicKey` already: once per issuer, revoked
    /// or not (registering a revoked key again would undo its revocation).
    error IssuerRegistryAssertionKeyTaken(bytes32 publicKey, uint32 issuerId);
    /// @dev The issuer named never registered `publicKey` (another issuer's record does not count).
    error IssuerRegistryUnknownAssertionKey(bytes32 publicKey);
    /// @dev `publicKey` was revoked already (at `revokedAt`), and revocation is final.
    error IssuerRegistryAssertionKeyAlreadyRevoked(bytes32 publicKey, uint64 revokedAt);
    /// @dev A revocation needs a reason, for the public record.
    error IssuerRegistryEmptyReason();
    /// @dev {assertionKeys} was given `issuerIds` issuer ids for `publicKeys` keys.
    error IssuerRegistryAssertionKeysLengthMismatch(uint256 issuerIds, uint256 publicKeys);

    /// @notice A new issuer was accredited.
    event IssuerRegistered(uint32 indexed issuerId, string name, string profileURI, address indexed by);
    /// @notice The registrar renamed an issuer (names are what verifiers show: only the registrar sets them).
    event IssuerRenamed(uint32 indexed issuerId, string name, address indexed by);
    /// @notice An issuer's profile document changed.
    event IssuerProfileUpdated(uint32 indexed issuerId, string profileURI, address indexed by);
    /// @notice An issuer was suspended: its signers can no longer issue, revoke or change anything.
    event IssuerSuspended(uint32 indexed issuerId, string reason, address indexed by);
    /// @notice A suspended issuer was reinstated.
    event IssuerReinstated(uint32 indexed issuerId, address indexed by);
    /// @notice `signer` may now issue and revoke for `issuerId`. `by` is the registrar when it was
    /// not one of the issuer's own signers.
    event SignerAdded(uint32 indexed issuerId, address indexed signer, address indexed by);
    /// @notice `signer` may no longer act for `issuerId`. Credentials it issued stay as they are.
    event SignerRemoved(uint32 indexed issuerId, address indexed signer, address indexed by);
    /// @notice An issuer published an achievement template; its document is at `ipfs://<CID of templateId>`.
    event TemplatePublished(uint32 indexed issuerId, uint256 indexed templateId, address indexed by);
    /// @notice A template was retired: no new credentials should cite it. Credentials already issued are unaffected.
    event TemplateRetired(uint32 indexed issuerId, uint256 indexed templateId, address indexed by);
    /// @notice `signer` bound the Ed25519 key `publicKey` to `issuerId`: documents it signs speak for
    /// that issuer.
    event AssertionKeyRegistered(uint32 indexed issuerId, address indexed signer, bytes32 publicKey);
    /// @notice `publicKey` no longer speaks for `issuerId` in credentials issued from now on; those
    /// issued before stay valid.
    event AssertionKeyRevoked(uint32 indexed issuerId, bytes32 publicKey, address indexed by, string reason);

    /// @notice Accredits an institution. Only `REGISTRAR_ROLE`.
    /// @param name Display name of the institution (non-empty).
    /// @param profileURI URI of its profile document (may be empty).
    /// @param signers Its initial staff keys (at least one; none may sign for another issuer).
    /// @return issuerId The new issuer's id.
    function registerIssuer(string calldata name, string calldata profileURI, address[] calldata signers)
        external
        returns (uint32 issuerId);

    /// @notice Renames an issuer. Only `REGISTRAR_ROLE`: the name is what verifiers show, so an
    /// institution cannot take another's.
    /// @param name The new display name (non-empty, at most {MAX_TEXT_LENGTH} bytes).
    function renameIssuer(uint32 issuerId, string calldata name) external;

    /// @notice Changes an issuer's profile document. A signer of the active issuer, or the registrar.
    /// @param profileURI URI of the new profile document (may be empty, at most {MAX_TEXT_LENGTH} bytes).
    function updateIssuerProfile(uint32 issuerId, string calldata profileURI) external;

    /// @notice Suspends an active issuer, freezing it. Only `REGISTRAR_ROLE`.
    /// @param reason Why, for the public record.
    function suspendIssuer(uint32 issuerId, string calldata reason) external;

    /// @notice Reinstates a suspended issuer. Only `REGISTRAR_ROLE`.
    function reinstateIssuer(uint32 issuerId) external;

    /// @notice Adds a staff key to an issuer (key rotation). A signer of the active issuer, or the
    /// registrar, which may do so for any issuer, active or suspended (to restore a locked-out
    /// institution); a key it adds can then issue and revoke in that issuer's name while the issuer
    /// is active. Every addition emits {SignerAdded} with `by`.
    /// @dev At most {MAX_SIGNERS} keys per issuer ({IssuerRegistryTooManySigners}).
    function addSigner(uint32 issuerId, address signer) external;

    /// @notice Removes a staff key from an issuer. A signer of the active issuer, or the registrar.
    /// Credentials already issued are untouched, and the remaining signers keep the power to revoke them.
    /// @dev Reverts with {IssuerRegistryLastSigner} rather than leave the issuer without a signer.
    function removeSigner(uint32 issuerId, address signer) external;

    /// @notice Publishes an achievement template for the caller's issuer. A signer of an active issuer.
    /// @param templateId sha256 of the template document, which is stored on IPFS under the matching CID.
    function publishTemplate(uint256 templateId) external;

    /// @notice Retires a template of the caller's issuer. A signer of the active issuer that published it.
    function retireTemplate(uint256 templateId) external;

    /// @notice Binds an Ed25519 public key to the caller's issuer: documents it signs speak for that
    /// issuer (see {AssertionKey}). A signer of an active issuer. Keys are never deleted: removing the
    /// signer leaves its keys in place, so the credentials they signed stay verifiable.
    /// @dev Records are per (issuer, key): once per issuer, revoked or not
    /// ({IssuerRegistryAssertionKeyTaken}), and whatever other issuers registered. Security: a public
    /// key is public (in this very transaction while it waits in the mempool, and in every document
    /// it signs), so were keys first come, first served across issuers, any accredited issuer could
    /// register another's key first and lock its owner out for ever, and again for each new key
    /// (squatting). Per issuer, a copy binds the key to the copier only, which gains nothing: a key
    /// speaks for the issuer a credential names on chain, through that issuer's own record, and the
    /// copier cannot sign with it. There is no list of an issuer's keys on chain (nothing to grow
    /// unbounded): {AssertionKeyRegistered} is indexed by issuer.
    /// @param publicKey The raw 32-byte Ed25519 public key (what the issuer's `did:key` multibase
    /// decodes to, without its multicodec prefix). Not zero.
    function registerAssertionKey(bytes32 publicKey) external;

    /// @notice Revokes `issuerId`'s assertion key `publicKey` (rotation, or a leak): from now on it
    /// speaks for that issuer no more; the credentials issued or anchored before stay valid. Whoever
    /// may manage the issuer: a signer of that issuer while it is active, or the registrar. Final: the
    /// issuer cannot register the key again. Other issuers' records of the same bytes are untouched
    /// (and cannot touch this one).
    /// @param reason Why, for the public record (non-empty, at most {MAX_TEXT_LENGTH} bytes).
    function revokeAssertionKey(uint32 issuerId, bytes32 publicKey, string calldata reason) external;

    /// @notice The issuer `signer` signs for, and whether that issuer is active. `(0, false)` for a stranger.
    function issuerOf(address signer) external view returns (uint32 issuerId, bool active);

    /// @notice Whether `issuerId` names an active issuer.
    function isActiveIssuer(uint32 issuerId) external view returns (bool);

    /// @notice The number of issuers ever registered; ids run from 1 to this number.
    function issuerCount() external view returns (uint32);

    /// @notice The profiles (status, name, profile URI; no signers) of `issuerIds`, in order: what a
    /// verifier needs, in one call whose cost does not grow with anyone's keys. An unknown id gives
    /// status `None` (no revert).
    function issuerProfiles(uint32[] calldata issuerIds) external view returns (IssuerProfile[] memory);

    /// @notice One issuer, with its signers.
    function issuer(uint32 issuerId) external view returns (Issuer memory);

    /// @notice Every issuer with its signers, in id order: the whole registry in one call (for
    /// registry pages; verifiers use {issuerProfiles}).
    function issuers() external view returns (Issuer[] memory);

    /// @notice One template.
    function template(uint256 templateId) external view returns (Template memory);

    /// @notice Every template an issuer published, in order of publication, retired ones included.
    function templatesOf(uint32 issuerId) external view returns (Template[] memory);

    /// @notice `issuerId`'s record of `publicKey`; all zero (`issuerId` 0) if that issuer never
    /// registered it (no revert, unknown issuers included).
    function assertionKey(uint32 issuerId, bytes32 publicKey) external view returns (AssertionKey memory);

    /// @notice The records of the pairs (`issuerIds[i]`, `publicKeys[i]`), in order, in one call (what
    /// a verifier needs for all the documents it checks); all zero for a pair never registered (no
    /// revert). The two arrays have the same length ({IssuerRegistryAssertionKeysLengthMismatch}).
    function assertionKeys(uint32[] calldata issuerIds, bytes32[] calldata publicKeys)
        external
        view
        returns (AssertionKey[] memory);
}
