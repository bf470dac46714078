from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync"

    def ready(self) -> None:
        from sync.pipeline.listener.listener_cache import listener_cache_clear
        from sync.pipeline.models import Listener

        # A listener changed here is looked up afresh at once (sync/pipeline/listener/listener_cache.py).
        post_save.connect(listener_cache_clear, sender=Listener, dispatch_uid="sync.listener_cache.save")
        post_delete.connect(listener_cache_clear, sender=Listener, dispatch_uid="sync.listener_cache.delete")
