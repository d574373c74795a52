"""Demo mentoring at Real Lives Nottingham: the organisation's mentoring settings, a dozen named
mentors with varied profiles (and Maya's own), active mentorships with confirmed supervision,
feedback and action items, one request waiting for Maya's answer, one open concern, Sam without a
mentor but with preferences that make the shortlist worth looking at, and past supervision for
generated peers whose only gap for their next stage is supervision hours.

`seed_mentoring(kernel, log)` runs after the pathways demo and is safe to run again: people,
profiles and settings are found by their natural keys and left as they are; a mentorship is made
only when that mentor and trainee have never had one, its sessions only when it has none. Rows
are written directly, not through the services, which would email people about made-up events.

The named mentors sign in with the demo password. Their addresses are on the generated domain,
like the pathways demo's generated peers, because the seven documented accounts are the only
ones on demo.example.
"""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from lms.demo import DEMO_PASSWORD
from lms.models import Membership, Role, User
from mentoring.models import (
    SUPERVISION_TOPICS,
    ActionItem,
    Concern,
    EndReason,
    LivedExperienceVisibility,
    MeetingFormat,
    MentoringSettings,
    MentorProfile,
    MentorRequest,
    Mentorship,
    SessionFeedback,
    SessionFormat,
    SessionPrivateNote,
    SupervisionSession,
    TraineePreferences,
    WellnessPlan,
    WellnessPlanEntry,
)
from pathways.models import Pathway, PathwayMembership, StageDecision
from pathways.population import EMAIL_DOMAIN
from pathways.selectors import readiness_for_organisation
from pathways.services import pathway_join

PATHWAY_NAME = "Peer worker career pathway"
MENTOR_STAGE = "Peer support worker / PAL"
MENTOR_EMAIL_DOMAIN = EMAIL_DOMAIN

NOBODY = LivedExperienceVisibility.NOBODY
COORDINATORS = LivedExperienceVisibility.COORDINATORS
TRAINEES = LivedExperienceVisibility.TRAINEES
IN_PERSON, ONLINE, EITHER = MeetingFormat.IN_PERSON, MeetingFormat.ONLINE, MeetingFormat.EITHER

# first name -> profile. "stage" is how many pathway stages they have reached (3 to 5).
MENTORS = {
    "Aisha": {
        "name": "Aisha Rahman",
        "pronouns": "she/her",
        "stage": 4,
        "bio": "I have been a peer broker for three years, helping people plan how to spend their "
        "personal budget. I grew up in Sneinton and work with a lot of South Asian families.",
        "capacity": 3,
        "specialisms": ["personal_budgets", "racialised_communities", "carers"],
        "languages": ["english", "urdu", "punjabi"],
        "area": "Sneinton",
        "format": EITHER,
        "availability": "Weekday mornings, and Thursday evenings online.",
        "lived_experience": "Psychosis and recovery; caring for my mum.",
        "visibility": TRAINEES,
    },
    "Tomasz": {
        "name": "Tomasz Nowak",
        "pronouns": "he/him",
        "stage": 3,
        "bio": "Peer support worker at the employment hub. I like helping people back into work "
        "or volunteering at a pace that suits them.",
        "capacity": 1,  # and he has one mentee, so he is full
        "specialisms": ["employment", "housing"],
        "languages": ["english", "polish"],
        "area": "Bulwell",
        "format": IN_PERSON,
        "availability": "Tuesdays and Wednesdays.",
        "lived_experience": "Alcohol use and homelessness, ten years ago.",
        "visibility": COORDINATORS,
    },
    "Grace": {
        "name": "Grace Okafor",
        "pronouns": "she/her",
        "stage": 4,
        "bio": "I work with young people in Hyson Green. I am taking a break from new mentees "
        "while I finish my peer trainer course.",
        "capacity": 2,
        "accepting": False,
        "specialisms": ["young_people", "self_harm"],
        "languages": ["english"],
        "area": "Hyson Green",
        "format": EITHER,
        "availability": "Not taking new mentees until the spring.",
        "lived_experience": "Self-harm as a teenager.",
        "visibility": NOBODY,
    },
    "Imran": {
        "name": "Imran Hussain",
        "pronouns": "he/him",
        "stage": 4,
        "bio": "Peer broker. I help people set up and manage direct payments and personal "
        "budgets, and I am happy to meet online.",
        "capacity": 2,
        "specialisms": ["personal_budgets", "brokerage"],
        "languages": ["english", "urdu"],
        "area": "West Bridgford",
        "format": ONLINE,
        "availability": "Monday and Friday afternoons.",
        "lived_experience": "Depression after losing my job.",
        "visibility": TRAINEES,
    },
    "Deepa": {
        "name": "Deepa Kaur",
        "pronouns": "she/her",
        "stage": 3,
        "bio": "I support carers and older people, and I run a carers' group in Beeston.",
        "capacity": 2,
        "specialisms": ["carers", "older_people"],
        "languages": ["english", "punjabi", "hindi"],
        "area": "Beeston",
        "format": IN_PERSON,
        "availability": "Weekdays, 10 till 3.",
        "lived_experience": "",
        "visibility": NOBODY,
    },
    "Ruth": {
        "name": "Ruth Campbell",
        "pronouns": "she/they",
        "stage": 5,
        "bio": "Peer lead and trainer. I am Deaf and sign BSL; I co-run the hearing voices group "
        "and the LGBTQ+ peer network.",
        "capacity": 2,
        "specialisms": ["hearing_voices", "lgbtq"],
        "languages": ["english", "british sign language"],
        "area": "Arnold",
        "format": EITHER,
        "availability": "Flexible; video calls work well for me.",
        "lived_experience": "Hearing voices; being Deaf in mental health services.",
        "visibility": TRAINEES,
    },
    "Marcus": {
        "name": "Marcus Reid",
        "pronouns": "he/him",
        "stage": 4,
        "bio": "I work with people leaving prison and people who use drugs or alcohol.",
        "capacity": 3,
        "specialisms": ["criminal_justice", "substance_use"],
        "languages": ["english"],
        "area": "Clifton",
        "format": IN_PERSON,
        "availability": "Evenings and Saturdays.",
        "lived_experience": "Prison and addiction.",
        "visibility": COORDINATORS,
    },
    "Ana": {
        "name": "Ana Kowalski",
        "pronouns": "she/her",
        "stage": 3,
        "bio": "Peer support worker with the young people's team, and a volunteer coordinator.",
        "capacity": 2,
        "specialisms": ["employment", "young_people"],
        "languages": ["english", "polish"],
        "area": "Sneinton",
        "format": ONLINE,
        "availability": "Weekday evenings online.",
        "lived_experience": "Eating disorder in my twenties.",
        "visibility": NOBODY,
    },
    "Kemi": {
        "name": "Kemi Mensah",
        "pronouns": "she/her",
        "stage": 4,
        "bio": "Housing peer worker. I help people with tenancies and with being heard by "
        "services that have not always listened.",
        "capacity": 2,
        "specialisms": ["racialised_communities", "housing"],
        "languages": ["english", "yoruba"],
        "area": "Radford",
        "format": EITHER,
        "availability": "Mondays to Thursdays.",
        "lived_experience": "Bipolar disorder; racism in services.",
        "visibility": TRAINEES,
    },
    "Finn": {
        "name": "Finn Murphy",
        "pronouns": "they/them",
        "stage": 3,
        "bio": "I support young LGBTQ+ people, mostly online.",
        "capacity": 2,
        "specialisms": ["lgbtq", "young_people"],
        "languages": ["english"],
        "area": "Lenton",
        "format": ONLINE,
        "availability": "Afternoons.",
        "lived_experience": "",
        "visibility": NOBODY,
    },
    "Zara": {
        "name": "Zara Shah",
        "pronouns": "she/her",
        "stage": 4,
        "bio": "Peer broker working with families, personal budgets and people who self-harm.",
        "capacity": 2,
        "specialisms": ["personal_budgets", "self_harm"],
        "languages": ["english", "urdu", "arabic"],
        "area": "Carlton",
        "format": IN_PERSON,
        "availability": "Wednesday and Thursday.",
        "lived_experience": "Anxiety and self-harm.",
        "visibility": COORDINATORS,
    },
    "Hamza": {
        "name": "Hamza Ahmed",
        "pronouns": "he/him",
        "stage": 3,
        "bio": "Peer worker in the drug and alcohol service, now learning peer brokerage.",
        "capacity": 2,
        "specialisms": ["substance_use", "brokerage"],
        "languages": ["english", "urdu"],
        "area": "Basford",
        "format": ONLINE,
        "availability": "Mornings online.",
        "lived_experience": "Recovery from heroin use.",
        "visibility": TRAINEES,
    },
}

MAYA_PROFILE = {
    "bio": "Senior peer and peer broker. I have mentored trainees for two years and I enjoy "
    "helping people find their own way of using their lived experience at work.",
    "capacity": 3,
    "specialisms": ["personal_budgets", "brokerage", "housing"],
    "languages": ["english"],
    "area": "Nottingham city centre",
    "format": EITHER,
    "availability": "Tuesday and Thursday afternoons, in person or online.",
    "lived_experience": "Depression and anxiety since my teens.",
    "visibility": TRAINEES,
}

SAM_PREFERENCES = {
    "specialisms": ["personal_budgets", "racialised_communities"],
    "languages": ["urdu"],
    "area": "Sneinton",
    "format": ONLINE,
    "notes": "<p>Someone who understands family expectations, and who can meet online in the "
    "evenings around my placement.</p>",
}

# The mentorships to make: (mentor key, mentee number among the early-stage generated peers,
# status). "maya" is mentor@demo.example.
MENTORSHIPS = [
    ("maya", 0, Mentorship.ACTIVE),
    ("maya", 1, Mentorship.ACTIVE),
    ("Tomasz", 2, Mentorship.ACTIVE),
    ("Aisha", 3, Mentorship.ACTIVE),
    ("Marcus", 4, Mentorship.ACTIVE),
    ("Ruth", 5, Mentorship.ACTIVE),
    ("Kemi", 6, Mentorship.PAUSED),
]
REQUESTER = 7  # the generated peer who has asked Maya and is waiting for her answer
# Mentorships whose sessions all happened longer ago, by this many weeks: Tomasz's mentee has had
# no supervision this month, so the coverage page has someone to flag to the coordinator.
WEEKS_SINCE_SUPERVISION = {2: 3}
CONCERN_ABOUT = 1  # Maya's second mentee

# Sessions per mentorship: (weeks ago, minutes, format, topics, summary, wellbeing, rating).
SESSIONS = [
    (
        11,
        60,
        SessionFormat.IN_PERSON,
        ["wellbeing", "learning_and_development"],
        "We got to know each other and talked about what you want from your traineeship. You "
        "would like to feel more confident speaking up in team meetings.",
        3,
        4,
    ),
    (
        7,
        75,
        SessionFormat.ONLINE,
        ["boundaries", "using_lived_experience"],
        "We talked about how much of your own story to share with the people you support, and "
        "practised a way of saying no to extra shifts kindly.",
        4,
        3,
    ),
    (
        3,
        60,
        SessionFormat.IN_PERSON,
        ["caseload_and_workload", "wellbeing"],
        "Your caseload has grown. We agreed what to raise with your team leader and what helps "
        "you switch off after a hard day.",
        3,
        4,
    ),
]
ACTIONS = [
    ("Ask the team leader about protected time for training", "trainee", 10),
    ("Write the first section of your wellness action plan", "trainee", 21),
    ("Send the notes on personal budgets from our session", "mentor", -14),
]
PRIVATE_NOTE = "<p>Check in next time about the shift pattern; they seemed tired.</p>"
CONCERN_WORDS = (
    "In our last session they told me they had not been sleeping for a week and had stopped "
    "going to the gym, which they said keeps them well. They asked me not to make a fuss. I "
    "said I would let the coordinator know so that someone can check in with them kindly."
)
REQUEST_MESSAGE = (
    "Hello Maya, I read that you work with personal budgets and housing. I am new to peer "
    "work and would love someone to talk things through with. Thank you for reading this."
)
PLAN = {
    "what_keeps_me_well": "<p>Walking by the canal, cooking for friends, eight hours' sleep.</p>",
    "early_warning_signs": "<p>I stop answering messages and skip meals.</p>",
    "support_that_helps_me_at_work": "<p>A quiet check-in, and being able to swap a shift.</p>",
}


@transaction.atomic
def seed_mentoring(kernel, log) -> None:
    nottingham = kernel.nottingham
    pathway = Pathway.objects.filter(name=PATHWAY_NAME, organisation=None).first()
    stages = list(pathway.stages.order_by("sort_order")) if pathway else []
    if pathway is None:
        log(f"Mentoring demo: the pathway “{PATHWAY_NAME}” is missing; mentors are not placed.")
    _settings(nottingham, stages, log)
    coordinator = kernel.people["coordinator@demo.example"]
    mentors = {"maya": kernel.people["mentor@demo.example"]}
    for key, spec in MENTORS.items():
        mentors[key] = _mentor(key, spec, nottingham, pathway, stages, coordinator, log)
    _profile(mentors["maya"], MAYA_PROFILE, nottingham, log)
    _sam(kernel.people["peer@demo.example"], log)

    trainees = _early_stage_peers(nottingham, count=REQUESTER + 1)
    if len(trainees) <= REQUESTER:
        log("Mentoring demo: too few generated peers for the demo mentorships; skipped them.")
        return
    made = {}
    for mentor_key, number, status in MENTORSHIPS:
        made[number] = _mentorship(
            mentors[mentor_key],
            trainees[number],
            nottingham,
            status,
            log,
            weeks_back=WEEKS_SINCE_SUPERVISION.get(number, 0),
        )
    _request(trainees[REQUESTER], mentors["maya"], nottingham, log)
    _concern(made[CONCERN_ABOUT], log)
    _plan(made[0], log)
    _supervision_history(nottingham, [mentors[key] for key in MENTORS], log)


# --- Settings, people and profiles ------------------------------------------------------------


def _settings(organisation, stages, log) -> None:
    stage = next((s for s in stages if s.title == MENTOR_STAGE), None)
    found, created = MentoringSettings.objects.get_or_create(
        organisation=organisation, defaults={"mentor_min_stage": stage}
    )
    log(
        f"Mentoring settings for {organisation}: {'created' if created else 'found'} "
        f"(mentors from “{found.mentor_min_stage or 'any stage'}”)"
    )


def _mentor(key, spec, organisation, pathway, stages, coordinator, log) -> User:
    email = f"{key.lower()}.mentor@{MENTOR_EMAIL_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            display_name=spec["name"],
            pronouns=spec["pronouns"],
        )
        log(f"Mentor {spec['name']} <{email}>: created")
    for role in (Role.PEER, Role.MENTOR):
        if not Membership.objects.filter(
            user=user, organisation=organisation, role=role, active_to__isnull=True
        ).exists():
            Membership.objects.create(
                user=user,
                organisation=organisation,
                role=role,
                active_from=timezone.localdate() - timedelta(days=365 * spec["stage"]),
            )
    if stages:
        _place(user, pathway, stages[: spec["stage"]], coordinator, log)
    _profile(user, spec, organisation, log)
    return user


def _place(user, pathway, stages, coordinator, log) -> None:
    """Put a mentor on the pathway at the last of `stages`, a year a stage, with the decisions
    that took them there; someone already on it is left where they are."""
    if PathwayMembership.objects.filter(user=user, pathway=pathway).exists():
        return
    now = timezone.now()
    reached = [now - timedelta(days=365 * (len(stages) - step)) for step in range(len(stages))]
    membership = pathway_join(user=user, pathway=pathway, stage=stages[-1])
    membership.joined_at, membership.stage_reached_at = reached[0], reached[-1]
    membership.save(update_fields=["joined_at", "stage_reached_at"])
    StageDecision.objects.bulk_create(
        StageDecision(
            membership=membership,
            from_stage=stages[step - 1],
            to_stage=stages[step],
            outcome=StageDecision.CONFIRMED,
            decided_by=coordinator,
            decided_at=reached[step],
        )
        for step in range(1, len(stages))
    )
    log(f"{user.display_name} is at “{stages[-1]}”")


def _profile(user, spec, organisation, log) -> None:
    _, created = MentorProfile.objects.get_or_create(
        user=user,
        organisation=organisation,
        defaults={
            "bio": f"<p>{spec['bio']}</p>",
            "capacity": spec["capacity"],
            "accepting": spec.get("accepting", True),
            "specialisms": spec["specialisms"],
            "languages": spec["languages"],
            "area": spec["area"],
            "format": spec["format"],
            "availability": spec["availability"],
            "lived_experience": spec["lived_experience"],
            "lived_experience_visibility": spec["visibility"],
        },
    )
    log(f"Mentor profile of {user.display_name}: {'created' if created else 'found'}")


def _sam(sam, log) -> None:
    _, created = TraineePreferences.objects.get_or_create(user=sam, defaults=SAM_PREFERENCES)
    log(
        f"{sam.display_name}'s mentor preferences (Urdu, personal budgets, online): "
        f"{'created' if created else 'found'}; no mentor yet, so the shortlist has choices."
    )


def _early_stage_peers(organisation, *, count: int) -> list[User]:
    """Generated peers in their first two stages, who are nobody's mentor: the same people on
    every run, because the mentoring demo never moves anyone along the pathway."""
    mentors = Membership.objects.filter(organisation=organisation, role=Role.MENTOR)
    return list(
        User.objects.filter(
            email__endswith=f"@{EMAIL_DOMAIN}",
            email__startswith="peer-",
            memberships__organisation=organisation,
            memberships__role=Role.PEER,
            pathway_memberships__stage__sort_order__lte=1,
        )
        .exclude(pk__in=mentors.values("user_id"))
        .distinct()
        .order_by("email")[:count]
    )


# --- Mentorships and what happened in them ----------------------------------------------------

HISTORY_SESSION_MINUTES = 90
MENTORING_KINDS = {"supervision_hours", "supervision_hours_given", "mentored_trainees"}


def _supervision_history(organisation, mentors: list[User], log) -> None:
    """Generated peers whose only gaps for their next stage are mentoring ones get the history
    they would have had: an ended mentorship (goals met) with enough confirmed sessions, as the
    trainee when they lack supervision hours, as the mentor of another generated peer when they
    lack hours given or trainees mentored. The readiness page then has people ready to
    progress. Nobody who has ever been in a mentorship is chosen, which also keeps a second run
    from adding anything."""
    involved = set()
    for row in Mentorship.objects.filter(organisation=organisation).values_list(
        "trainee_id", "mentor_id"
    ):
        involved.update(row)
    partners = [
        user.pk for user in _early_stage_peers(organisation, count=200) if user.pk not in involved
    ]
    given = 0
    for person in readiness_for_organisation(organisation=organisation).people:
        gaps = [item for item in person.next_requirements if not item.status.met]
        kinds = {item.requirement.kind for item in gaps}
        if person.paused or person.user.pk in involved or not kinds <= MENTORING_KINDS:
            continue
        if not kinds:
            continue
        hours = max(item.requirement.amount for item in gaps if item.requirement.amount)
        if kinds == {"supervision_hours"}:
            _past_mentorship(organisation, mentors[given % len(mentors)].pk, person.user.pk, hours)
        elif partners:
            # Trainees mentored counts people, not hours: a few months' supervision will do.
            hours = hours if "supervision_hours_given" in kinds else 12
            _past_mentorship(organisation, person.user.pk, partners.pop(0), hours)
        else:
            continue
        involved.add(person.user.pk)
        given += 1
    log(f"Mentoring history for {given} generated peers, so that they are ready to progress")


def _past_mentorship(organisation, mentor_id: int, trainee_id: int, hours) -> None:
    count = -(-int(hours * 60) // HISTORY_SESSION_MINUTES)  # enough sessions to cover `hours`
    today = timezone.localdate()
    first = today - timedelta(weeks=count + 1)
    began = timezone.make_aware(datetime.combine(first - timedelta(days=5), time(10, 0)))
    mentorship = Mentorship.objects.create(
        organisation=organisation,
        trainee_id=trainee_id,
        mentor_id=mentor_id,
        status=Mentorship.ENDED,
        created_at=began,
        started_at=began,
        trainee_confirmed_at=began,
        mentor_confirmed_at=began,
        ended_at=timezone.now() - timedelta(days=3),
        ended_by_id=mentor_id,
        end_reason=EndReason.GOALS_MET,
        goals="<p>Weekly supervision through the first months in the role.</p>",
        meeting_frequency="Every week, for an hour and a half",
    )
    topics = [key for key, _ in SUPERVISION_TOPICS]
    SupervisionSession.objects.bulk_create(
        SupervisionSession(
            mentorship=mentorship,
            held_on=first + timedelta(weeks=number),
            duration_minutes=HISTORY_SESSION_MINUTES,
            format=SessionFormat.IN_PERSON if number % 2 else SessionFormat.ONLINE,
            topics=[topics[number % len(topics)], topics[(number + 3) % len(topics)]],
            summary="<p>Our regular supervision session.</p>",
            status=SupervisionSession.CONFIRMED,
            confirmed_at=began + timedelta(weeks=number + 1),
            logged_by_id=mentor_id,
            logged_at=began + timedelta(weeks=number + 1),
        )
        for number in range(count)
    )


def _mentorship(mentor, trainee, organisation, status, log, *, weeks_back=0) -> Mentorship | None:
    found = Mentorship.objects.filter(organisation=organisation, mentor=mentor, trainee=trainee)
    mentorship = found.order_by("-created_at").first()
    if mentorship is not None:
        log(f"Mentorship of {trainee.display_name} with {mentor.display_name}: found")
        return mentorship
    if Mentorship.objects.filter(
        organisation=organisation, trainee=trainee, status__in=Mentorship.OPEN
    ).exists():
        log(f"{trainee.display_name} already has a mentor; left as they are.")
        return None
    now = timezone.now()
    started = now - timedelta(weeks=12 + weeks_back)
    next_day = timezone.localdate() + timedelta(days=9)
    mentorship = Mentorship.objects.create(
        organisation=organisation,
        trainee=trainee,
        mentor=mentor,
        status=status,
        created_at=started - timedelta(days=5),
        started_at=started,
        paused_at=now - timedelta(weeks=2) if status == Mentorship.PAUSED else None,
        goals="<p>Feel confident using my lived experience at work, and finish the Safe "
        "Practice course.</p>",
        meeting_frequency="Every four weeks, for about an hour",
        boundaries="<p>We meet at work or online, not at home. Messages in working hours.</p>",
        confidentiality="<p>What we talk about stays between us, unless someone is at risk of "
        "harm: then the coordinator is told, and we talk about it first if we can.</p>",
        trainee_confirmed_at=started,
        mentor_confirmed_at=started,
        next_session_at=timezone.make_aware(datetime.combine(next_day, time(14, 0)))
        if status == Mentorship.ACTIVE
        else None,
        next_session_place="The Real Lives office, room 2" if status == Mentorship.ACTIVE else "",
    )
    _sessions(mentorship, now - timedelta(weeks=weeks_back))
    log(
        f"Mentorship of {trainee.display_name} with {mentor.display_name} "
        f"({mentorship.get_status_display().lower()}): created with {len(SESSIONS)} sessions"
    )
    return mentorship


def _sessions(mentorship, now) -> None:
    for number, (weeks, minutes, fmt, topics, summary, wellbeing, rating) in enumerate(SESSIONS):
        held = now - timedelta(weeks=weeks)
        session = SupervisionSession.objects.create(
            mentorship=mentorship,
            held_on=timezone.localdate(held),
            duration_minutes=minutes,
            format=fmt,
            topics=topics,
            summary=f"<p>{summary}</p>",
            status=SupervisionSession.CONFIRMED,
            wellbeing_checkin=wellbeing,
            confirmed_at=held + timedelta(days=1),
            logged_by=mentorship.mentor,
            logged_at=held + timedelta(hours=3),
        )
        SessionFeedback.objects.create(
            session=session,
            rating=rating,
            comment="Really helpful, thank you." if rating == 4 else "",
            given_at=held + timedelta(days=1),
        )
        if number == 0:
            SessionPrivateNote.objects.create(
                session=session, author=mentorship.mentor, body=PRIVATE_NOTE
            )
        if number == len(SESSIONS) - 1:
            for description, owner, due_in_days in ACTIONS:
                ActionItem.objects.create(
                    session=session,
                    description=description,
                    owner=mentorship.trainee if owner == "trainee" else mentorship.mentor,
                    due_on=timezone.localdate() + timedelta(days=due_in_days),
                    done_at=now - timedelta(days=15) if due_in_days < 0 else None,
                )


def _request(trainee, mentor, organisation, log) -> None:
    if MentorRequest.objects.filter(trainee=trainee, mentor=mentor).exists():
        log(f"{trainee.display_name}'s request to {mentor.display_name}: found")
        return
    if MentorRequest.objects.filter(
        trainee=trainee, organisation=organisation, status=MentorRequest.PENDING
    ).exists():
        log(f"{trainee.display_name} is already waiting for an answer; left as they are.")
        return
    now = timezone.now()
    MentorRequest.objects.create(
        organisation=organisation,
        trainee=trainee,
        mentor=mentor,
        message=REQUEST_MESSAGE,
        created_at=now - timedelta(days=2),
        respond_by=now + timedelta(days=5),
        trainee_accepted_at=now - timedelta(days=2),
    )
    log(f"{trainee.display_name} has asked {mentor.display_name} to be their mentor (waiting)")


def _concern(mentorship, log) -> None:
    if mentorship is None:
        return
    if Concern.objects.filter(mentorship=mentorship).exists():
        log(f"Concern about {mentorship.trainee.display_name}: found")
        return
    raised = timezone.now() - timedelta(hours=20)
    Concern.objects.create(
        organisation=mentorship.organisation,
        mentorship=mentorship,
        about=mentorship.trainee,
        raised_by=mentorship.mentor,
        kind=Concern.WELLBEING,
        description=CONCERN_WORDS,
        raised_at=raised,
        # Made up for the demo, so nobody is emailed about it.
        coordinators_emailed_at=raised,
    )
    log(
        f"Open wellbeing concern about {mentorship.trainee.display_name}, raised by "
        f"{mentorship.mentor.display_name}"
    )


def _plan(mentorship, log) -> None:
    if mentorship is None or WellnessPlan.objects.filter(user=mentorship.trainee).exists():
        return
    plan = WellnessPlan.objects.create(user=mentorship.trainee, shared_with=mentorship)
    for section, body in PLAN.items():
        WellnessPlanEntry.objects.create(plan=plan, section=section, body=body)
    log(
        f"{mentorship.trainee.display_name}'s wellness action plan, shared with "
        f"{mentorship.mentor.display_name}"
    )
