"""The demo site is its admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "django-guarded demo"
admin.site.site_title = "django-guarded demo"
admin.site.index_title = "Press the buttons: every change goes through the model's own methods"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # The demo's own files (mermaid.js), served as runserver serves them: DEBUG only.
    *staticfiles_urlpatterns(),
]
