import pytest
from django.urls import reverse

from lms.models import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_coordinator_opens_the_pathway_of_someone_with_two_roles_here(client, personas):
    # Someone who is both a peer and a mentor here must not be "found twice" (a 500).
    MembershipFactory(user=personas.mentor, organisation=personas.home, role=Role.PEER)
    client.force_login(personas.coordinator)

    response = client.get(reverse("pathways:person", args=[personas.home.slug, personas.mentor.pk]))

    assert response.status_code == 200
    assert "Mo Mentor’s pathway" in response.content.decode()
