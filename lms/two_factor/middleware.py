from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

from lms.middleware import is_signed_in
from lms.two_factor.selectors import is_two_factor_required, sign_in_facts


class TwoFactorMiddleware:
    """Two rules for every page, the Wagtail admin included:

    - a session of someone who has set up two-factor sign-in must have passed it: a session
      begun before they set it up (in another browser, or through any sign-in page that does
      not ask for the code) is signed out and must sign in again with the code;
    - someone required to use it who has not set it up is sent to set it up, and can open
      nothing else but sign-out.

    Must sit after django_otp's OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_signed_in(request) and not self._exempt(request.path_info):
            response = self._enforce(request)
            if response is not None:
                return response
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        return (
            path.startswith(reverse("lms:two-factor"))
            or path == reverse("lms:logout")
            or path.startswith(settings.STATIC_URL)
        )

    @staticmethod
    def _enforce(request):
        user = request.user
        if user.is_verified():
            return None
        if sign_in_facts(user=user).has_two_factor:
            next_url = request.get_full_path()
            logout(request)
            messages.info(request, "Sign in again with the code from your authenticator app.")
            return redirect_to_login(next_url)
        if is_two_factor_required(user=user):
            return redirect("lms:two-factor")
        return None
