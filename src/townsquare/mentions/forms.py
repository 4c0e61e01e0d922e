from django import forms

from townsquare.mentions.models import ListeningQuery
from townsquare.mentions.services import query_canonical
from townsquare.networks.registry import network_choices

QUERY_HELP = (
    'Words, "exact phrases", OR, AND, NOT, NEAR/5, wildcards (flood*), #tags, @mentions and filters such as '
    "lang:en or network:mastodon."
)


class QueryForm(forms.ModelForm):
    class Meta:
        model = ListeningQuery
        fields = ["name", "text", "kind"]
        labels = {"text": "Query"}
        help_texts = {"text": QUERY_HELP}
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})}

    def clean_text(self) -> str:
        return query_canonical(self.cleaned_data["text"])


class MentionFilterForm(forms.Form):
    network = forms.ChoiceField(required=False, choices=[("", "Any network"), *network_choices()])
    lang = forms.CharField(required=False, label="Language", max_length=12)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    sentiment = forms.ChoiceField(
        required=False,
        choices=[("", "Any sentiment"), ("positive", "Positive"), ("neutral", "Neutral"), ("negative", "Negative")],
    )
