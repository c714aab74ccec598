// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IpfsCid
/// @notice The `ipfs://` URI of a document from its sha256 digest, computed on chain.
/// @dev The CID is a CIDv1 with the raw codec (0x55) and a sha2-256 multihash (0x12, length 0x20),
/// written in multibase base32 (prefix "b", RFC 4648 lower case, no padding). It is what Kubo
/// (`ipfs add --cid-version=1 --raw-leaves`) returns for a file of one block (up to 256 KiB).
library IpfsCid {
    bytes32 private constant _BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
    // 4 prefix bytes (version 1, raw codec, sha2-256, 32-byte digest) + 32 digest bytes = 288 bits.
    uint256 private constant _CID_BYTES = 36;
    // ceil(288 / 5) base32 characters.
    uint256 private constant _CID_CHARS = 58;

    /// @notice `ipfs://b...`, the URI of the raw block whose sha256 is `digest`.
    function uri(uint256 digest) internal pure returns (string memory) {
        return string.concat("ipfs://", cid(digest));
    }

    /// @notice The base32 CIDv1 (raw, sha2-256) of the block whose sha256 is `digest`.
    function cid(uint256 digest) internal pure returns (string memory) {
        bytes memory data = abi.encodePacked(bytes4(0x01551220), digest);
        bytes memory out = new bytes(_CID_CHARS + 1);
        out[0] = "b";
        uint256 buffer;
        uint256 bits;
        uint256 j = 1;
        for (uint256 i = 0; i < _CID_BYTES; ++i) {
            // Only the low `bits` + 8 bits of `buffer` are ever read, so dropping high bits is harmless.
            buffer = (buffer << 8) | uint8(data[i]);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                out[j++] = _BASE32_ALPHABET[(buffer >> bits) & 31];
            }
        }
        if (bits > 0) {
            out[j] = _BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
        }
        return string(out);
    }
}
