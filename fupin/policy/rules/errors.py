"""Errors of the rule language (规则语言错误)."""

from __future__ import annotations


class RuleError(ValueError):
    """A rule text that is not in the rule language, or does not type-check.

    The message is Chinese first, then English, and names the offending token, e.g.
    ``未知列 unknown column: foo``. ``token`` holds that token (or ``None`` when there is none, e.g. an
    empty rule); ``rule_id`` is set when the rule belongs to a named rule of a policy set.
    """

    def __init__(self, message: str, *, token: str | None = None, text: str = "", rule_id: str = "") -> None:
        self.message = message
        self.token = token
        self.text = text
        self.rule_id = rule_id
        super().__init__(f"规则 rule {rule_id}: {message}" if rule_id else message)

    def for_rule(self, rule_id: str) -> RuleError:
        """The same error, naming the policy rule it came from."""
        return RuleError(self.message, token=self.token, text=self.text, rule_id=rule_id)
