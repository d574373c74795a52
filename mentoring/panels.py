"""Dashboard panels, navigation and organisation tabs for mentoring (placeholder, being written)."""


def trainee_panel(request):
    return None


def mentor_panel(request):
    return None


def coordinator_panel(request):
    return None


def navigation(request):
    return []


def organisation_tabs(request, organisation):
    return []
