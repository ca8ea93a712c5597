from django.urls import path

from leads import views

urlpatterns = [
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/import/", views.lead_import, name="lead_import"),
    path("leads/<str:external_id>/", views.lead_detail, name="lead_detail"),
    path("leads/<str:external_id>/score/", views.lead_score, name="lead_score"),
]
