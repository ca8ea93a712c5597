from django.apps import AppConfig

from feedback.signals import labels_changed
from leads.signals import leads_imported


class LearningConfig(AppConfig):
    name = "learning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, once the app registry is ready (the receivers use models).
        from learning import receivers

        labels_changed.connect(receivers.on_labels_changed, dispatch_uid="learning.labels_changed")
        leads_imported.connect(receivers.on_leads_imported, dispatch_uid="learning.leads_imported")
