"""Setting up two-factor sign-in, its code step, and an organisation's requirement."""

from base64 import b32encode

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from lms.access import get_organisation_for_role
from lms.models import Role
from lms.two_factor.forms import (
    ConfirmAppForm,
    OrganisationSecurityForm,
    PasswordCheckForm,
    SignInCodeForm,
)
from lms.two_factor.selectors import (
    has_two_factor,
    recovery_codes_left,
    two_factor_reasons,
)
from lms.two_factor.services import (
    organisation_two_factor_set,
    recovery_codes_replace,
    two_factor_confirm,
    two_factor_disable,
    two_factor_setup_device,
    two_factor_verify,
)
from lms.two_factor.signin import pending_clear, pending_count_wrong_code, pending_get, safe_next

# --- Set-up and management, from "Your account" ----------------------------------------------


def _qr_svg(device) -> str:
    # Drawn here, as inline SVG markup: the secret never goes to a QR service, and the page
    # needs no image request or inline style (CSP).
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5,
        border=4,
        dark="#0b0c0c",
        light="#ffffff",
        svgclass="qr-code",
        title="QR code to scan with your authenticator app",
    )
    return mark_safe(svg)  # noqa: S308 - segno's own markup: path data and our title only


def _secret_text(device) -> str:
    """The secret as groups of four letters, for people who type it in rather than scan."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _manage_page(request, *, off_form=None, codes_form=None, status=200):
    user = request.user
    context = {
        "reasons": two_factor_reasons(user=user),
        "codes_left": recovery_codes_left(user=user),
        "off_form": off_form or PasswordCheckForm(user=user, prefix="off"),
        "codes_form": codes_form or PasswordCheckForm(user=user, prefix="codes"),
    }
    return render(request, "lms/two_factor/manage.html", context, status=status)


@login_required
def two_factor_setup(request):
    """Set up an authenticator app (QR code and secret, then a code to prove it works), or
    manage it once it is on."""
    if has_two_factor(user=request.user):
        return _manage_page(request)
    device = two_factor_setup_device(user=request.user)
    form = ConfirmAppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor_confirm(user=request.user, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)  # this session has just proved the second factor
            return render(request, "lms/two_factor/recovery_codes.html", {"codes": codes})
        form.add_error(
            "code",
            "The code is not right. Enter the 6 digits your app shows now; if it has just "
            "changed, wait for the next one.",
        )
    context = {
        "form": form,
        "qr_svg": _qr_svg(device),
        "secret": _secret_text(device),
        "reasons": two_factor_reasons(user=request.user),
    }
    return render(request, "lms/two_factor/setup.html", context)


@login_required
@require_POST
def two_factor_off(request):
    if not has_two_factor(user=request.user):
        return redirect("lms:two-factor")
    if two_factor_reasons(user=request.user):
        messages.error(
            request, "You cannot turn off two-factor sign-in: you are required to use it."
        )
        return redirect("lms:two-factor")
    form = PasswordCheckForm(request.POST, user=request.user, prefix="off")
    if not form.is_valid():
        return _manage_page(request, off_form=form)
    two_factor_disable(user=request.user)
    messages.success(request, "Two-factor sign-in is off. You sign in with your password alone.")
    return redirect("lms:account")


@login_required
@require_POST
def two_factor_recovery_codes(request):
    if not has_two_factor(user=request.user):
        return redirect("lms:two-factor")
    form = PasswordCheckForm(request.POST, user=request.user, prefix="codes")
    if not form.is_valid():
        return _manage_page(request, codes_form=form)
    codes = recovery_codes_replace(user=request.user)
    return render(request, "lms/two_factor/recovery_codes.html", {"codes": codes, "new": True})


# --- The second step of signing in -----------------------------------------------------------


def _start_again(request, message: str, next_url: str = ""):
    """Back to the password, keeping where the person was going (already checked safe)."""
    messages.info(request, message)
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return redirect(reverse("lms:login") + query)


@never_cache
def login_code(request):
    """After a correct password, the code from the person's app (or a recovery code). Only then
    are they signed in."""
    if request.user.is_authenticated:
        return redirect(safe_next(request, ""))
    pending = pending_get(request)
    if pending is None:
        return _start_again(request, "Enter your email address and password to sign in.")
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = two_factor_verify(user=pending.user, code=form.cleaned_data["code"])
        if check.device is not None:
            pending_clear(request)
            login(request, pending.user, backend=pending.backend)  # a new session key
            otp_login(request, check.device)
            return redirect(safe_next(request, pending.next_url))
        left = pending_count_wrong_code(request)
        if left == 0:
            return _start_again(
                request,
                "That code was not right either. For your safety, enter your email address "
                "and password again.",
                pending.next_url,
            )
        form.add_error("code", _wrong_code_message(check.must_wait, left))
    return render(request, "registration/login_code.html", {"form": form})


def _wrong_code_message(must_wait: bool, left: int) -> str:
    tries = "1 more try" if left == 1 else f"{left} more tries"
    if must_wait:
        return (
            "Too many wrong codes in a row. Wait a few seconds, then enter a new code. "
            f"You have {tries}."
        )
    return (
        "The code is not right. Enter the 6 digits your app shows now, or a recovery code. "
        f"You have {tries}."
    )


# --- An organisation's requirement -----------------------------------------------------------


@login_required
def organisation_security(request, slug):
    organisation = get_organisation_for_role(user=request.user, slug=slug, roles={Role.ORG_ADMIN})
    form = OrganisationSecurityForm(
        request.POST or None,
        initial={"require_two_factor_for_staff": organisation.require_two_factor_for_staff},
    )
    if request.method == "POST" and form.is_valid():
        required = form.cleaned_data["require_two_factor_for_staff"]
        organisation_two_factor_set(organisation=organisation, required=required, by=request.user)
        messages.success(
            request,
            "Coordinators and organisation admins must now use two-factor sign-in."
            if required
            else "Two-factor sign-in is now each coordinator's and admin's own choice.",
        )
        return redirect("lms:organisation-security", slug=organisation.slug)
    return render(
        request,
        "lms/organisation_security.html",
        {"organisation": organisation, "form": form},
    )
