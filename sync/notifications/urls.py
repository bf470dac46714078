from django.urls import path

from sync.notifications import views

urlpatterns = [
    path("", views.notification_settings, name="notification-settings"),
    path("channels/", views.notification_channel_create, name="notification-channel-create"),
    path("channels/<int:channel_id>/", views.notification_channel, name="notification-channel"),
    path(
        "channels/<int:channel_id>/test/", views.notification_channel_test, name="notification-channel-test"
    ),
    path(
        "channels/<int:channel_id>/delete/",
        views.notification_channel_delete,
        name="notification-channel-delete",
    ),
    path("policy/", views.notification_policy_update, name="notification-policy"),
    path("preferences/", views.notification_preference, name="notification-preference"),
    path("deliveries/", views.notification_deliveries, name="notification-deliveries"),
    path(
        "deliveries/<int:delivery_id>/resend/",
        views.notification_delivery_resend,
        name="notification-delivery-resend",
    ),
]
