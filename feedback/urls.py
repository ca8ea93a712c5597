from django.urls import path

from feedback import views

urlpatterns = [
    path("queue/", views.queue_page, name="queue"),
    path("queue/label/", views.queue_label, name="queue_label"),
    path("queue/skip/", views.queue_skip, name="queue_skip"),
    path("queue/undo/", views.queue_undo, name="queue_undo"),
    path("leads/<path:external_id>/label/", views.lead_label, name="lead_label"),
    path("dashboards/", views.dashboards, name="dashboards"),
    path("dashboards/reasons/", views.reason_drilldown, name="reason_drilldown"),
    path("settings/reasons/", views.reason_add_view, name="reason_add"),
    path("settings/reasons/<slug:code>/rename/", views.reason_rename_view, name="reason_rename"),
    path("settings/reasons/<slug:code>/retire/", views.reason_retire_view, name="reason_retire"),
    path("settings/reasons/<slug:code>/fields/", views.reason_fields_view, name="reason_fields"),
]
