"""Writing a post: one ScheduledPost per chosen channel (with the common text, or a text written for that
channel), saved as a draft, submitted for approval, or (for approvers) scheduled directly. The policy check
runs on submit and schedule, over every text."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse

from townsquare.channels.models import Channel, ChannelStatus
from townsquare.networks.abilities import channel_can
from townsquare.orgs.access import org_view
from townsquare.orgs.models import Organisation
from townsquare.orgs.roles import Permission
from townsquare.publishing.campaigns import campaigns_for
from townsquare.publishing.models import PostStatus, ScheduledPost
from townsquare.publishing.policy import BLOCK, Finding, policy_check
from townsquare.publishing.services import scheduled_post_create
from townsquare.publishing.text import text_length, text_limit, text_unit
from townsquare.publishing.times import parse_at, utc_to_local
from townsquare.publishing.workflow import policy_for, scheduled_post_approve, scheduled_post_submit
from townsquare.web.views.calendar import render_local

ACTIONS = ("draft", "submit", "schedule")


class ComposeForm(forms.Form):
    channels = forms.ModelMultipleChoiceField(queryset=Channel.objects.none())
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), strip=True)
    at = forms.CharField(label="Date and time")
    campaign = forms.ModelChoiceField(queryset=None, required=False, label="Campaign or theme", empty_label="None")

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        working = organisation.channels.exclude(status=ChannelStatus.DISABLED)
        # Only channels Townsquare can publish on (a feed, or an X account added for its exports, cannot).
        self.unpublishable = [channel for channel in working if not channel_can(channel, "publish")]
        self.fields["channels"].queryset = working.exclude(id__in=[channel.id for channel in self.unpublishable])
        self.fields["campaign"].queryset = campaigns_for(organisation=organisation)

    def clean_at(self) -> datetime:
        # Read in the organisation's zone, so a time the clocks skip is refused with a reason.
        return parse_at(text=self.cleaned_data["at"], time_zone=self.organisation.time_zone)


def variant_texts(data, channels) -> dict[int, str]:
    """The texts written for one channel only (`variant_<channel id>`), where one was written."""
    variants = {channel.id: (data.get(f"variant_{channel.id}") or "").strip() for channel in channels}
    return {channel_id: text for channel_id, text in variants.items() if text}


def _channel_choices(form: ComposeForm, text: str, variants: dict[int, str]) -> list[dict]:
    chosen = {str(value) for value in (form["channels"].value() or [])}
    return [
        {
            "channel": channel,
            "limit": text_limit(channel.network),
            "unit": text_unit(channel.network),
            "length": text_length(text=variants.get(channel.id, text), network=channel.network),
            "variant": variants.get(channel.id, ""),
            "checked": str(channel.id) in chosen,
        }
        for channel in form.fields["channels"].queryset
    ]


def _findings(*, form: ComposeForm, variants: dict[int, str]) -> list[Finding]:
    """The policy check of the text, and of each chosen channel's own text, saying whose text it is."""
    policy = policy_for(organisation=form.organisation)
    findings = policy_check(text=form.cleaned_data["text"], policy=policy)
    for channel in form.cleaned_data["channels"]:
        if channel.id in variants:
            findings += [
                replace(finding, what=f"{finding.what} (in the text for @{channel.handle})")
                for finding in policy_check(text=variants[channel.id], policy=policy)
            ]
    return findings


def _create(*, form: ComposeForm, action: str, actor, variants: dict[int, str]) -> list[ScheduledPost]:
    """All channels or none: a refusal on one (too long, say) leaves nothing half made. A channel with a text of
    its own gets that text, the others the common one."""
    created = []
    with transaction.atomic():
        for channel in form.cleaned_data["channels"]:
            post = scheduled_post_create(
                organisation=form.organisation,
                channel=channel,
                text=variants.get(channel.id, form.cleaned_data["text"]),
                scheduled_at=form.cleaned_data["at"],
                author=actor,
                status=PostStatus.DRAFT,
                campaign=form.cleaned_data["campaign"],
            )
            if action in ("submit", "schedule"):
                scheduled_post_submit(post=post, actor=actor)
            if action == "schedule":
                # The approver schedules their own post: recorded as approved by them.
                scheduled_post_approve(post=post, actor=actor)
            created.append(post)
    return created


DONE = {"draft": "Saved as a draft", "submit": "Submitted for approval", "schedule": "Scheduled"}


@org_view(Permission.DRAFT)
def compose(request):
    organisation = request.organisation
    can_publish = request.membership.can(Permission.PUBLISH)
    # "Fill this slot" on the calendar links here with the slot's time, channels and campaign.
    initial = {
        "at": request.GET.get("at", ""),
        "channels": [value for value in request.GET.getlist("channel") if value.isdigit()],
        "campaign": request.GET.get("campaign", "") if request.GET.get("campaign", "").isdigit() else None,
    }
    form = ComposeForm(request.POST or None, organisation=organisation, initial=initial)
    findings: list[Finding] = []
    variants = variant_texts(request.POST, form.fields["channels"].queryset)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "draft")
        if action not in ACTIONS:
            action = "draft"
        if action == "schedule" and not can_publish:
            raise PermissionDenied("Your role can submit posts for approval, not schedule them")
        if action != "draft":
            findings = _findings(form=form, variants=variants)
        if any(finding.action == BLOCK for finding in findings):
            form.add_error(None, "The policy check blocks this post. Change the text where each finding shows.")
        else:
            try:
                posts = _create(form=form, action=action, actor=request.user, variants=variants)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{DONE[action]}: {len(posts)} post{'s' if len(posts) != 1 else ''}.")
                for finding in findings:
                    messages.warning(request, f"Policy warning: {finding.describe()}")
                if len(posts) == 1:
                    return redirect("scheduled_post", org_slug=organisation.slug, scheduled_post_id=posts[0].id)
                day = utc_to_local(moment=form.cleaned_data["at"], time_zone=organisation.time_zone).date()
                return redirect(f"{reverse('calendar', kwargs={'org_slug': organisation.slug})}?date={day}")
    return render_local(
        request,
        "web/compose.html",
        {
            "form": form,
            "channels": _channel_choices(form, form["text"].value() or "", variants),
            "unpublishable": form.unpublishable,
            "findings": findings,
            "can_publish": can_publish,
            "time_zone": organisation.time_zone,
        },
        status=200 if not form.errors else 422,
    )
