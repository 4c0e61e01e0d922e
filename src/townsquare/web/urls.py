from django.urls import include, path

from townsquare.web.views import (
    calendar,
    channels,
    compose,
    home,
    inbox,
    invitations,
    posts,
    scheduled_posts,
    sections,
    team,
)

org_patterns = [
    path("", home.organisation_home, name="organisation_home"),
    path("posts/", posts.post_index, name="posts"),
    path("posts/updates/", posts.post_updates, name="post_updates"),
    path("posts/export/", posts.post_export, name="post_export"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:conversation_id>/", inbox.conversation_detail, name="conversation"),
    path("inbox/<int:conversation_id>/work/", inbox.conversation_work, name="conversation_work"),
    path("inbox/<int:conversation_id>/reply/", inbox.conversation_reply_view, name="conversation_reply"),
    path("inbox/<int:conversation_id>/typing/", inbox.conversation_typing, name="conversation_typing"),
    path("inbox/<int:conversation_id>/updates/", inbox.conversation_updates, name="conversation_updates"),
    path("listening/", sections.listening, name="listening"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar.ics", calendar.calendar_ics, name="calendar_ics"),
    path("calendar/new/", compose.compose, name="compose"),
    path("calendar/approvals/", scheduled_posts.approvals, name="approvals"),
    path("calendar/posts/<int:scheduled_post_id>/", scheduled_posts.scheduled_post, name="scheduled_post"),
    path(
        "calendar/posts/<int:scheduled_post_id>/submit/",
        scheduled_posts.scheduled_post_submit_view,
        name="scheduled_post_submit",
    ),
    path(
        "calendar/posts/<int:scheduled_post_id>/approve/",
        scheduled_posts.scheduled_post_approve_view,
        name="scheduled_post_approve",
    ),
    path(
        "calendar/posts/<int:scheduled_post_id>/send-back/",
        scheduled_posts.scheduled_post_send_back_view,
        name="scheduled_post_send_back",
    ),
    path("analytics/", sections.analytics, name="analytics"),
    path("stakeholders/", sections.stakeholders, name="stakeholders"),
    path("settings/", team.settings_index, name="settings"),
    path("settings/organisation/", team.organisation_settings, name="organisation_settings"),
    path("settings/team/", team.team, name="team"),
    path("settings/team/<int:member_id>/role/", team.member_role, name="member_role"),
    path("settings/team/<int:member_id>/remove/", team.member_remove, name="member_remove"),
    path("settings/invitations/<int:invitation_id>/revoke/", team.invitation_revoke, name="invitation_revoke"),
    path("settings/channels/", channels.channel_index, name="channels"),
    path("settings/channels/<int:channel_id>/", channels.channel_detail, name="channel"),
    path("settings/channels/<int:channel_id>/edit/", channels.channel_edit, name="channel_edit"),
    path("settings/channels/<int:channel_id>/status/", channels.channel_status, name="channel_status"),
    path("settings/channels/<int:channel_id>/credentials/", channels.channel_credentials, name="channel_credentials"),
    path("settings/channels/<int:channel_id>/remove/", channels.channel_remove, name="channel_remove"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("invitations/<str:token>/", invitations.invitation, name="invitation"),
    path("o/<slug:org_slug>/", include(org_patterns)),
]
