"""Demo data for the kernel: two organisations and one account per role.

Apps above the kernel add their own demo data through the Wagtail hook `seed_demo`: a function
that takes the `DemoKernel` made here and a `log` callable, and must be idempotent.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from lms.models import Membership, Organisation, Role, User

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo password, refused outside DEBUG


@dataclass
class DemoKernel:
    nottingham: Organisation
    leeds: Organisation
    people: dict[str, User]


# email -> (display name, pronouns, [(organisation key, role), ...])
DEMO_ACCOUNTS = {
    "peer@demo.example": ("Sam Peer", "they/them", [("nottingham", Role.PEER)]),
    "mentor@demo.example": (
        "Maya Mentor",
        "she/her",
        [("nottingham", Role.PEER), ("nottingham", Role.MENTOR)],
    ),
    "coordinator@demo.example": ("Chris Coordinator", "he/him", [("nottingham", Role.COORDINATOR)]),
    "orgadmin@demo.example": ("Olu Admin", "", [("nottingham", Role.ORG_ADMIN)]),
    "editor@demo.example": ("Eden Editor", "", []),
    "admin@demo.example": ("Ada Admin", "", []),
    "coordinator@leeds.demo.example": ("Lee Coordinator", "", [("leeds", Role.COORDINATOR)]),
}


def _account(email: str, display_name: str, pronouns: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, display_name=display_name, pronouns=pronouns
        )
    return user


@transaction.atomic
def seed_kernel() -> DemoKernel:
    organisations = {
        "nottingham": Organisation.objects.get_or_create(
            slug="real-lives-nottingham", defaults={"name": "Real Lives Nottingham"}
        )[0],
        "leeds": Organisation.objects.get_or_create(
            slug="leeds-peer-support", defaults={"name": "Leeds Peer Support"}
        )[0],
    }
    people = {}
    for email, (display_name, pronouns, roles) in DEMO_ACCOUNTS.items():
        user = _account(email, display_name, pronouns)
        for organisation_key, role in roles:
            Membership.objects.get_or_create(
                user=user,
                organisation=organisations[organisation_key],
                role=role,
                active_to__isnull=True,
            )
        people[email] = user

    admin = people["admin@demo.example"]
    if not admin.is_superuser:
        admin.is_superuser = admin.is_staff = True
        admin.save(update_fields=["is_superuser", "is_staff"])
    # Wagtail's own "Editors" group may edit and publish pages; editors see no learner data.
    editors, _ = Group.objects.get_or_create(name="Editors")
    people["editor@demo.example"].groups.add(editors)
    return DemoKernel(organisations["nottingham"], organisations["leeds"], people)
