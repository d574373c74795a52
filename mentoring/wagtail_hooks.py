"""How mentoring plugs into the layers below: the kernel's mentor relation, dashboard panels,
navigation, organisation tabs and demo data."""

from wagtail import hooks

from mentoring import panels
from mentoring.access import mentor_relationship
from mentoring.data_export import mentoring_export_part
from mentoring.demo import seed_mentoring
from mentoring.services.erasure import erase_mentoring_data
from mentoring.services.retention import concerns_remove_closed, mentor_requests_remove_old

hooks.register("mentor_relationship", mentor_relationship)
hooks.register("dashboard_panels", panels.trainee_panel)
hooks.register("dashboard_panels", panels.mentor_panel)
hooks.register("dashboard_panels", panels.coordinator_panel)
hooks.register("navigation_items", panels.navigation)
hooks.register("organisation_tabs", panels.organisation_tabs)
hooks.register("seed_demo", seed_mentoring)
hooks.register("data_export", mentoring_export_part)
hooks.register("data_erase", erase_mentoring_data)


@hooks.register("retention_sweep")
def mentoring_retention_sweep(now):
    """Closed concerns after the organisation's period; requests that never became a mentorship
    after a year (docs/privacy.md)."""
    return {
        "closed concerns": concerns_remove_closed(now=now),
        "old mentor requests": mentor_requests_remove_old(now=now),
    }
