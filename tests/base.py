"""Fixed personas in two organisations, the same in every test.

`personas.peer`, `.mentor`, `.coordinator`, `.org_admin` belong to "Home Org"; `.editor` is a
Wagtail editor with no membership; `.other_peer`, `.other_mentor`, `.other_coordinator` and
`.other_org_admin` hold the same roles in "Other Org".
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group

from lms.models import Organisation, Role, User
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


@dataclass
class Personas:
    home: Organisation
    other: Organisation
    peer: User
    mentor: User
    coordinator: User
    org_admin: User
    editor: User
    other_peer: User
    other_mentor: User
    other_coordinator: User
    other_org_admin: User


def _member(organisation: Organisation, role: str, email: str, name: str) -> User:
    user = UserFactory(email=email, display_name=name)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


def make_personas() -> Personas:
    home = OrganisationFactory(name="Home Org", slug="home-org")
    other = OrganisationFactory(name="Other Org", slug="other-org")
    editor = UserFactory(email="editor@example.org", display_name="Eve Editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    return Personas(
        home=home,
        other=other,
        peer=_member(home, Role.PEER, "peer@example.org", "Pat Peer"),
        mentor=_member(home, Role.MENTOR, "mentor@example.org", "Mo Mentor"),
        coordinator=_member(home, Role.COORDINATOR, "coordinator@example.org", "Cam Coordinator"),
        org_admin=_member(home, Role.ORG_ADMIN, "orgadmin@example.org", "Ola Admin"),
        editor=editor,
        other_peer=_member(other, Role.PEER, "other.peer@example.org", "Oz Peer"),
        other_mentor=_member(other, Role.MENTOR, "other.mentor@example.org", "Oli Mentor"),
        other_coordinator=_member(
            other, Role.COORDINATOR, "other.coordinator@example.org", "Ode Coordinator"
        ),
        other_org_admin=_member(other, Role.ORG_ADMIN, "other.orgadmin@example.org", "Orla Admin"),
    )
