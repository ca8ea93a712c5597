from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.api import api
from config.views import home, own_password, user_edit, user_token_create, user_token_revoke, users_page

handler500 = "config.views.server_error"

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", own_password, name="own_password"),
    path("api/", api.urls),
    path("settings/users/", users_page, name="users"),
    path("settings/users/<int:user_id>/", user_edit, name="user_edit"),
    path("settings/users/<int:user_id>/tokens/", user_token_create, name="user_token_create"),
    path("settings/users/<int:user_id>/tokens/<int:token_id>/revoke/", user_token_revoke, name="user_token_revoke"),
    path("", include("feedback.urls")),
    path("", include("leads.urls")),
    path("", include("learning.urls")),
]
