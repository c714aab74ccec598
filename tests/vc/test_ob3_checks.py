"""The official OB 3.0 JSON Schema and the JSON-LD undefined-term check, on the spec's own
complete example, on a credential of ours, and on documents made to break them.

The schema and the spec's example come from shared/ob3/: the tests that need them skip, naming
the file, while it is absent; the undefined-term tests need neither."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from microcred.vc.contexts import OB_CONTEXT, VC_CONTEXT
from microcred.vc.ob3_checks import SCHEMA_FILE, schema_errors, undefined_terms
from microcred.vc.shared_data import SHARED_DIR_VARIABLE, SharedFileMissing

Json = dict[str, Any]
REQUIRED = ["@context", "id", "type", "credentialSubject", "issuer", "validFrom"]
MICROCRED_TERMS = {
    "microcred": {
        "@id": "urn:microcred:terms#microcred",
        "@context": {
            "chainId": "urn:microcred:terms#chainId",
            "registry": "urn:microcred:terms#registry",
        },
    }
}

# --- The official schema (shared/ob3/) ---


def test_the_specs_complete_example_passes_the_official_schema(
    full_example: Json, official_schema: Path
) -> None:
    assert schema_errors(full_example) == []


def test_our_sample_credential_passes_the_official_schema(
    ob3_credential: Json, official_schema: Path
) -> None:
    assert schema_errors(ob3_credential) == []


@pytest.mark.parametrize("field", REQUIRED)
def test_a_missing_required_field_fails_the_schema_naming_it(
    ob3_credential: Json, official_schema: Path, field: str
) -> None:
    del ob3_credential[field]
    assert f"$: '{field}' is a required property" in schema_errors(ob3_credential)


def test_an_image_given_as_a_string_fails_the_schema_at_image(
    ob3_credential: Json, official_schema: Path
) -> None:
    # What microcred writes today for ERC-721 wallets; OB 3.0 wants an Image object.
    ob3_credential["image"] = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    assert schema_errors(ob3_credential) == [
        "$.image: 'ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' is not of "
        "type 'object'"
    ]


def test_an_achievement_alone_is_checked_against_the_achievement_definition(
    ob3_credential: Json, official_schema: Path
) -> None:
    achievement = ob3_credential["credentialSubject"]["achievement"]
    assert schema_errors(achievement, definition="Achievement") == []
    del achievement["criteria"]
    assert schema_errors(achievement, definition="Achievement") == [
        "$: 'criteria' is a required property"
    ]


def test_the_schema_is_taken_from_the_shared_folder_variable_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in schema of our own in a folder named by the variable: no shared file needed.
    (tmp_path / "ob3").mkdir()
    (tmp_path / SCHEMA_FILE).write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2019-09/schema#",
                "$id": "urn:microcred:test:stand-in-schema",
                "type": "object",
                "required": ["stand-in"],
            }
        )
    )
    monkeypatch.setenv(SHARED_DIR_VARIABLE, str(tmp_path))
    assert schema_errors({}) == ["$: 'stand-in' is a required property"]


def test_a_schema_path_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SharedFileMissing, match=r"OB 3\.0 JSON Schema is not at .*absent\.json"):
        schema_errors({}, schema_path=tmp_path / "absent.json")


# --- JSON-LD terms (the contexts from npm only) ---


def test_the_specs_complete_example_has_no_undefined_term(full_example: Json) -> None:
    assert undefined_terms(full_example) == ()


def test_our_sample_credential_has_no_undefined_term(ob3_credential: Json) -> None:
    assert undefined_terms(ob3_credential) == ()


def test_an_extension_without_a_context_is_reported_term_by_term(ob3_credential: Json) -> None:
    ob3_credential["microcred"] = {
        "chainId": 31337,
        "registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    }
    ob3_credential["credentialSubject"]["achievement"]["attributes"] = [{"trait_type": "Skill"}]
    assert set(undefined_terms(ob3_credential)) == {
        "microcred",
        "chainId",
        "registry",
        "attributes",
        "trait_type",
    }


def test_an_undefined_type_is_reported(ob3_credential: Json) -> None:
    ob3_credential["type"] = ["VerifiableCredential", "OpenBadgeCredential", "MicrocredCredential"]
    assert undefined_terms(ob3_credential) == ("MicrocredCredential",)


def test_the_same_terms_defined_by_an_inline_context_after_the_base_contexts_are_accepted(
    ob3_credential: Json,
) -> None:
    ob3_credential["@context"] = [*ob3_credential["@context"], MICROCRED_TERMS]
    ob3_credential["microcred"] = {
        "chainId": 31337,
        "registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    }
    assert undefined_terms(ob3_credential) == ()
    extended = copy.deepcopy(ob3_credential)
    extended["microcred"]["templateId"] = 7  # not in the inline context
    assert undefined_terms(extended) == ("templateId",)


def test_the_1edtech_extensions_context_defines_the_specs_extension_types(
    ob3_credential: Json,
) -> None:
    # The spec's example names these types through its third context, extensions.json.
    ob3_credential["credentialSchema"] = [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    assert undefined_terms(ob3_credential) == ("1EdTechJsonSchemaValidator2019",)
    ob3_credential["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
    assert undefined_terms(ob3_credential) == ()


def test_an_unknown_context_is_reported_not_fetched() -> None:
    document = {
        "@context": [VC_CONTEXT, OB_CONTEXT, "https://example.org/contexts/unknown.json"],
        "type": ["VerifiableCredential"],
    }
    assert undefined_terms(document) == ("@context https://example.org/contexts/unknown.json",)
