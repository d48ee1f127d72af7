"""The readers' forms: report an error in a claim, subscribe to the daily digest. They only
shape input; the rules (lengths, what may be reported, who is subscribed) are the services'."""

from django import forms

from .services.reports import (
    EMAIL_MAX,
    NOTE_MAX,
    READER_EMAIL,
    READER_LINK,
    READER_NOTE,
    URL_MAX,
)


class HoneypotMixin(forms.Form):
    # A field people never see (hidden by CSS, skipped by keyboard and screen readers) that
    # form-filling bots complete: a filled one is thanked and dropped.
    website = forms.CharField(required=False, max_length=200, label="Leave this empty",
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())


class ReportForm(HoneypotMixin):
    claim = forms.TypedChoiceField(coerce=int, label="Which claim",
                                   widget=forms.RadioSelect,
                                   error_messages={"invalid_choice": "Choose a claim of this "
                                                   "story (that one does not exist)."})
    revision = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    note = forms.CharField(
        label="What is wrong?", validators=[READER_NOTE],
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": NOTE_MAX}),
        help_text="What the claim gets wrong, and how you know. We read every report; reports "
                  "are not published.")
    suggested_url = forms.CharField(
        label="A better source (optional)", required=False, validators=[READER_LINK],
        widget=forms.URLInput(attrs={"placeholder": "https://", "maxlength": URL_MAX}))
    email = forms.CharField(
        label="Your e-mail (optional)", required=False, validators=[READER_EMAIL],
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": EMAIL_MAX}),
        help_text="Only if you want a reply. We keep it until the report is closed, then "
                  "delete it, and use it for nothing else.")

    def __init__(self, *args, claims=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claim"].choices = [(c.ordinal, f"{c.ordinal}. {c.text}") for c in claims]


class SubscribeForm(HoneypotMixin):
    email = forms.CharField(
        label="Your e-mail address", validators=[READER_EMAIL],
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": EMAIL_MAX,
                                       "required": True}),
        help_text="We e-mail you a link to confirm; nothing else is sent until you do.")
