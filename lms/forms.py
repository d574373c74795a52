from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from lms.models import PRIVACY_CONTACT_MAX, Role, User


def add_service_errors(form, error: forms.ValidationError) -> None:
    """Put a service's ValidationError on the form, so the error summary lists it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class PlainErrorsMixin:
    """Say what to do when a required field is empty ("Enter your name"), not "This field is
    required", as the GOV.UK error message pattern asks."""

    required_messages: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = str(field.label or "").removesuffix(" (optional)")
            verb = "Choose" if isinstance(field, forms.ChoiceField) else "Enter"
            default = f"{verb} {label[:1].lower()}{label[1:]}."
            field.error_messages["required"] = self.required_messages.get(name, default)


class LoginForm(PlainErrorsMixin, AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    required_messages = {
        "username": "Enter your email address.",
        "password": "Enter your password.",
    }
    # The same words whether the email is unknown or the password is wrong, so the form never
    # tells anyone whether an address has an account.
    error_messages = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "Enter a correct email address and password.",
    }


class PasswordResetRequestForm(PlainErrorsMixin, forms.Form):
    required_messages = {"email": "Enter your email address."}
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class NewPasswordMixin(PlainErrorsMixin, forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters. Avoid common words and passwords you use elsewhere.",
    )
    password2 = forms.CharField(
        label="Type the password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def password_user(self) -> User:
        """The (possibly unsaved) person the password is for, so validators can compare."""
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords do not match.")
        elif first:
            try:
                password_validation.validate_password(first, self.password_user())
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class InvitationAcceptForm(NewPasswordMixin):
    display_name = forms.CharField(
        label="Your name",
        max_length=150,
        help_text="The name other people will see. Use whatever name you like to be called.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["display_name", "password1", "password2"]
    required_messages = {
        "display_name": "Enter your name.",
        "password1": "Choose a password.",
        "password2": "Type the password again.",
    }

    def __init__(self, *args, invitation, **kwargs):
        self.invitation = invitation
        super().__init__(*args, **kwargs)

    def password_user(self) -> User:
        return User(
            email=self.invitation.email, display_name=self.cleaned_data.get("display_name", "")
        )


class InviteForm(PlainErrorsMixin, forms.Form):
    required_messages = {"email": "Enter their email address.", "role": "Choose a role."}
    email = forms.EmailField(label="Email address")
    display_name = forms.CharField(
        label="Their name (optional)",
        max_length=150,
        required=False,
        help_text="Used to greet them in the email. They can change it when they join.",
    )
    role = forms.ChoiceField(label="Role", widget=forms.RadioSelect)

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role, Role(role).label) for role in roles]


class AddRoleForm(PlainErrorsMixin, forms.Form):
    role = forms.ChoiceField(label="Add a role", choices=Role.choices)


class ProfileForm(PlainErrorsMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "pronouns"]
        labels = {"display_name": "Your name", "pronouns": "Your pronouns (optional)"}


class AuditLogFilterForm(PlainErrorsMixin, forms.Form):
    """Filters for the audit log: a person (who acted, or whom it was about), what happened,
    and a date range. Dates can be wrong, so problems are shown in the error summary."""

    person = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Anyone",
        label="Person",
        error_messages={"invalid_choice": "Choose a person from the list."},
    )
    kind = forms.ChoiceField(
        required=False,
        label="What happened",
        error_messages={"invalid_choice": "Choose what happened from the list."},
    )
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the first day as a real date, like 2026-03-27."},
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the last day as a real date, like 2026-03-31."},
    )

    def __init__(self, *args, people, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda user: (
            f"{user.display_name} ({user.email})" if user.display_name else user.email
        )
        self.fields["kind"].choices = [("", "Anything"), *kinds]

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", "The last day must be the same as or after the first day.")
        return cleaned


class ErasureForm(PlainErrorsMixin, forms.Form):
    """Asking to erase a person: a reason, and their email address typed out as the check that
    the right person was chosen."""

    reason = forms.CharField(
        label="Why is this person's data being erased?",
        max_length=200,
        help_text="For example: left in March 2026 and asked for their data to be erased. "
        "Do not write their name: this reason is kept after the erasure.",
    )
    confirm_email = forms.CharField(
        label="Type their email address to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    required_messages = {
        "reason": "Say why this person's data is being erased.",
        "confirm_email": "Type their email address to confirm.",
    }

    def __init__(self, *args, person: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_confirm_email(self):
        typed = self.cleaned_data["confirm_email"].strip().lower()
        if typed != self.person.email.lower():
            raise forms.ValidationError(
                "The email address you typed is not theirs. Check it and type it again."
            )
        return typed


class PrivacyContactForm(forms.Form):
    privacy_contact = forms.CharField(
        label="Who to contact about personal data",
        required=False,
        max_length=PRIVACY_CONTACT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"For example a name or role, an email address, a phone number and a postal "
        f"address. Up to {PRIVACY_CONTACT_MAX} characters. Leave it empty to show no contact.",
        error_messages={
            "max_length": f"Contact details must be {PRIVACY_CONTACT_MAX} characters or fewer. "
            "You have entered %(show_value)d."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A browser limit would cut pasted text off without saying so; the message says instead.
        self.fields["privacy_contact"].widget.attrs.pop("maxlength", None)
