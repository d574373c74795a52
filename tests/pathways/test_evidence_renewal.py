"""An evidence requirement with a renewal period runs from the sign-off, not the submission."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pathways.models import Evidence, EvidenceReview
from pathways.requirements import EXPIRED, MET, clock_for, registry
from pathways.services import pathway_join
from tests.pathways.builders import add_requirement, make_framework, make_pathway, stages

pytestmark = pytest.mark.django_db

KIND = "DBS check"


def _evidence(person, reviewer, *, sent_days_ago, signed_days_ago):
    evidence = Evidence.objects.create(
        user=person,
        evidence_kind=KIND,
        statement="<p>Done.</p>",
        status=Evidence.SIGNED_OFF,
        submitted_at=timezone.now() - timedelta(days=sent_days_ago),
    )
    EvidenceReview.objects.create(
        evidence=evidence,
        reviewer=reviewer,
        outcome=Evidence.SIGNED_OFF,
        reviewed_at=timezone.now() - timedelta(days=signed_days_ago),
    )


@pytest.mark.parametrize(("signed_days_ago", "state"), [(30, MET), (400, EXPIRED)])
def test_evidence_renewal_counts_from_the_sign_off(personas, signed_days_ago, state):
    pathway = make_pathway(framework=make_framework())
    requirement = add_requirement(
        stages(pathway)[1], "evidence", evidence_kind=KIND, renewal_months=12
    )
    pathway_join(user=personas.peer, pathway=pathway)
    _evidence(
        personas.peer, personas.coordinator, sent_days_ago=420, signed_days_ago=signed_days_ago
    )

    statuses = registry.evaluate(requirement, [personas.peer.pk], clock_for([personas.peer.pk]))

    assert statuses[personas.peer.pk].state == state
