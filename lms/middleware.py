from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.utils.cache import add_never_cache_headers


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """The strict site policy everywhere except the Wagtail admin, whose pages use inline script
    and style (and which only signed-in editors reach)."""

    def process_response(self, request, response):
        if request.path_info.startswith("/admin/"):
            response._csp_update = {
                "script-src": [UNSAFE_INLINE],
                "style-src": [UNSAFE_INLINE],
                "img-src": ["blob:"],
            }
        return super().process_response(request, response)


def is_signed_in(request) -> bool:
    # Someone without a session cookie cannot be signed in; asking first keeps public pages from
    # loading a session they do not have.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated)


class NoStoreForSignedInMiddleware:
    """Nothing sent to a signed-in person is kept by the browser or any cache: their pages and
    files carry health data, and the next person at a shared computer must not find them in the
    back button or the disk cache after sign-out. Public pages and static files stay cacheable.
    Must sit after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if is_signed_in(request):
            add_never_cache_headers(response)
        return response
