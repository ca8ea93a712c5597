from django.apps import AppConfig

from config.signals import user_left_queue
from leads.signals import outcomes_imported, outcomes_withdrawn


class FeedbackConfig(AppConfig):
    name = "feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, once the app registry is ready (the receivers use models).
        from feedback import receivers

        outcomes_imported.connect(receivers.on_outcomes_imported, dispatch_uid="feedback.outcomes_imported")
        outcomes_withdrawn.connect(receivers.on_outcomes_withdrawn, dispatch_uid="feedback.outcomes_withdrawn")
        user_left_queue.connect(receivers.on_user_left_queue, dispatch_uid="feedback.user_left_queue")
