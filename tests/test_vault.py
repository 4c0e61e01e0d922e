"""Channel secrets are encrypted at rest, never shown, and survive key rotation."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from tests.factories import make_channel
from townsquare.channels.models import Channel, ChannelEvent
from townsquare.channels.services import channel_credentials
from townsquare.vault import crypto

SECRET = "tok-4f9a-very-secret-value"


@pytest.fixture
def vault_keys(settings):
    """Two fresh keys; the test decides which are configured."""
    keys = [crypto.generate_key(), crypto.generate_key()]

    def use(*chosen: str) -> None:
        settings.TOWNSQUARE_VAULT_KEYS = list(chosen)
        crypto.reset_keys()

    use(keys[0])
    yield keys, use
    crypto.reset_keys()


def all_text_in_database() -> str:
    """Every value of every column of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


def test_the_database_never_holds_a_channel_secret_in_clear(organisation, people, client_for, vault_keys):
    channel = make_channel(organisation, credentials={"access_token": SECRET})
    client = client_for("owner")
    client.post(
        reverse("channel_credentials", kwargs={"org_slug": organisation.slug, "channel_id": channel.id}),
        {"name": "app_password", "value": SECRET + "-2"},
    )
    assert SECRET not in all_text_in_database()
    channel.refresh_from_db()
    assert channel_credentials(channel=channel) == {"access_token": SECRET, "app_password": SECRET + "-2"}


def test_no_page_shows_a_stored_secret_even_to_the_owner(organisation, people, client_for, vault_keys):
    channel = make_channel(organisation, credentials={"access_token": SECRET})
    client = client_for("owner")
    for name in ("channels", "channel"):
        kwargs = {"org_slug": organisation.slug} | ({"channel_id": channel.id} if name == "channel" else {})
        page = client.get(reverse(name, kwargs=kwargs)).content.decode()
        assert SECRET not in page and channel.credentials_encrypted not in page
        assert "stored" in page


def test_rotation_keeps_old_secrets_readable_and_reencrypts_under_the_new_key(organisation, vault_keys, capsys):
    (old, new), use = vault_keys
    channel = make_channel(organisation, credentials={"access_token": SECRET})
    use(new, old)
    channel.refresh_from_db()
    assert channel_credentials(channel=channel)["access_token"] == SECRET
    call_command("vault", "rotate")
    assert "re-encrypted 1" in capsys.readouterr().out
    use(new)
    channel = Channel.objects.get(pk=channel.pk)
    assert channel_credentials(channel=channel)["access_token"] == SECRET
    use(old)
    with pytest.raises(crypto.VaultError):
        channel_credentials(channel=channel)


def test_every_change_to_a_channel_is_audited_without_the_secret(organisation, people, client_for, vault_keys):
    client = client_for("admin")
    client.post(
        reverse("channels", kwargs={"org_slug": organisation.slug}),
        {"network": "sandbox", "handle": "council", "display_name": "Council"},
    )
    channel = Channel.objects.get(organisation=organisation, handle="council")
    base = {"org_slug": organisation.slug, "channel_id": channel.id}
    client.post(reverse("channel_edit", kwargs=base), {"handle": "council", "display_name": "Our Council"})
    client.post(reverse("channel_credentials", kwargs=base), {"name": "access_token", "value": SECRET})
    client.post(reverse("channel_status", kwargs=base), {})
    client.post(reverse("channel_remove", kwargs=base))
    events = list(ChannelEvent.objects.filter(organisation=organisation).order_by("id"))
    assert [event.action for event in events] == ["created", "changed", "credentials_set", "changed", "deleted"]
    assert all(event.actor == people["admin"] for event in events)
    assert events[1].detail == {"display_name": ["Council", "Our Council"]}
    assert SECRET not in str([event.detail for event in events])


def test_contributors_and_viewers_cannot_touch_channels(organisation, people, client_for, vault_keys):
    channel = make_channel(organisation)
    for role in ("contributor", "viewer", "editor"):
        client = client_for(role)
        url = reverse("channel_credentials", kwargs={"org_slug": organisation.slug, "channel_id": channel.id})
        assert client.post(url, {"name": "access_token", "value": SECRET}).status_code == 403
    channel.refresh_from_db()
    assert not channel.has_credentials


def test_a_key_that_is_not_a_fernet_key_is_refused_clearly(settings):
    settings.TOWNSQUARE_VAULT_KEYS = ["not-a-key"]
    crypto.reset_keys()
    try:
        with pytest.raises(crypto.VaultError, match="not a Fernet key"):
            crypto.encrypt("x")
    finally:
        crypto.reset_keys()
