"""Helpers of the page tests."""

from __future__ import annotations

from django import forms


def form_post_data(form: forms.Form) -> dict[str, str]:
    """What a browser would send for an unchanged form: every field's shown value."""
    data: dict[str, str] = {}
    for bound in form:
        value = bound.value()
        if isinstance(bound.field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


def text(response) -> str:
    return response.content.decode()
