"""The monitoring app's refusal (监测操作被拒绝): a :class:`~fupin.registry.services.RegistryError`, so pages
show it like any refused write and the API answers 422 with ``{"message", "field_errors"}``."""

from __future__ import annotations

from fupin.policy.procedure import ProcedureError
from fupin.registry.services import RegistryError


class MonitoringError(RegistryError):
    """A refused monitoring action; ``code`` is the procedure's error code when it came from there."""

    code: str = ""

    @classmethod
    def of(cls, err: ProcedureError, *, prefix: str = "") -> MonitoringError:
        out = cls(prefix + err.message, dict(err.field_errors))
        out.code = err.code
        return out

    @classmethod
    def on(cls, field: str, message: str) -> MonitoringError:
        """A refusal of one field, the message repeated there."""
        return cls(message, {field: [message]})
