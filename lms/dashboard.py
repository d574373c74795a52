"""The signed-in home page is assembled from panels that apps contribute through the Wagtail hook
`dashboard_panels`, so the kernel never imports the apps above it.

A hook function takes the request and returns a `Panel` or None (nothing to show this person).
"""

from dataclasses import dataclass, field

from wagtail import hooks

from lms.selectors import roles_for_user


@dataclass
class Panel:
    title: str
    template_name: str
    context: dict = field(default_factory=dict)
    order: int = 100  # lower comes first

    @property
    def slug(self) -> str:
        return "panel-" + "-".join(self.title.lower().split())


def panels_for_request(request) -> list[Panel]:
    panels = [panel for hook in hooks.get_hooks("dashboard_panels") if (panel := hook(request))]
    return sorted(panels, key=lambda panel: panel.order)


def organisations_panel(request) -> Panel:
    return Panel(
        title="Your organisations and roles",
        template_name="lms/panels/organisations.html",
        context={"entries": roles_for_user(user=request.user)},
        order=1000,
    )
