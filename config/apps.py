from django.apps import AppConfig


class LeadloopConfig(AppConfig):
    name = "config"
    label = "config"
    verbose_name = "Leadloop accounts and access"
    default_auto_field = "django.db.models.BigAutoField"
