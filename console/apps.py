from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Console"

    def ready(self) -> None:
        from console import checks  # noqa: F401  (registers the system checks)
        from core.qworkers import worker_setup_connect

        # Each qcluster worker shortens its GIL hand-over when it starts (core/qworkers.py).
        worker_setup_connect()
