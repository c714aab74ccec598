// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/// @title ERC721URIStorageBaseline
/// @notice Not part of microcred: the usual way to mint an NFT with an `ipfs://` URI, deployed only by
/// `make bench` so that the gas per credential can be compared with {Credential} in the same run.
contract ERC721URIStorageBaseline is ERC721URIStorage {
    uint256 private _nextId = 1;

    constructor() ERC721("Baseline", "BASE") {}

    function mint(address to, string calldata uri) external returns (uint256 tokenId) {
        tokenId = _nextId++;
        _mint(to, tokenId);
        _setTokenURI(tokenId, uri);
    }

    function mintBatch(address[] calldata to, string[] calldata uris) external {
        for (uint256 i = 0; i < to.length; ++i) {
            uint256 tokenId = _nextId++;
            _mint(to[i], tokenId);
            _setTokenURI(tokenId, uris[i]);
        }
    }
}
