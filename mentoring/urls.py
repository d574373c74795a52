"""Mentoring urls. Each area's views module lists its own routes; all are namespaced
`mentoring:`."""

from mentoring.views import care, matching, pairing, supervision

app_name = "mentoring"

urlpatterns = [
    *matching.urlpatterns,
    *pairing.urlpatterns,
    *supervision.urlpatterns,
    *care.urlpatterns,
]
