from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware


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
