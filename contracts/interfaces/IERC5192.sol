// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ERC-5192: Minimal Soulbound NFTs
/// @notice Exactly the interface of https://eips.ethereum.org/EIPS/eip-5192 (interface id 0xb45a3c0e).
/// @dev The token id in both events is deliberately NOT indexed, as the EIP defines them.
interface IERC5192 {
    /// @notice Emitted when the locking status is changed to locked.
    /// @dev If a token is minted and the status is locked, this event should be emitted.
    event Locked(uint256 tokenId);

    /// @notice Emitted when the locking status is changed to unlocked.
    event Unlocked(uint256 tokenId);

    /// @notice Returns the locking status of a soulbound token.
    /// @dev Soulbound tokens are tracked by ERC-721; SBTs assigned to the zero address are invalid,
    /// and queries about them throw.
    /// @param tokenId The identifier for an SBT.
    function locked(uint256 tokenId) external view returns (bool);
}
