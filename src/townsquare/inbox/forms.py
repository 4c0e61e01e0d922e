"""Forms of the inbox pages."""

from __future__ import annotations

import calendar
import zoneinfo

from django import forms

from townsquare.inbox.figures import first_response_target, resolution_target
from townsquare.inbox.models import InboxPolicy, Priority, SavedReply
from townsquare.inbox.saved_replies import PLACEHOLDERS, check_placeholders

# Thirty days: a longer first-response target is surely a typing slip.
MAX_TARGET_MINUTES = 30 * 24 * 60


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["title", "body"]
        labels = {"body": "Text"}
        help_texts = {"body": "Placeholders: " + ", ".join("{" + name + "}" for name in PLACEHOLDERS)}
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}

    def clean_body(self) -> str:
        check_placeholders(self.cleaned_data["body"])
        return self.cleaned_data["body"]


# A year: a longer resolution target is surely a typing slip.
MAX_RESOLUTION_HOURS = 365 * 24
# Monday = 0, as datetime.weekday() counts.
WEEKDAYS = list(enumerate(calendar.day_name))


def _target_field(priority: str) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=1, max_value=MAX_TARGET_MINUTES, label=f"First-response target, {priority} priority (minutes)"
    )


def _resolution_field(priority: str) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=1, max_value=MAX_RESOLUTION_HOURS, label=f"Resolution target, {priority} priority (hours)"
    )


class InboxPolicyForm(forms.Form):
    """The organisation's inbox policy: who needs approval to reply, the response targets by priority and the
    business hours they are counted in."""

    replies_need_approval = forms.BooleanField(
        required=False,
        label="Contributors' replies wait for an approver",
        help_text="Approvers are the members who may publish (owners, admins, editors).",
    )
    first_response_urgent = _target_field("urgent")
    first_response_high = _target_field("high")
    first_response_normal = _target_field("normal")
    first_response_low = _target_field("low")
    resolution_urgent = _resolution_field("urgent")
    resolution_high = _resolution_field("high")
    resolution_normal = _resolution_field("normal")
    resolution_low = _resolution_field("low")
    business_start = forms.TimeField(
        required=False,
        label="Business hours start (HH:MM)",
        help_text="Leave both times empty to count every hour of every day.",
    )
    business_end = forms.TimeField(required=False, label="Business hours end (HH:MM)")
    business_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Business days"
    )
    time_zone = forms.ChoiceField(
        required=False, label="Time zone of the business hours", help_text="Empty: the organisation's time zone."
    )

    def __init__(self, *args, policy: InboxPolicy, **kwargs) -> None:
        initial = {
            "replies_need_approval": policy.replies_need_approval,
            "business_start": policy.business_start,
            "business_end": policy.business_end,
            "business_days": policy.business_days or [0, 1, 2, 3, 4],
            "time_zone": policy.time_zone,
        }
        for priority in Priority.values:
            initial[f"first_response_{priority}"] = first_response_target(policy, priority) // 60
            initial[f"resolution_{priority}"] = resolution_target(policy, priority) // 3600
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["time_zone"].choices = [("", "The organisation's")] + [
            (name, name) for name in sorted(zoneinfo.available_timezones())
        ]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("business_start"), data.get("business_end")
        if (start is None) != (end is None):
            self.add_error("business_end" if start else "business_start", "Give both times, or neither.")
        elif start is not None and start >= end:
            self.add_error(
                "business_end", "The end must be later than the start (hours across midnight are not supported)."
            )
        elif start is not None and not data.get("business_days"):
            self.add_error("business_days", "Tick at least one business day.")
        return data

    def save(self, policy: InboxPolicy) -> InboxPolicy:
        data = self.cleaned_data
        policy.replies_need_approval = data["replies_need_approval"]
        policy.first_response_targets = {p: data[f"first_response_{p}"] * 60 for p in Priority.values}
        policy.resolution_targets = {p: data[f"resolution_{p}"] * 3600 for p in Priority.values}
        policy.business_start, policy.business_end = data["business_start"], data["business_end"]
        policy.business_days = sorted(data["business_days"]) if data["business_start"] else []
        policy.time_zone = data["time_zone"]
        policy.save()
        return policy
