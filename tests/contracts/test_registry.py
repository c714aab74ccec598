"""IssuerRegistry: accreditation, suspension, signer keys (rotation included), templates, views."""

from __future__ import annotations

import ape
import pytest

from microcred.cid import ipfs_uri

# Issuer ids as the session fixtures register them (see conftest.py).
ACME, OTHER, SUSPENDED = 1, 2, 3
NEVER = 0
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ACTIVE, SUSPENDED_STATUS = 1, 2
PUBLISHED, RETIRED = 1, 2


def only_event(receipt, event_type):
    events = receipt.events.filter(event_type)
    assert len(events) == 1, events
    return events[0]


# ------------------------------------------------------------------ roles


def test_deployer_holds_admin_and_registrar_roles(registry, admin):
    assert registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), admin)
    assert registry.hasRole(registry.REGISTRAR_ROLE(), admin)


def test_registrar_holds_only_the_registrar_role(registry, registrar):
    assert registry.hasRole(registry.REGISTRAR_ROLE(), registrar)
    assert not registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), registrar)


def test_registrar_cannot_grant_roles(registry, registrar, stranger):
    role = registry.REGISTRAR_ROLE()
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount,
        account=registrar.address,
        neededRole=registry.DEFAULT_ADMIN_ROLE(),
    ):
        registry.grantRole(role, stranger, sender=registrar)


# ------------------------------------------------------------------ registering


def test_registrar_registers_issuer_with_events(registry, registrar, spare_key, other_holder):
    receipt = registry.registerIssuer(
        "New College", "ipfs://profile", [spare_key, other_holder], sender=registrar
    )
    registered = only_event(receipt, registry.IssuerRegistered)
    assert registered.issuerId == 4
    assert registered.name == "New College"
    assert registered.profileURI == "ipfs://profile"
    assert registered.by == registrar.address
    added = receipt.events.filter(registry.SignerAdded)
    assert [(e.issuerId, e.signer, e.by) for e in added] == [
        (4, spare_key.address, registrar.address),
        (4, other_holder.address, registrar.address),
    ]
    assert registry.issuerCount() == 4
    assert registry.issuerOf(spare_key) == (4, True)
    assert registry.isActiveIssuer(4)


def test_admin_registers_issuer(registry, admin, spare_key):
    registry.registerIssuer("Admin's College", "", [spare_key], sender=admin)
    assert registry.issuer(4).name == "Admin's College"


@pytest.mark.parametrize("role", ["stranger", "issuer_signer", "holder"])
def test_non_registrar_cannot_register_issuer(request, registry, spare_key, role):
    account = request.getfixturevalue(role)
    with ape.reverts(
        registry.AccessControlUnauthorizedAccount,
        account=account.address,
        neededRole=registry.REGISTRAR_ROLE(),
    ):
        registry.registerIssuer("Fake U", "", [spare_key], sender=account)


def test_issuer_needs_a_name(registry, registrar, spare_key):
    with ape.reverts(registry.IssuerRegistryEmptyName):
        registry.registerIssuer("", "ipfs://x", [spare_key], sender=registrar)


def test_issuer_needs_a_signer(registry, registrar):
    with ape.reverts(registry.IssuerRegistryNoSigners):
        registry.registerIssuer("No Staff U", "", [], sender=registrar)


def test_zero_address_cannot_be_a_signer(registry, registrar):
    with ape.reverts(registry.IssuerRegistryInvalidSigner, signer=ZERO_ADDRESS):
        registry.registerIssuer("Zero U", "", [ZERO_ADDRESS], sender=registrar)


def test_signer_of_another_issuer_cannot_be_registered(registry, registrar, issuer_signer):
    with ape.reverts(
        registry.IssuerRegistrySignerTaken, signer=issuer_signer.address, issuerId=ACME
    ):
        registry.registerIssuer("Copycat U", "", [issuer_signer], sender=registrar)


def test_duplicate_signer_in_registration_reverts(registry, registrar, spare_key):
    with ape.reverts(registry.IssuerRegistrySignerTaken, signer=spare_key.address, issuerId=4):
        registry.registerIssuer("Twice U", "", [spare_key, spare_key], sender=registrar)


# ------------------------------------------------------------------ profile


def test_signer_updates_own_issuer_profile_but_not_its_name(registry, second_signer):
    receipt = registry.updateIssuerProfile(ACME, "ipfs://new", sender=second_signer)
    event = only_event(receipt, registry.IssuerProfileUpdated)
    assert (event.issuerId, event.profileURI, event.by) == (
        ACME,
        "ipfs://new",
        second_signer.address,
    )
    assert registry.issuer(ACME).name == "Acme Academy"
    assert registry.issuer(ACME).profileURI == "ipfs://new"


def test_an_issuer_cannot_rename_itself_into_another_institution(
    registry, issuer_signer, other_issuer_signer
):
    """Finding 5: names are what verifiers show, so only the registrar sets them."""
    role = registry.REGISTRAR_ROLE()
    for signer in (issuer_signer, other_issuer_signer):
        with ape.reverts(
            registry.AccessControlUnauthorizedAccount, account=signer.address, neededRole=role
        ):
            registry.renameIssuer(ACME, "Stanford University", sender=signer)
    assert registry.issuer(ACME).name == "Acme Academy"
    assert registry.issuerProfiles([ACME])[0].name == "Acme Academy"


def test_registrar_renames_an_issuer_even_suspended(registry, registrar):
    receipt = registry.renameIssuer(SUSPENDED, "Renamed School", sender=registrar)
    event = only_event(receipt, registry.IssuerRenamed)
    assert (event.issuerId, event.name, event.by) == (
        SUSPENDED,
        "Renamed School",
        registrar.address,
    )
    assert registry.issuer(SUSPENDED).name == "Renamed School"
    with ape.reverts(registry.IssuerRegistryEmptyName):
        registry.renameIssuer(SUSPENDED, "", sender=registrar)
    with ape.reverts(registry.IssuerRegistryUnknownIssuer, issuerId=9):
        registry.renameIssuer(9, "Nobody", sender=registrar)


def test_names_and_profile_uris_are_bounded(registry, registrar, issuer_signer, spare_key):
    longest = registry.MAX_TEXT_LENGTH()
    registry.updateIssuerProfile(ACME, "x" * longest, sender=issuer_signer)
    with ape.reverts(registry.IssuerRegistryTextTooLong, length=longest + 1, max=longest):
        registry.updateIssuerProfile(ACME, "x" * (longest + 1), sender=issuer_signer)
    with ape.reverts(registry.IssuerRegistryTextTooLong):
        registry.renameIssuer(ACME, "n" * (longest + 1), sender=registrar)
    with ape.reverts(registry.IssuerRegistryTextTooLong):
        registry.registerIssuer("n" * (longest + 1), "", [spare_key], sender=registrar)


def test_other_issuers_signer_cannot_update_profile(registry, other_issuer_signer):
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner,
        account=other_issuer_signer.address,
        issuerId=ACME,
    ):
        registry.updateIssuerProfile(ACME, "ipfs://hijacked", sender=other_issuer_signer)


def test_suspended_issuers_signer_cannot_update_its_profile(registry, suspended_signer):
    with ape.reverts(registry.IssuerRegistryIssuerNotActive, issuerId=SUSPENDED):
        registry.updateIssuerProfile(SUSPENDED, "ipfs://x", sender=suspended_signer)


def test_registrar_updates_suspended_issuers_profile(registry, registrar):
    registry.updateIssuerProfile(SUSPENDED, "ipfs://fixed", sender=registrar)
    assert registry.issuer(SUSPENDED).profileURI == "ipfs://fixed"


# ------------------------------------------------------------------ the registrar's power


def test_the_registrar_can_take_over_any_issuer_and_every_step_is_logged(
    registry, credential, registrar, issuer_signer, second_signer, holder, create_credential
):
    """Finding 6, as SECURITY.md "Trust model" states it: the registrar can add its own key to any
    issuer (suspended too), issue and revoke as that issuer while it is active, and remove the
    institution's own keys down to its own; each key change emits SignerAdded/SignerRemoved
    naming the registrar in `by`. Hence: the registrar must be a multisig."""
    existing = create_credential()
    registry.suspendIssuer(ACME, "takeover", sender=registrar)
    added = registry.addSigner(ACME, registrar, sender=registrar)  # suspended: still allowed
    event = only_event(added, registry.SignerAdded)
    assert (event.issuerId, event.signer, event.by) == (ACME, registrar.address, registrar.address)
    registry.reinstateIssuer(ACME, sender=registrar)
    for key in (issuer_signer, second_signer):
        removed = registry.removeSigner(ACME, key, sender=registrar)
        assert only_event(removed, registry.SignerRemoved).by == registrar.address
    assert list(registry.issuer(ACME).signers) == [registrar.address]
    # Now it acts as Acme, and Acme's own staff cannot.
    credential.revoke(existing, "revoked by the registrar", sender=registrar)
    credential.issue(holder, 12345, 0, sender=registrar)
    assert credential.credential(12345).issuerId == ACME
    with ape.reverts(credential.CredentialNotIssuerSigner):
        credential.revoke(12345, "mine", sender=issuer_signer)


# ------------------------------------------------------------------ suspend / reinstate


def test_registrar_suspends_and_reinstates_issuer(registry, registrar, issuer_signer):
    receipt = registry.suspendIssuer(ACME, "audit pending", sender=registrar)
    event = only_event(receipt, registry.IssuerSuspended)
    assert (event.issuerId, event.reason, event.by) == (ACME, "audit pending", registrar.address)
    assert not registry.isActiveIssuer(ACME)
    assert registry.issuerOf(issuer_signer) == (ACME, False)
    assert registry.issuer(ACME).status == SUSPENDED_STATUS

    receipt = registry.reinstateIssuer(ACME, sender=registrar)
    event = only_event(receipt, registry.IssuerReinstated)
    assert (event.issuerId, event.by) == (ACME, registrar.address)
    assert registry.isActiveIssuer(ACME)
    assert registry.issuerOf(issuer_signer) == (ACME, True)


def test_suspended_issuer_cannot_be_suspended_again(registry, registrar):
    with ape.reverts(registry.IssuerRegistryIssuerNotActive, issuerId=SUSPENDED):
        registry.suspendIssuer(SUSPENDED, "again", sender=registrar)


def test_active_issuer_cannot_be_reinstated(registry, registrar):
    with ape.reverts(registry.IssuerRegistryIssuerNotSuspended, issuerId=ACME):
        registry.reinstateIssuer(ACME, sender=registrar)


def test_unknown_issuer_cannot_be_suspended_or_reinstated(registry, registrar):
    with ape.reverts(registry.IssuerRegistryUnknownIssuer, issuerId=99):
        registry.suspendIssuer(99, "who?", sender=registrar)
    with ape.reverts(registry.IssuerRegistryUnknownIssuer, issuerId=99):
        registry.reinstateIssuer(99, sender=registrar)


def test_issuer_signer_cannot_suspend_its_own_issuer(registry, issuer_signer):
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.suspendIssuer(ACME, "self", sender=issuer_signer)


def test_suspended_issuers_signer_cannot_reinstate_itself(registry, suspended_signer):
    with ape.reverts(registry.AccessControlUnauthorizedAccount):
        registry.reinstateIssuer(SUSPENDED, sender=suspended_signer)


# ------------------------------------------------------------------ signers


def test_signer_adds_signer_to_own_issuer(registry, issuer_signer, spare_key):
    receipt = registry.addSigner(ACME, spare_key, sender=issuer_signer)
    event = only_event(receipt, registry.SignerAdded)
    assert (event.issuerId, event.signer, event.by) == (
        ACME,
        spare_key.address,
        issuer_signer.address,
    )
    assert spare_key.address in registry.issuer(ACME).signers
    assert registry.issuerOf(spare_key) == (ACME, True)


def test_signer_removes_signer_of_own_issuer(registry, issuer_signer, second_signer):
    receipt = registry.removeSigner(ACME, second_signer, sender=issuer_signer)
    event = only_event(receipt, registry.SignerRemoved)
    assert (event.issuerId, event.signer, event.by) == (
        ACME,
        second_signer.address,
        issuer_signer.address,
    )
    assert registry.issuer(ACME).signers == [issuer_signer.address]
    assert registry.issuerOf(second_signer) == (0, False)


def test_registrar_adds_and_removes_signers(
    registry, registrar, issuer_signer, second_signer, spare_key
):
    registry.addSigner(ACME, spare_key, sender=registrar)
    registry.removeSigner(ACME, second_signer, sender=registrar)
    assert set(registry.issuer(ACME).signers) == {issuer_signer.address, spare_key.address}


def test_registrar_fixes_suspended_issuers_signers(
    registry, registrar, spare_key, suspended_signer
):
    registry.addSigner(SUSPENDED, spare_key, sender=registrar)
    registry.removeSigner(SUSPENDED, suspended_signer, sender=registrar)
    assert registry.issuer(SUSPENDED).signers == [spare_key.address]


def test_stranger_cannot_add_signer(registry, stranger):
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner, account=stranger.address, issuerId=ACME
    ):
        registry.addSigner(ACME, stranger, sender=stranger)


def test_stranger_cannot_remove_signer(registry, stranger, second_signer):
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner, account=stranger.address, issuerId=ACME
    ):
        registry.removeSigner(ACME, second_signer, sender=stranger)


def test_other_issuers_signer_cannot_add_or_remove_signers(
    registry, other_issuer_signer, second_signer, spare_key
):
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner,
        account=other_issuer_signer.address,
        issuerId=ACME,
    ):
        registry.addSigner(ACME, spare_key, sender=other_issuer_signer)
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner,
        account=other_issuer_signer.address,
        issuerId=ACME,
    ):
        registry.removeSigner(ACME, second_signer, sender=other_issuer_signer)


def test_suspended_issuers_signer_cannot_manage_its_signers(
    registry, registrar, suspended_signer, spare_key
):
    with ape.reverts(registry.IssuerRegistryIssuerNotActive, issuerId=SUSPENDED):
        registry.addSigner(SUSPENDED, spare_key, sender=suspended_signer)
    registry.addSigner(SUSPENDED, spare_key, sender=registrar)
    with ape.reverts(registry.IssuerRegistryIssuerNotActive, issuerId=SUSPENDED):
        registry.removeSigner(SUSPENDED, spare_key, sender=suspended_signer)


def test_signer_cannot_be_added_twice(registry, issuer_signer, second_signer, other_issuer_signer):
    with ape.reverts(
        registry.IssuerRegistrySignerTaken, signer=second_signer.address, issuerId=ACME
    ):
        registry.addSigner(ACME, second_signer, sender=issuer_signer)
    with ape.reverts(
        registry.IssuerRegistrySignerTaken, signer=other_issuer_signer.address, issuerId=OTHER
    ):
        registry.addSigner(ACME, other_issuer_signer, sender=issuer_signer)


def test_zero_address_cannot_be_added_as_signer(registry, issuer_signer):
    with ape.reverts(registry.IssuerRegistryInvalidSigner, signer=ZERO_ADDRESS):
        registry.addSigner(ACME, ZERO_ADDRESS, sender=issuer_signer)


def test_removing_a_non_signer_reverts(registry, issuer_signer, other_issuer_signer):
    with ape.reverts(
        registry.IssuerRegistryNotASigner, signer=other_issuer_signer.address, issuerId=ACME
    ):
        registry.removeSigner(ACME, other_issuer_signer, sender=issuer_signer)


def test_last_signer_cannot_be_removed(registry, other_issuer_signer, registrar):
    with ape.reverts(
        registry.IssuerRegistryLastSigner, issuerId=OTHER, signer=other_issuer_signer.address
    ):
        registry.removeSigner(OTHER, other_issuer_signer, sender=other_issuer_signer)
    with ape.reverts(
        registry.IssuerRegistryLastSigner, issuerId=OTHER, signer=other_issuer_signer.address
    ):
        registry.removeSigner(OTHER, other_issuer_signer, sender=registrar)


def test_signer_may_remove_itself_while_another_remains(registry, issuer_signer, second_signer):
    registry.removeSigner(ACME, issuer_signer, sender=issuer_signer)
    assert registry.issuer(ACME).signers == [second_signer.address]
    with ape.reverts(
        registry.IssuerRegistryLastSigner, issuerId=ACME, signer=second_signer.address
    ):
        registry.removeSigner(ACME, second_signer, sender=second_signer)


def test_removed_key_can_sign_for_another_issuer(registry, issuer_signer, second_signer, registrar):
    registry.removeSigner(ACME, second_signer, sender=issuer_signer)
    registry.addSigner(OTHER, second_signer, sender=registrar)
    assert registry.issuerOf(second_signer) == (OTHER, True)


def test_unknown_issuer_cannot_be_managed(registry, registrar, spare_key):
    with ape.reverts(registry.IssuerRegistryUnknownIssuer, issuerId=42):
        registry.addSigner(42, spare_key, sender=registrar)
    with ape.reverts(registry.IssuerRegistryUnknownIssuer, issuerId=0):
        registry.updateIssuerProfile(0, "x", sender=registrar)


# ------------------------------------------------------------------ key rotation


def test_key_rotation_keeps_power_to_revoke_and_stops_old_key(
    registry,
    credential,
    issuer_signer,
    second_signer,
    spare_key,
    holder,
    create_credential,
    create_token_id,
):
    old_credential = create_credential(signer=issuer_signer)
    # Rotate: the issuer adds a new key, then both old keys go.
    registry.addSigner(ACME, spare_key, sender=issuer_signer)
    registry.removeSigner(ACME, issuer_signer, sender=spare_key)
    registry.removeSigner(ACME, second_signer, sender=spare_key)
    assert registry.issuer(ACME).signers == [spare_key.address]

    # The credential issued by the old key is untouched and still valid.
    status = credential.credential(old_credential)
    assert status.issuerId == ACME
    assert status.valid

    # The old key can do nothing any more.
    with ape.reverts(credential.CredentialUnauthorizedSigner, account=issuer_signer.address):
        credential.issue(holder, create_token_id(), NEVER, sender=issuer_signer)
    with ape.reverts(
        credential.CredentialNotIssuerSigner, account=issuer_signer.address, tokenId=old_credential
    ):
        credential.revoke(old_credential, "rotated out", sender=issuer_signer)
    with ape.reverts(registry.IssuerRegistryUnauthorizedSigner):
        registry.addSigner(ACME, issuer_signer, sender=issuer_signer)
    with ape.reverts(registry.IssuerRegistryUnauthorizedSigner, account=issuer_signer.address):
        registry.publishTemplate(create_token_id(), sender=issuer_signer)

    # The new key revokes what the old key issued.
    receipt = credential.revoke(old_credential, "issued in error", sender=spare_key)
    event = only_event(receipt, credential.CredentialRevoked)
    assert (event.tokenId, event.issuerId, event.by, event.reason) == (
        old_credential,
        ACME,
        spare_key.address,
        "issued in error",
    )
    assert not credential.isValid(old_credential)


# ------------------------------------------------------------------ templates


def test_signer_publishes_template(registry, issuer_signer, create_token_id):
    template_id = create_token_id()
    receipt = registry.publishTemplate(template_id, sender=issuer_signer)
    event = only_event(receipt, registry.TemplatePublished)
    assert (event.issuerId, event.templateId, event.by) == (
        ACME,
        template_id,
        issuer_signer.address,
    )
    template = registry.template(template_id)
    assert template.id == template_id
    assert template.issuerId == ACME
    assert template.status == PUBLISHED
    assert template.publishedAt == ape.chain.blocks[receipt.block_number].timestamp
    assert template.uri == ipfs_uri(template_id)


def test_signer_retires_template_published_by_colleague(registry, second_signer, create_template):
    template_id = create_template()
    receipt = registry.retireTemplate(template_id, sender=second_signer)
    event = only_event(receipt, registry.TemplateRetired)
    assert (event.issuerId, event.templateId, event.by) == (
        ACME,
        template_id,
        second_signer.address,
    )
    assert registry.template(template_id).status == RETIRED


def test_template_cannot_be_retired_twice(registry, issuer_signer, create_template):
    template_id = create_template()
    registry.retireTemplate(template_id, sender=issuer_signer)
    with ape.reverts(registry.IssuerRegistryTemplateRetired, templateId=template_id):
        registry.retireTemplate(template_id, sender=issuer_signer)


def test_template_cannot_be_published_twice_by_anyone(
    registry, second_signer, other_issuer_signer, create_template
):
    template_id = create_template()
    with ape.reverts(registry.IssuerRegistryTemplateExists, templateId=template_id):
        registry.publishTemplate(template_id, sender=second_signer)
    with ape.reverts(registry.IssuerRegistryTemplateExists, templateId=template_id):
        registry.publishTemplate(template_id, sender=other_issuer_signer)


def test_other_issuers_signer_cannot_retire_foreign_template(
    registry, other_issuer_signer, create_template
):
    template_id = create_template()
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner,
        account=other_issuer_signer.address,
        issuerId=ACME,
    ):
        registry.retireTemplate(template_id, sender=other_issuer_signer)


def test_unknown_template_cannot_be_retired_or_read(registry, issuer_signer, create_token_id):
    template_id = create_token_id()
    with ape.reverts(registry.IssuerRegistryUnknownTemplate, templateId=template_id):
        registry.retireTemplate(template_id, sender=issuer_signer)
    with ape.reverts(registry.IssuerRegistryUnknownTemplate, templateId=template_id):
        registry.template(template_id)


@pytest.mark.parametrize("role", ["stranger", "registrar", "holder"])
def test_non_signer_cannot_publish_template(request, registry, create_token_id, role):
    account = request.getfixturevalue(role)
    with ape.reverts(
        registry.IssuerRegistryUnauthorizedSigner, account=account.address, issuerId=0
    ):
        registry.publishTemplate(create_token_id(), sender=account)


def test_suspended_issuers_signer_cannot_publish_or_retire(
    registry, registrar, suspended_signer, create_template, create_token_id
):
    with ape.reverts(registry.IssuerRegistryIssuerNotActive, issuerId=SUSPENDED):
        registry.publishTemplate(create_token_id(), sender=suspended_signer)
    registry.reinstateIssuer(SUSPENDED, sender=registrar)
    template_id = create_template(signer=suspended_signer)
    registry.suspendIssuer(SUSPENDED, "again", sender=registrar)
    with ape.reverts(registry.IssuerRegistryIssuerNotActive, issuerId=SUSPENDED):
        registry.retireTemplate(template_id, sender=suspended_signer)


def test_templates_of_lists_in_publication_order_with_uris(
    registry, issuer_signer, other_issuer_signer, create_template
):
    first = create_template()
    foreign = create_template(signer=other_issuer_signer)
    second = create_template()
    registry.retireTemplate(first, sender=issuer_signer)
    templates = registry.templatesOf(ACME)
    assert [t.id for t in templates] == [first, second]
    assert [t.status for t in templates] == [RETIRED, PUBLISHED]
    assert [t.uri for t in templates] == [ipfs_uri(first), ipfs_uri(second)]
    assert [t.id for t in registry.templatesOf(OTHER)] == [foreign]
    assert registry.templatesOf(SUSPENDED) == []
    with ape.reverts(registry.IssuerRegistryUnknownIssuer, issuerId=9):
        registry.templatesOf(9)


# ------------------------------------------------------------------ views


def test_issuers_view_renders_whole_registry(
    registry, issuer_signer, second_signer, other_issuer_signer, suspended_signer
):
    assert registry.issuerCount() == 3
    everyone = registry.issuers()
    assert [i.id for i in everyone] == [ACME, OTHER, SUSPENDED]
    assert [i.name for i in everyone] == ["Acme Academy", "Other Institute", "Suspended School"]
    assert [i.profileURI for i in everyone] == [
        "ipfs://acme-profile",
        "ipfs://other-profile",
        "ipfs://suspended-profile",
    ]
    assert [i.status for i in everyone] == [ACTIVE, ACTIVE, SUSPENDED_STATUS]
    assert [list(i.signers) for i in everyone] == [
        [issuer_signer.address, second_signer.address],
        [other_issuer_signer.address],
        [suspended_signer.address],
    ]
    assert registry.issuer(OTHER) == everyone[1]


def test_issuer_profiles_carry_no_signers_and_name_unknown_ids(registry):
    profiles = registry.issuerProfiles([SUSPENDED, 7, ACME])
    assert [(p.id, p.status, p.name, p.profileURI) for p in profiles] == [
        (SUSPENDED, SUSPENDED_STATUS, "Suspended School", "ipfs://suspended-profile"),
        (7, 0, "", ""),
        (ACME, ACTIVE, "Acme Academy", "ipfs://acme-profile"),
    ]
    assert registry.issuerProfiles([]) == []


def test_an_issuer_holds_at_most_max_signers(registry, registrar, issuer_signer):
    """Finding 8: no issuer can make the registry's views unbounded by adding keys."""
    cap = registry.MAX_SIGNERS()
    present = len(registry.issuer(ACME).signers)
    keys = [f"0x{0xC0FFEE0000 + n:040x}" for n in range(cap - present + 1)]
    for key in keys[:-1]:
        registry.addSigner(ACME, key, sender=issuer_signer)
    assert len(registry.issuer(ACME).signers) == cap
    with ape.reverts(registry.IssuerRegistryTooManySigners, issuerId=ACME, max=cap):
        registry.addSigner(ACME, keys[-1], sender=issuer_signer)
    with ape.reverts(registry.IssuerRegistryTooManySigners):
        registry.addSigner(ACME, keys[-1], sender=registrar)
    with ape.reverts(registry.IssuerRegistryTooManySigners):
        crowd = [f"0x{0xBEEF000000 + n:040x}" for n in range(cap + 1)]
        registry.registerIssuer("Crowded", "", crowd, sender=registrar)


def test_issuer_view_reverts_for_unknown_issuer(registry):
    with ape.reverts(registry.IssuerRegistryUnknownIssuer, issuerId=0):
        registry.issuer(0)
    with ape.reverts(registry.IssuerRegistryUnknownIssuer, issuerId=4):
        registry.issuer(4)


def test_issuer_of_reports_issuer_and_activity(registry, issuer_signer, suspended_signer, stranger):
    assert registry.issuerOf(issuer_signer) == (ACME, True)
    assert registry.issuerOf(suspended_signer) == (SUSPENDED, False)
    assert registry.issuerOf(stranger) == (0, False)
    assert registry.isActiveIssuer(ACME)
    assert not registry.isActiveIssuer(SUSPENDED)
    assert not registry.isActiveIssuer(0)
    assert not registry.isActiveIssuer(77)
