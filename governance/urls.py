from django.urls import include, path

from governance import group_views, user_views, views
from governance.mfa import views as mfa_views

app_name = "governance"
urlpatterns = [
    path("", views.governance_index, name="index"),
    path("users/", views.user_list, name="users"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
    path("audit/chain/", views.audit_chain, name="audit-chain"),
    path("trace/", views.trace_search, name="trace"),
    path("trace/export.<slug:fmt>", views.trace_export, name="trace-export"),
    path("users/<int:user_id>/roles/", views.user_roles_update, name="user-roles"),
    path("users/<int:user_id>/active/", views.user_active_update, name="user-active"),
    path("releases/", include("governance.releases.urls")),
    # User administration (governance/user_views.py): invitations, a user's page, their access grants.
    path("users/invite/", user_views.user_invite, name="user-invite"),
    path("users/<int:user_id>/", user_views.user_detail, name="user"),
    path("users/<int:user_id>/access/", user_views.user_access_update, name="user-access"),
    path("users/<int:user_id>/mfa/reset/", mfa_views.user_mfa_reset, name="user-mfa-reset"),
    path(
        "users/<int:user_id>/invitation/resend/",
        user_views.user_invitation_resend,
        name="user-invitation-resend",
    ),
    path(
        "users/<int:user_id>/invitation/revoke/",
        user_views.user_invitation_revoke,
        name="user-invitation-revoke",
    ),
    # Access groups (governance/group_views.py): members share subsidiary and flow grants.
    path("groups/", group_views.group_list, name="groups"),
    path("groups/<int:group_id>/", group_views.group_detail, name="group"),
    path("groups/<int:group_id>/members/", group_views.group_members_update, name="group-members"),
    path("groups/<int:group_id>/access/", group_views.group_access_update, name="group-access"),
    # Public: the invitee is not signed in yet.
    path("invitation/<uidb64>/<token>/", user_views.invitation_accept, name="invitation-accept"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
