"""Forms of the inbox pages."""

from __future__ import annotations

from django import forms

from townsquare.inbox.models import SavedReply
from townsquare.inbox.saved_replies import PLACEHOLDERS, check_placeholders


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
