"""Every write for two-factor sign-in. Codes and secrets never reach the audit log: events name
the device by id only."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.models import Organisation, User
from lms.services import audit_record

DEVICE_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
_SEPARATORS = re.compile(r"[\s-]+")


def normalise_code(code: str) -> str:
    """People copy codes with spaces or dashes ("123 456", "abcd-efgh") and in capitals."""
    return _SEPARATORS.sub("", code or "").lower()


def is_app_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def two_factor_setup_device(*, user: User) -> TOTPDevice:
    """The authenticator app being set up: the same secret until it is confirmed, so a QR code
    already scanned keeps working if the page is reloaded or a code is mistyped."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _new_recovery_codes(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Turn two-factor sign-in on if `code` comes from the app being set up. Returns the new
    recovery codes (shown once, never stored anywhere else), or None for a wrong code."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    code = normalise_code(code)
    if device.confirmed or not is_app_code(code) or not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Any other half-set-up app is dropped: one authenticator app per person.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(user=user)
    audit_record(actor=user, action="lms.two_factor.enabled", subject=device, subject_user=user)
    return codes


@transaction.atomic
def recovery_codes_replace(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    codes = _new_recovery_codes(user=user)
    audit_record(actor=user, action="lms.two_factor.recovery_codes_replaced", subject_user=user)
    return codes


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    """Turn two-factor sign-in off: the app and every recovery code are forgotten."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(actor=user, action="lms.two_factor.disabled", subject_user=user)


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None  # the device that accepted the code, or None
    must_wait: bool = False  # too many wrong codes in a row: the device refuses for a while


def two_factor_verify(*, user: User, code: str) -> CodeCheck:
    """Check a code from the app (6 digits) or a recovery code (used up once accepted). Wrong
    codes slow down further tries (django-otp's throttling: 1, 2, 4, 8 … seconds)."""
    code = normalise_code(code)
    model = TOTPDevice if is_app_code(code) else StaticDevice
    with transaction.atomic():
        device = model.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        if device is None or not code:
            return CodeCheck(device=None)
        if not device.verify_is_allowed()[0]:
            return CodeCheck(device=None, must_wait=True)
        if not device.verify_token(code):
            return CodeCheck(device=None)
        if model is StaticDevice:
            audit_record(
                actor=user,
                action="lms.two_factor.recovery_code_used",
                subject_user=user,
                detail={"codes_left": device.token_set.count()},
            )
    return CodeCheck(device=device)


def organisation_two_factor_set(*, organisation: Organisation, required: bool, by: User) -> None:
    """An org admin decides whether their coordinators and org admins must use two factors."""
    if organisation.require_two_factor_for_staff == required:
        return
    organisation.require_two_factor_for_staff = required
    organisation.save(update_fields=["require_two_factor_for_staff"])
    audit_record(
        actor=by,
        action="lms.two_factor.required_changed",
        subject=organisation,
        organisation=organisation,
        detail={"required": required},
    )
