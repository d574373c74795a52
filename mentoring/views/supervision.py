"""Views: supervision (being written)."""

urlpatterns = []
