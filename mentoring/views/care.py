"""Views: care (being written)."""

urlpatterns = []
