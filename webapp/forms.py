"""Forms for staff pages. Validation here; the writes go through assessments.services."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from assessments import selectors


class InvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Candidate's full name")
    email = forms.EmailField(label="Candidate's email")
    track = forms.ModelChoiceField(queryset=selectors.track_list_current(), empty_label=None)
    expires_in_days = forms.IntegerField(min_value=1, max_value=90, initial=14, label="Link valid for (days)")
    window_opens_at = forms.DateTimeField(required=False, label="Earliest start (optional)",
                                          widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    window_closes_at = forms.DateTimeField(required=False, label="Latest start (optional)",
                                           widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    extra_time_minutes = forms.IntegerField(min_value=0, max_value=600, initial=0,
                                            label="Extra time (minutes, accommodation)")
    send_email = forms.BooleanField(required=False, initial=False, label="Email the link to the candidate now")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the tracks this user manages: a manager of no track has nothing to choose.
        self.fields["track"].queryset = selectors.invitation_tracks(user=user)

    def clean(self):
        data = super().clean()
        opens, closes = data.get("window_opens_at"), data.get("window_closes_at")
        if opens and closes and opens >= closes:
            self.add_error("window_closes_at", "The latest start must be after the earliest start.")
        if closes and closes <= timezone.now():
            self.add_error("window_closes_at", "The latest start is already in the past.")
        return data
