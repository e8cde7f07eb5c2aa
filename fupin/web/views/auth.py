"""Sign-in and sign-out (登录/退出) and the home page (首页)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fupin.web.forms.auth import ThrottledAuthenticationForm


class LoginView(auth_views.LoginView):
    """登录 — Django's sign-in with login throttling (:mod:`fupin.accounts.throttle`)."""

    template_name = "web/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """退出 — sign out (POST only, as Django requires)."""


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """首页 — a user goes to the page of their own region (所属区划)."""
    region_id = request.user.region_id
    if region_id:
        return redirect("web:region", code=region_id)
    return render(request, "web/no_region.html")
