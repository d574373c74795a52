"""One confirmation step for destructive actions (issue 11: nothing lost to a click).

An action that destroys something, or is hard to take back, answers a GET, or a POST without
`confirm=yes`, with a page that says what will happen and a form that posts `confirm=yes`; only
that second POST acts. Without JavaScript this is two plain pages. The page also says whether and
for how long the action can be undone.
"""

from dataclasses import dataclass, field

from django.template.response import TemplateResponse

from lms.submissions import FIELD as SUBMISSION_FIELD

CONFIRM_FIELD = "confirm"


def confirmed(request) -> bool:
    """True only for the POST sent from the confirmation page."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes"


@dataclass
class Confirmation:
    title: str
    happens: list[str]
    button: str
    cancel_url: str
    cancel_label: str = "No, go back"
    # How it can be taken back ("You can undo this for 7 days…"), or why it cannot.
    undo: str = ""
    intro: str = ""
    # Fields the action needs, carried through the confirmation page unchanged.
    hidden: dict[str, str] = field(default_factory=dict)


def confirm_page(request, confirmation: Confirmation, *, status: int = 200) -> TemplateResponse:
    # A form's one-time submission token (lms.submissions) travels on to the confirming POST,
    # so the confirmed action is still applied only once.
    token = request.POST.get(SUBMISSION_FIELD) if request.method == "POST" else None
    if token and SUBMISSION_FIELD not in confirmation.hidden:
        confirmation.hidden[SUBMISSION_FIELD] = token
    return TemplateResponse(
        request, "confirm_action.html", {"confirmation": confirmation}, status=status
    )
