from django import forms

from lms.forms import PlainErrorsMixin

_CODE_ATTRS = {
    "autocomplete": "one-time-code",
    "autocapitalize": "none",
    "spellcheck": "false",
    "autofocus": True,
}


class ConfirmAppForm(PlainErrorsMixin, forms.Form):
    required_messages = {"code": "Enter the 6-digit code your app shows."}
    code = forms.CharField(
        label="Code from your app",
        max_length=20,
        help_text="The 6 digits your authenticator app shows for Peer Pathways now.",
        widget=forms.TextInput(attrs={**_CODE_ATTRS, "inputmode": "numeric", "autofocus": False}),
    )


class SignInCodeForm(PlainErrorsMixin, forms.Form):
    required_messages = {"code": "Enter the code from your app, or a recovery code."}
    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text=(
            "The 6 digits your authenticator app shows now. Lost your phone? Enter one of "
            "your recovery codes instead."
        ),
        widget=forms.TextInput(attrs=_CODE_ATTRS),
    )


class PasswordCheckForm(PlainErrorsMixin, forms.Form):
    """Asks for the person's password again before a change to how they sign in, so that
    someone at an unlocked computer cannot make it."""

    required_messages = {"password": "Enter your password."}
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("The password is not right. Enter your password.")
        return password


class OrganisationSecurityForm(PlainErrorsMixin, forms.Form):
    require_two_factor_for_staff = forms.BooleanField(
        required=False,
        label="Coordinators and organisation admins must use two-factor sign-in",
        help_text=(
            "They will be asked to set it up the next time they open a page, and cannot turn "
            "it off while this is on. Peers and mentors can still choose to use it."
        ),
    )
