"""Contacts: the people behind identities. Merge, split, and suggestions where handles match across networks."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from townsquare.inbox.models import Contact, ContactIdentity
from townsquare.orgs.models import Organisation
from townsquare.posts.models import Identity


def contacts_for_identities(*, organisation: Organisation, identities: dict[int, str]) -> dict[int, int]:
    """Contact id for each identity id, creating a contact (named as given) for identities without one."""
    found: dict[int, int] = {}
    ids = list(identities)
    for start in range(0, len(ids), 500):
        found.update(
            ContactIdentity.objects.filter(identity_id__in=ids[start : start + 500]).values_list(
                "identity_id", "contact_id"
            )
        )
    missing = [identity_id for identity_id in ids if identity_id not in found]
    contacts = Contact.objects.bulk_create(
        [Contact(organisation=organisation, name=identities[identity_id][:300]) for identity_id in missing],
        batch_size=500,
    )
    ContactIdentity.objects.bulk_create(
        [ContactIdentity(contact=contact, identity_id=i) for contact, i in zip(contacts, missing, strict=True)],
        batch_size=500,
    )
    found.update({identity_id: contact.pk for contact, identity_id in zip(contacts, missing, strict=True)})
    return found


def contact_merge(*, organisation: Organisation, into: Contact, others: list[Contact]) -> Contact:
    """One person after all: identities and conversations of `others` move to `into`."""
    with transaction.atomic():
        for other in others:
            if other.organisation_id != organisation.id or into.organisation_id != organisation.id:
                raise ValueError("contacts of another organisation")
            if other.pk == into.pk:
                continue
            other.links.update(contact=into)
            other.conversations.update(contact=into)
            if other.notes:
                into.notes = "\n".join(filter(None, [into.notes, other.notes]))
            other.delete()
        into.save()
    return into


def contact_split(*, organisation: Organisation, contact: Contact, identity: Identity) -> Contact:
    """Not the same person: the identity gets a contact of its own, with the conversations it began."""
    if contact.organisation_id != organisation.id:
        raise ValueError("a contact of another organisation")
    with transaction.atomic():
        link = ContactIdentity.objects.select_for_update().get(contact=contact, identity=identity)
        if contact.links.count() == 1:
            return contact
        new = Contact.objects.create(organisation=organisation, name=identity.display_name or identity.handle)
        link.contact = new
        link.save(update_fields=["contact"])
        contact.conversations.filter(root_post__author=identity).update(contact=new)
        contact.conversations.filter(participant=identity).update(contact=new)
    return new


def contact_suggestions(*, organisation: Organisation) -> list[list[Contact]]:
    """Groups of distinct contacts whose identities share a handle on different networks."""
    by_handle: dict[str, set[int]] = defaultdict(set)
    networks: dict[str, set[str]] = defaultdict(set)
    for handle, network, contact_id in ContactIdentity.objects.filter(contact__organisation=organisation).values_list(
        "identity__handle", "identity__network", "contact_id"
    ):
        by_handle[handle.lower()].add(contact_id)
        networks[handle.lower()].add(network)
    groups = [ids for handle, ids in by_handle.items() if len(ids) > 1 and len(networks[handle]) > 1]
    contacts = Contact.objects.in_bulk([i for ids in groups for i in ids])
    return [sorted((contacts[i] for i in ids), key=lambda c: c.pk) for ids in groups]
