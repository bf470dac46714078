"""What the listener management commands share: naming a listener, printing its URL and setup steps."""

from __future__ import annotations

from django.core.management.base import CommandError, OutputWrapper

from sync.pipeline.listener.setup import setup_guide
from sync.pipeline.models import Listener


def listener_named(name: str) -> Listener:
    """The listener called ``name``, or a CommandError listing the known names."""
    listener = Listener.objects.filter(name=name).first()
    if listener is None:
        names = ", ".join(Listener.objects.values_list("name", flat=True)) or "none"
        raise CommandError(f"no listener named {name!r} (known: {names})")
    return listener


def url_and_setup_write(out: OutputWrapper, *, listener: Listener, token: str, base_url: str) -> None:
    """The URL (with its token, shown this once) and the steps to set up the sender, as the page shows."""
    guide = setup_guide(listener=listener, base_url=base_url, token=token)
    out.write(guide.url)
    out.write("")
    out.write("Set up the sender:")
    out.write(guide.as_text())
    out.write("")
    out.write(f"Then check the path: manage.py listener_test {listener.name} --url URL")
