from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lms.erasure import erasure_request_cancel, erasure_request_create, person_erase
from lms.models import ErasureRequest, User


class Command(BaseCommand):
    help = (
        'Erase a person\'s data (docs/privacy.md, "Erasure"): schedule it after the grace '
        "period, or with --now carry it out at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--reason", default="", help="Why, without the person's name.")
        parser.add_argument("--now", action="store_true", help="Erase at once, with no grace.")
        parser.add_argument("--cancel", action="store_true", help="Cancel a scheduled erasure.")

    def handle(self, *args, email, reason, now, cancel, **options):
        person = User.objects.filter(email__iexact=email.strip()).first()
        if person is None:
            raise CommandError(f"Nobody has the email address {email}.")
        if cancel:
            return self._cancel(person)
        if not reason.strip():
            raise CommandError("Give a reason with --reason.")
        try:
            erasure = erasure_request_create(
                person=person, organisation=None, by=None, reason=reason, without_grace=now
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if now:
            person_erase(erasure_id=erasure.pk)
            self.stdout.write(f"Erased. Request {erasure.pk}; the account is now a placeholder.")
            return
        when = timezone.localtime(erasure.erase_after)
        self.stdout.write(
            f"Erasure request {erasure.pk} scheduled for {when:%-d %B %Y %H:%M}. "
            f"Until then it can be cancelled with: manage.py erase_person {email} --cancel"
        )

    def _cancel(self, person):
        erasure = ErasureRequest.objects.open().filter(person=person).first()
        if erasure is None:
            raise CommandError("No erasure of this person is scheduled.")
        try:
            erasure_request_cancel(erasure=erasure, by=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Erasure request {erasure.pk} cancelled. Nothing was deleted.")
