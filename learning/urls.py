from django.urls import path

from learning import views

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/preview/", views.settings_preview, name="settings_preview"),
    path("settings/rules/", views.rule_add, name="rule_add"),
    path("settings/rules/preview/", views.rule_preview, name="rule_preview"),
    path("settings/rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("settings/models/<int:version>/activate/", views.model_promote_view, name="model_promote"),
    path("settings/models/resume/", views.model_resume_view, name="model_resume"),
    path("settings/actions/", views.action_save, name="action_save"),
    path("settings/actions/<int:action_id>/delete/", views.action_delete, name="action_delete"),
    path("settings/webhook/", views.webhook_page, name="webhook"),
    path("settings/audit/", views.audit_log_page, name="audit_log"),
    path("scores/state/", views.scores_state_view, name="scores_state"),
    path("healthz", views.healthz, name="healthz"),
]
