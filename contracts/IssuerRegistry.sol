// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IIssuerRegistry} from "./interfaces/IIssuerRegistry.sol";
import {IpfsCid} from "./libraries/IpfsCid.sol";

/// @title IssuerRegistry
/// @notice The accredited institutions of a microcred deployment, their staff keys, the Ed25519
/// keys that sign their documents, and their achievement templates. {Credential} asks it who may
/// issue; verifiers ask it which Ed25519 key speaks for which issuer.
/// @dev The deployer receives `DEFAULT_ADMIN_ROLE` and `REGISTRAR_ROLE` and hands them on (to a
/// multisig on public networks) with `scripts/roles.py`.
///
/// An assertion key's record is one slot per (issuer, key), times as uint32 (good until 2106, as in
/// {Credential}); `issuerId` repeats the outer key so that zero marks a pair never registered:
///
///   slot of _assertionKeys[issuerId][publicKey]:
///     [ revokedAt: 32 | registeredAt: 32 | issuerId: 32 | signer: 160 ]
contract IssuerRegistry is IIssuerRegistry, AccessControl {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice Accredits, suspends, reinstates and renames issuers, and can fix any issuer's signers.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice Signer keys per issuer at most: keeps {issuer} and {issuers} bounded whatever an issuer does.
    uint256 public constant MAX_SIGNERS = 64;
    /// @notice Bytes of an issuer's name or profile URI at most: keeps {issuerProfiles} bounded.
    uint256 public constant MAX_TEXT_LENGTH = 256;

    struct IssuerRecord {
        IssuerStatus status;
        string name;
        string profileURI;
    }

    struct TemplateRecord {
        uint32 issuerId; // zero: never published
        TemplateStatus status;
        uint64 publishedAt;
    }

    struct AssertionKeyRecord {
        address signer; // the signer key that registered it
        uint32 issuerId; // the outer mapping key again; zero: never registered
        uint32 registeredAt;
        uint32 revokedAt; // zero: not revoked
    }

    uint32 private _issuerCount;
    mapping(uint32 issuerId => IssuerRecord) private _issuers;
    mapping(uint32 issuerId => EnumerableSet.AddressSet) private _signers;
    mapping(address signer => uint32 issuerId) private _issuerOfSigner;
    mapping(uint256 templateId => TemplateRecord) private _templates;
    mapping(uint32 issuerId => uint256[]) private _templateIds;
    // Keyed by issuer first: a public key is public (in the owner's registration transaction and in
    // every document), so one registry-wide record per key would let any accredited issuer register
    // another's key first and lock its owner out (squatting). Per issuer, nobody else's record moves.
    mapping(uint32 issuerId => mapping(bytes32 publicKey => AssertionKeyRecord)) private _assertionKeys;

    /// @param admin Receives `DEFAULT_ADMIN_ROLE` and `REGISTRAR_ROLE`.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, admin);
    }

    // ------------------------------------------------------------------ issuers

    /// @inheritdoc IIssuerRegistry
    function registerIssuer(string calldata name, string calldata profileURI, address[] calldata signers)
        external
        onlyRole(REGISTRAR_ROLE)
        returns (uint32 issuerId)
    {
        _checkName(name);
        _checkLength(profileURI);
        // An issuer without a signer could never act, nor revoke what it issued.
        if (signers.length == 0) revert IssuerRegistryNoSigners();
        issuerId = ++_issuerCount;
        IssuerRecord storage record = _issuers[issuerId];
        record.status = IssuerStatus.Active;
        record.name = name;
        record.profileURI = profileURI;
        emit IssuerRegistered(issuerId, name, profileURI, msg.sender);
        for (uint256 i = 0; i < signers.length; ++i) {
            _addSigner(issuerId, signers[i]);
        }
    }

    /// @inheritdoc IIssuerRegistry
    function renameIssuer(uint32 issuerId, string calldata name) external onlyRole(REGISTRAR_ROLE) {
        _statusOf(issuerId);
        _checkName(name);
        _issuers[issuerId].name = name;
        emit IssuerRenamed(issuerId, name, msg.sender);
    }

    /// @inheritdoc IIssuerRegistry
    function updateIssuerProfile(uint32 issuerId, string calldata profileURI) external {
        _checkCanManage(issuerId);
        _checkLength(profileURI);
        _issuers[issuerId].profileURI = profileURI;
        emit IssuerProfileUpdated(issuerId, profileURI, msg.sender);
    }

    /// @inheritdoc IIssuerRegistry
    function suspendIssuer(uint32 issuerId, string calldata reason) external onlyRole(REGISTRAR_ROLE) {
        IssuerStatus status = _statusOf(issuerId);
        if (status != IssuerStatus.Active) revert IssuerRegistryIssuerNotActive(issuerId);
        _issuers[issuerId].status = IssuerStatus.Suspended;
        emit IssuerSuspended(issuerId, reason, msg.sender);
    }

    /// @inheritdoc IIssuerRegistry
    function reinstateIssuer(uint32 issuerId) external onlyRole(REGISTRAR_ROLE) {
        IssuerStatus status = _statusOf(issuerId);
        if (status != IssuerStatus.Suspended) revert IssuerRegistryIssuerNotSuspended(issuerId);
        _issuers[issuerId].status = IssuerStatus.Active;
        emit IssuerReinstated(issuerId, msg.sender);
    }

    // ------------------------------------------------------------------ signers

    /// @inheritdoc IIssuerRegistry
    function addSigner(uint32 issuerId, address signer) external {
        _checkCanManage(issuerId);
        _addSigner(issuerId, signer);
    }

    /// @inheritdoc IIssuerRegistry
    function removeSigner(uint32 issuerId, address signer) external {
        _checkCanManage(issuerId);
        EnumerableSet.AddressSet storage signers = _signers[issuerId];
        if (!signers.contains(signer)) revert IssuerRegistryNotASigner(signer, issuerId);
        // The last key going would leave the issuer unable to act or to revoke what it issued.
        if (signers.length() == 1) revert IssuerRegistryLastSigner(issuerId, signer);
        signers.remove(signer);
        delete _issuerOfSigner[signer];
        emit SignerRemoved(issuerId, signer, msg.sender);
    }

    // ------------------------------------------------------------------ templates

    /// @inheritdoc IIssuerRegistry
    function publishTemplate(uint256 templateId) external {
        uint32 issuerId = _activeIssuerOfSender();
        TemplateRecord storage record = _templates[templateId];
        // Ids are content digests: the same document cannot be published twice, by anyone.
        if (record.issuerId != 0) revert IssuerRegistryTemplateExists(templateId);
        record.issuerId = issuerId;
        record.status = TemplateStatus.Published;
        record.publishedAt = uint64(block.timestamp);
        _templateIds[issuerId].push(templateId);
        emit TemplatePublished(issuerId, templateId, msg.sender);
    }

    /// @inheritdoc IIssuerRegistry
    function retireTemplate(uint256 templateId) external {
        uint32 issuerId = _activeIssuerOfSender();
        TemplateRecord storage record = _templates[templateId];
        if (record.issuerId == 0) revert IssuerRegistryUnknownTemplate(templateId);
        if (record.issuerId != issuerId) revert IssuerRegistryUnauthorizedSigner(msg.sender, record.issuerId);
        if (record.status == TemplateStatus.Retired) revert IssuerRegistryTemplateRetired(templateId);
        record.status = TemplateStatus.Retired;
        emit TemplateRetired(issuerId, templateId, msg.sender);
    }

    // ------------------------------------------------------------------ assertion keys

    /// @inheritdoc IIssuerRegistry
    function registerAssertionKey(bytes32 publicKey) external {
        uint32 issuerId = _activeIssuerOfSender();
        if (publicKey == bytes32(0)) revert IssuerRegistryInvalidAssertionKey();
        AssertionKeyRecord storage record = _assertionKeys[issuerId][publicKey];
        // Once per issuer, revoked or not: registering a revoked key again would undo its revocation.
        // Another issuer holding the same bytes is its own record and changes nothing here.
        if (record.issuerId != 0) revert IssuerRegistryAssertionKeyTaken(publicKey, issuerId);
        _assertionKeys[issuerId][publicKey] = AssertionKeyRecord({
            signer: msg.sender,
            issuerId: issuerId,
            registeredAt: uint32(block.timestamp),
            revokedAt: 0
        });
        emit AssertionKeyRegistered(issuerId, msg.sender, publicKey);
    }

    /// @inheritdoc IIssuerRegistry
    function revokeAssertionKey(uint32 issuerId, bytes32 publicKey, string calldata reason) external {
        // The same people who may change the issuer's signers: its signers while it is active
        // (another issuer never), or the registrar (a leaked key of a suspended issuer).
        _checkCanManage(issuerId);
        AssertionKeyRecord storage record = _assertionKeys[issuerId][publicKey];
        if (record.issuerId == 0) revert IssuerRegistryUnknownAssertionKey(publicKey);
        if (record.revokedAt != 0) revert IssuerRegistryAssertionKeyAlreadyRevoked(publicKey, record.revokedAt);
        if (bytes(reason).length == 0) revert IssuerRegistryEmptyReason();
        _checkLength(reason);
        record.revokedAt = uint32(block.timestamp);
        emit AssertionKeyRevoked(issuerId, publicKey, msg.sender, reason);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IIssuerRegistry
    function issuerOf(address signer) external view returns (uint32 issuerId, bool active) {
        issuerId = _issuerOfSigner[signer];
        active = issuerId != 0 && _issuers[issuerId].status == IssuerStatus.Active;
    }

    /// @inheritdoc IIssuerRegistry
    function isActiveIssuer(uint32 issuerId) external view returns (bool) {
        return _issuers[issuerId].status == IssuerStatus.Active;
    }

    /// @inheritdoc IIssuerRegistry
    function issuerCount() external view returns (uint32) {
        return _issuerCount;
    }

    /// @inheritdoc IIssuerRegistry
    function issuerProfiles(uint32[] calldata issuerIds) external view returns (IssuerProfile[] memory profiles) {
        profiles = new IssuerProfile[](issuerIds.length);
        for (uint256 i = 0; i < issuerIds.length; ++i) {
            IssuerRecord storage record = _issuers[issuerIds[i]];
            profiles[i] = IssuerProfile({
                id: issuerIds[i],
                status: record.status,
                name: record.name,
                profileURI: record.profileURI
            });
        }
    }

    /// @inheritdoc IIssuerRegistry
    function issuer(uint32 issuerId) external view returns (Issuer memory) {
        _statusOf(issuerId);
        return _issuerView(issuerId);
    }

    /// @inheritdoc IIssuerRegistry
    function issuers() external view returns (Issuer[] memory all) {
        uint32 count = _issuerCount;
        all = new Issuer[](count);
        for (uint32 i = 0; i < count; ++i) {
            all[i] = _issuerView(i + 1);
        }
    }

    /// @inheritdoc IIssuerRegistry
    function template(uint256 templateId) external view returns (Template memory) {
        if (_templates[templateId].issuerId == 0) revert IssuerRegistryUnknownTemplate(templateId);
        return _templateView(templateId);
    }

    /// @inheritdoc IIssuerRegistry
    function templatesOf(uint32 issuerId) external view returns (Template[] memory all) {
        _statusOf(issuerId);
        uint256[] storage ids = _templateIds[issuerId];
        all = new Template[](ids.length);
        for (uint256 i = 0; i < ids.length; ++i) {
            all[i] = _templateView(ids[i]);
        }
    }

    /// @inheritdoc IIssuerRegistry
    function assertionKey(uint32 issuerId, bytes32 publicKey) external view returns (AssertionKey memory) {
        return _assertionKeyView(issuerId, publicKey);
    }

    /// @inheritdoc IIssuerRegistry
    function assertionKeys(uint32[] calldata issuerIds, bytes32[] calldata publicKeys)
        external
        view
        returns (AssertionKey[] memory records)
    {
        if (issuerIds.length != publicKeys.length) {
            revert IssuerRegistryAssertionKeysLengthMismatch(issuerIds.length, publicKeys.length);
        }
        records = new AssertionKey[](publicKeys.length);
        for (uint256 i = 0; i < publicKeys.length; ++i) {
            records[i] = _assertionKeyView(issuerIds[i], publicKeys[i]);
        }
    }

    // ------------------------------------------------------------------ internals

    function _addSigner(uint32 issuerId, address signer) private {
        if (signer == address(0)) revert IssuerRegistryInvalidSigner(signer);
        // One issuer per key keeps "who issued this" unambiguous for verifiers.
        uint32 current = _issuerOfSigner[signer];
        if (current != 0) revert IssuerRegistrySignerTaken(signer, current);
        if (_signers[issuerId].length() >= MAX_SIGNERS) revert IssuerRegistryTooManySigners(issuerId, MAX_SIGNERS);
        _issuerOfSigner[signer] = issuerId;
        _signers[issuerId].add(signer);
        emit SignerAdded(issuerId, signer, msg.sender);
    }

    /// @dev The registrar may always manage an issuer; its own signers only while it is active, so
    /// that suspending an issuer whose key leaked really stops that key. This is the registrar's
    /// power over an issuer's keys: SECURITY.md ("Trust model") states it, and a test shows it.
    function _checkCanManage(uint32 issuerId) private view {
        IssuerStatus status = _statusOf(issuerId);
        if (hasRole(REGISTRAR_ROLE, msg.sender)) return;
        if (_issuerOfSigner[msg.sender] != issuerId) revert IssuerRegistryUnauthorizedSigner(msg.sender, issuerId);
        if (status != IssuerStatus.Active) revert IssuerRegistryIssuerNotActive(issuerId);
    }

    function _checkName(string calldata name) private pure {
        if (bytes(name).length == 0) revert IssuerRegistryEmptyName();
        _checkLength(name);
    }

    function _checkLength(string calldata text) private pure {
        if (bytes(text).length > MAX_TEXT_LENGTH) revert IssuerRegistryTextTooLong(bytes(text).length, MAX_TEXT_LENGTH);
    }

    function _activeIssuerOfSender() private view returns (uint32 issuerId) {
        issuerId = _issuerOfSigner[msg.sender];
        if (issuerId == 0) revert IssuerRegistryUnauthorizedSigner(msg.sender, 0);
        if (_issuers[issuerId].status != IssuerStatus.Active) revert IssuerRegistryIssuerNotActive(issuerId);
    }

    function _statusOf(uint32 issuerId) private view returns (IssuerStatus status) {
        status = _issuers[issuerId].status;
        if (status == IssuerStatus.None) revert IssuerRegistryUnknownIssuer(issuerId);
    }

    function _issuerView(uint32 issuerId) private view returns (Issuer memory) {
        IssuerRecord storage record = _issuers[issuerId];
        return Issuer({
            id: issuerId,
            status: record.status,
            name: record.name,
            profileURI: record.profileURI,
            signers: _signers[issuerId].values()
        });
    }

    function _assertionKeyView(uint32 issuerId, bytes32 publicKey) private view returns (AssertionKey memory) {
        AssertionKeyRecord storage record = _assertionKeys[issuerId][publicKey];
        return AssertionKey({
            issuerId: record.issuerId,
            signer: record.signer,
            registeredAt: record.registeredAt,
            revokedAt: record.revokedAt
        });
    }

    function _templateView(uint256 templateId) private view returns (Template memory) {
        TemplateRecord storage record = _templates[templateId];
        return Template({
            id: templateId,
            issuerId: record.issuerId,
            status: record.status,
            publishedAt: record.publishedAt,
            uri: IpfsCid.uri(templateId)
        });
    }
}
