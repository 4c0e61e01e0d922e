from dataclasses import dataclass

from django import forms
from django.core.validators import RegexValidator

from townsquare.networks.registry import network_choices
from townsquare.orgs.models import Organisation
from townsquare.orgs.roles import Role
from townsquare.publishing.models import Campaign, PostingSlot

YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]


class PostFilterForm(forms.Form):
    """Words, network, author, language, dates, and the enrichment labels."""

    q = forms.CharField(required=False, label="Words")
    network = forms.ChoiceField(required=False, choices=[("", "Any network"), *network_choices()])
    author = forms.CharField(required=False, label="Author handle")
    lang = forms.CharField(required=False, label="Language", max_length=12)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    sentiment = forms.ChoiceField(
        required=False,
        choices=[("", "Any sentiment"), ("negative", "Negative"), ("neutral", "Neutral"), ("positive", "Positive")],
    )
    complaint = forms.ChoiceField(required=False, choices=YES_NO)
    offensive = forms.ChoiceField(required=False, choices=YES_NO)


class LabelCorrectionForm(forms.Form):
    task = forms.ChoiceField(
        choices=[("sentiment", "Sentiment"), ("complaint", "Complaint"), ("offensive", "Offensive")]
    )
    label = forms.CharField(max_length=20)


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(
        choices=[choice for choice in Role.choices if choice[0] != Role.OWNER], initial=Role.CONTRIBUTOR
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "time_zone"]


class ChannelForm(forms.Form):
    network = forms.ChoiceField(choices=network_choices())
    handle = forms.CharField(max_length=200, help_text="The account's handle, without @")
    display_name = forms.CharField(max_length=200, required=False)


@dataclass(frozen=True)
class AccountId:
    """The channel option naming what the connector acts on (the account, or on Reddit the subreddit it posts
    to), as the network's connector (and the check after signing in) reads it."""

    option: str
    label: str
    # The whole value must match; ASCII only ([0-9], not \d, which takes any script's digits).
    pattern: str
    rule: str
    example: str
    help: str = "Townsquare reads and acts on this account; signing in checks that you manage it."
    # Whether the channel reads from it: then its sync cursor belongs to the old account when it changes.
    read: bool = True


ACCOUNT_IDS = {
    "facebook": AccountId("page_id", "Facebook Page id", r"[0-9]+", "digits only", "104567890123456"),
    "instagram": AccountId("ig_user_id", "Instagram account id", r"[0-9]+", "digits only", "17841400000000001"),
    "linkedin": AccountId("organization_id", "LinkedIn organisation id", r"[0-9]+", "digits only", "2414183"),
    "reddit": AccountId(
        "subreddit",
        "Subreddit",
        r"[A-Za-z0-9_]{3,21}",
        "3 to 21 letters, digits or _, without r/",
        "northfield",
        "New posts go there (the account must be allowed to post there); its subscribers count as the "
        "channel's followers.",
        read=False,
    ),
    "youtube": AccountId(
        "channel_id",
        "YouTube channel id",
        r"UC[A-Za-z0-9_-]{22}",
        "UC followed by 22 letters, digits, - or _",
        "UCnorthfield0000000000a1",
    ),
}


class ChannelEditForm(forms.Form):
    handle = forms.CharField(max_length=200, error_messages={"required": "Give the channel a handle."})
    display_name = forms.CharField(max_length=200, required=False)
    listen = forms.BooleanField(
        required=False,
        label="Search public posts for the listening queries",
        help_text="Each sync also searches the network for the organisation's listening queries and keeps the "
        "posts that match one. It spends the account's requests.",
    )

    def __init__(self, *args, searchable: bool = False, network: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Offered only where the network has a public search.
        if not searchable:
            del self.fields["listen"]
        account = ACCOUNT_IDS.get(network)
        if account is not None:
            self.fields[account.option] = forms.CharField(
                required=False,
                max_length=100,
                label=account.label,
                help_text=f"{account.rule}, e.g. {account.example}. {account.help} Empty: none yet.",
                validators=[
                    RegexValidator(
                        rf"\A{account.pattern}\Z",
                        f"The {account.label} is {account.rule} (e.g. {account.example}).",
                    )
                ],
            )


class CredentialsForm(forms.Form):
    """Write-only: the values are never shown again, not even to admins."""

    name = forms.SlugField(label="Secret name", initial="access_token", help_text="e.g. access_token, app_password")
    value = forms.CharField(label="Secret value", widget=forms.PasswordInput(render_value=False))


class AccountForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput, min_length=10)
    password_again = forms.CharField(widget=forms.PasswordInput, label="Password again")

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ")
        return data


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "kind", "colour", "description"]
        labels = {"kind": "Kind"}
        help_texts = {"colour": "Shown beside the name on the calendar; it must be dark enough to see on white (3:1)."}
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }


class PostingSlotForm(forms.Form):
    """A recurring slot; channels and campaigns offered are the organisation's own."""

    name = forms.CharField(max_length=80, help_text="What the slot is for, e.g. Community spotlight.")
    weekdays = forms.TypedMultipleChoiceField(
        choices=PostingSlot.WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, label="Days of the week"
    )
    local_time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    channels = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, help_text="None chosen: any channel."
    )
    campaign = forms.ModelChoiceField(queryset=None, required=False, label="Campaign or theme", empty_label="None")

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = organisation.channels.all()
        self.fields["campaign"].queryset = Campaign.objects.filter(organisation=organisation)
        self.fields["weekdays"].error_messages["required"] = "Choose at least one day of the week."
