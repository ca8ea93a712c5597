from django.urls import path

from learning import views

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/rules/", views.rule_add, name="rule_add"),
    path("settings/rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("settings/models/<int:version>/activate/", views.model_promote, name="model_promote"),
    path("scores/state/", views.scores_state_view, name="scores_state"),
]
