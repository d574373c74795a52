"""`manage.py seed_demo`: two organisations and one account per role, for trying the site out."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from lms.demo import seed_kernel
from lms.models import Membership, Organisation, Role, User

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo-pass-2026"
NOTTINGHAM = "real-lives-nottingham"
LEEDS = "leeds-peer-support"

# The accounts README.md and the seed output promise: email -> {(organisation slug, role)}.
EXPECTED_ROLES = {
    "peer@demo.example": {(NOTTINGHAM, Role.PEER)},
    "mentor@demo.example": {(NOTTINGHAM, Role.PEER), (NOTTINGHAM, Role.MENTOR)},
    "coordinator@demo.example": {(NOTTINGHAM, Role.COORDINATOR)},
    "orgadmin@demo.example": {(NOTTINGHAM, Role.ORG_ADMIN)},
    "editor@demo.example": set(),
    "admin@demo.example": set(),
    "coordinator@leeds.demo.example": {(LEEDS, Role.COORDINATOR)},
}


@pytest.fixture
def seeded():
    """The kernel's demo data only: what most of these tests check, without the courses and the
    generated population the other apps add (the `seed_demo` command tests below run it all)."""
    seed_kernel()


@pytest.fixture
def seed_output(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts():
    return {
        "users": User.objects.count(),
        "organisations": Organisation.objects.count(),
        "memberships": Membership.objects.count(),
        "groups": Group.objects.count(),
        "editors": Group.objects.get(name="Editors").user_set.count(),
    }


def test_seed_creates_the_two_organisations(seeded):
    assert dict(Organisation.objects.values_list("slug", "name")) == {
        NOTTINGHAM: "Real Lives Nottingham",
        LEEDS: "Leeds Peer Support",
    }


def test_seed_creates_all_seven_accounts(seeded):
    assert set(User.objects.values_list("email", flat=True)) == set(EXPECTED_ROLES)


def test_the_whole_demo_keeps_the_seven_accounts_and_adds_only_generated_people(seed_output):
    named = User.objects.exclude(email__endswith="@generated.demo.example")
    assert set(named.values_list("email", flat=True)) == set(EXPECTED_ROLES)


@pytest.mark.parametrize("email", sorted(EXPECTED_ROLES))
def test_seed_gives_each_account_its_documented_roles(seeded, email):
    roles = set(
        Membership.objects.active()
        .filter(user__email=email)
        .values_list("organisation__slug", "role")
    )

    assert roles == EXPECTED_ROLES[email]


@pytest.mark.parametrize("email", sorted(EXPECTED_ROLES))
def test_demo_password_signs_in_every_account(client, seeded, email):
    response = client.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"


def test_admin_is_a_superuser_and_editor_is_in_the_editors_group(seeded):
    admin = User.objects.get(email="admin@demo.example")
    editor = User.objects.get(email="editor@demo.example")

    assert admin.is_superuser and admin.is_staff
    assert editor.groups.filter(name="Editors").exists()
    assert not editor.is_superuser


@pytest.mark.parametrize(
    ("email", "first_name"),
    [
        ("peer@demo.example", "Sam"),
        ("mentor@demo.example", "Maya"),
        ("coordinator@demo.example", "Chris"),
        ("orgadmin@demo.example", "Olu"),
        ("editor@demo.example", "Eden"),
        ("admin@demo.example", "Ada"),
        ("coordinator@leeds.demo.example", "Lee"),
    ],
)
def test_seed_accounts_have_the_names_in_the_readme(seeded, email, first_name):
    assert User.objects.get(email=email).display_name.split()[0] == first_name


def test_demo_editor_can_open_the_wagtail_admin(client, seeded):
    client.post("/accounts/login/", {"username": "editor@demo.example", "password": DEMO_PASSWORD})

    assert client.get("/admin/").status_code == 200


def test_demo_peer_cannot_open_the_wagtail_admin(client, seeded):
    client.post("/accounts/login/", {"username": "peer@demo.example", "password": DEMO_PASSWORD})

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_only_the_admin_is_a_superuser(seeded):
    assert list(User.objects.filter(is_superuser=True).values_list("email", flat=True)) == [
        "admin@demo.example"
    ]


def test_seed_output_lists_the_accounts_and_password(seed_output):
    for email in EXPECTED_ROLES:
        assert email in seed_output
    assert DEMO_PASSWORD in seed_output


def test_running_seed_twice_changes_no_counts(seed_output):
    before = _counts()

    call_command("seed_demo", stdout=StringIO())

    assert _counts() == before


def test_running_seed_again_keeps_changed_passwords(seed_output):
    peer = User.objects.get(email="peer@demo.example")
    peer.set_password("my-own-new-password-2026")
    peer.save(update_fields=["password"])

    call_command("seed_demo", stdout=StringIO())

    peer.refresh_from_db()
    assert peer.check_password("my-own-new-password-2026")


def test_seed_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())

    assert not User.objects.filter(email__endswith="demo.example").exists()
    assert not Organisation.objects.exists()
