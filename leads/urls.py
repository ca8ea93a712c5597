from django.urls import path

from leads import views

urlpatterns = [
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/export.csv", views.lead_export, name="lead_export"),
    path("leads/import/", views.lead_import, name="lead_import"),
    path("leads/import/problems/<str:token>.csv", views.import_problems_csv, name="import_problems_csv"),
    # External ids come from other systems and may hold a slash; the score route goes first. An id that
    # would land on another route (import, export.csv, ending in /score…) is refused on import:
    # leads.parsing.RESERVED_IDS, which a test keeps in step with the fixed segments here.
    path("leads/<path:external_id>/score/", views.lead_score, name="lead_score"),
    path("leads/<path:external_id>/", views.lead_detail, name="lead_detail"),
]
