"""The monitoring app's refusal (监测操作被拒绝): the shared procedure refusal
(:class:`~fupin.core.procedure_services.ProcedureRefusal`, a :class:`~fupin.registry.services.RegistryError`),
so pages show it like any refused write and the API answers 422 with ``{"message", "field_errors"}``."""

from __future__ import annotations

from fupin.core.procedure_services import ProcedureRefusal


class MonitoringError(ProcedureRefusal):
    """A refused monitoring action; ``code`` is the procedure's error code when it came from there."""

    @classmethod
    def on(cls, field: str, message: str) -> MonitoringError:
        """A refusal of one field, the message repeated there."""
        return cls(message, {field: [message]})
