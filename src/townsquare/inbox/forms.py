"""Forms of the inbox pages."""

from __future__ import annotations

from django import forms

from townsquare.inbox.figures import first_response_target
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


def _target_field(priority: str) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=1, max_value=MAX_TARGET_MINUTES, label=f"First-response target, {priority} priority (minutes)"
    )


class InboxPolicyForm(forms.Form):
    """The organisation's inbox policy: who needs approval to reply, and the first-response targets."""

    replies_need_approval = forms.BooleanField(
        required=False,
        label="Contributors' replies wait for an approver",
        help_text="Approvers are the members who may publish (owners, admins, editors).",
    )
    first_response_urgent = _target_field("urgent")
    first_response_high = _target_field("high")
    first_response_normal = _target_field("normal")
    first_response_low = _target_field("low")

    def __init__(self, *args, policy: InboxPolicy, **kwargs) -> None:
        initial = {"replies_need_approval": policy.replies_need_approval}
        for priority in Priority.values:
            initial[f"first_response_{priority}"] = first_response_target(policy, priority) // 60
        super().__init__(*args, initial=initial, **kwargs)

    def save(self, policy: InboxPolicy) -> InboxPolicy:
        policy.replies_need_approval = self.cleaned_data["replies_need_approval"]
        policy.first_response_targets = {
            priority: self.cleaned_data[f"first_response_{priority}"] * 60 for priority in Priority.values
        }
        policy.save()
        return policy
