"""The waking ORM broker (core/qbroker.py): an idle pusher is woken by an enqueue instead of waiting out
the poll, and still finds its tasks in the database."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.test import override_settings
from django_q.conf import Conf

from core import qbroker
from core.qbroker import Waker, WakingORM, waker


def test_a_waiting_process_is_woken_by_another_ones_wake_up(tmp_path: Path) -> None:
    waiting, sending = Waker(tmp_path / "q-wake"), Waker(tmp_path / "q-wake")
    sending._pid = -1  # stands for another process: its own socket is not skipped
    waiting.prepare()
    assert waiting.wait(0.01) is False  # nothing sent: the whole timeout
    woken: list[float] = []

    def wait() -> None:
        started = time.monotonic()
        assert waiting.wait(5.0)
        woken.append(time.monotonic() - started)

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.05)
    assert sending.wake_all() == 1
    thread.join(timeout=5)
    assert woken and woken[0] < 1.0  # not the 5 s timeout
    # A wake-up sent before the wait is kept until it is read.
    assert sending.wake_all() == 1 and waiting.wait(5.0) is True and waiting.wait(0.01) is False


def test_a_socket_whose_process_is_gone_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "q-wake"
    gone = Waker(folder)
    gone.prepare()
    assert gone._socket is not None
    gone._socket.close()  # the process died; its file stays behind
    assert (folder / f"{gone._pid}.sock").exists()
    sender = Waker(folder)
    sender._pid = -1
    assert sender.wake_all() == 0
    assert not list(folder.iterdir())


@pytest.mark.django_db
def test_the_broker_hands_out_what_was_queued_and_an_empty_queue_waits_at_most_the_poll(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Conf, "POLL", 0.2)
    with override_settings(VAR_DIR=str(tmp_path)):
        broker = WakingORM(list_key="wake-test")
        started = time.monotonic()
        assert broker.dequeue() is None
        assert 0.15 < time.monotonic() - started < 2.0
        task_id = broker.enqueue("payload")
        ((taken_id, payload),) = broker.dequeue() or []
        assert (taken_id, payload) == (task_id, "payload")
        assert waker().folder == tmp_path / "q-wake"


@pytest.mark.django_db  # the tests' broker is the ORM's, which checks its connection when made
def test_the_shared_broker_is_made_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qbroker, "_BROKERS", {})
    first = qbroker.broker_shared()
    assert qbroker.broker_shared() is first
    # A forked child (another pid) makes its own: it never uses its parent's connection.
    monkeypatch.setattr(qbroker.os, "getpid", lambda: -1)
    child = qbroker.broker_shared()
    assert child is not first and qbroker.broker_shared() is child
