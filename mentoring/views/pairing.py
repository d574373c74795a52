"""Views: pairing (being written)."""

urlpatterns = []
