"""Views: matching (being written)."""

urlpatterns = []
