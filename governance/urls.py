from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("", views.governance_index, name="index"),
    path("users/", views.user_list, name="users"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
    path("audit/chain/", views.audit_chain, name="audit-chain"),
    path("users/<int:user_id>/roles/", views.user_roles_update, name="user-roles"),
    path("users/<int:user_id>/active/", views.user_active_update, name="user-active"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
