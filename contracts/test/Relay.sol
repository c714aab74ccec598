// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Relay
/// @notice Test helper, never deployed by `ape run deploy`: a contract account that sends a list of
/// calls in one transaction. Registered as two issuers' signer keys, two relays put an anchor and
/// another issuer's copy in the same block (the same second), which no two transactions can do on
/// every chain.
contract Relay {
    /// @dev Call `i` reverted with `reason` (the callee's revert data).
    error RelayCallFailed(uint256 i, bytes reason);

    function run(address[] calldata targets, bytes[] calldata data) external {
        for (uint256 i = 0; i < targets.length; ++i) {
            (bool ok, bytes memory reason) = targets[i].call(data[i]);
            if (!ok) revert RelayCallFailed(i, reason);
        }
    }
}
