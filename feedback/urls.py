from django.urls import path

from feedback import views

urlpatterns = [
    path("queue/", views.queue_page, name="queue"),
    path("queue/label/", views.queue_label, name="queue_label"),
    path("queue/skip/", views.queue_skip, name="queue_skip"),
    path("queue/undo/", views.queue_undo, name="queue_undo"),
    path("dashboards/", views.dashboards, name="dashboards"),
    path("dashboards/reasons/", views.reason_drilldown, name="reason_drilldown"),
]
