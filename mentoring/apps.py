from django.apps import AppConfig


class MentoringConfig(AppConfig):
    name = "mentoring"
    verbose_name = "Mentoring"

    def ready(self):
        # Supervision hours and mentored trainees become pathway requirement kinds.
        from mentoring import requirements

        requirements.register_kinds()
