"""The models of the deal life cycle; import them from here."""

from sync.lifecycle.models.orders import (
    Cancellation,
    CancellationReason,
    CancellationStatus,
    LockFrom,
    OrderLock,
    OrderLockSetting,
)

__all__ = [
    "Cancellation",
    "CancellationReason",
    "CancellationStatus",
    "LockFrom",
    "OrderLock",
    "OrderLockSetting",
]
