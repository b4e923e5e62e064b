"""Settings of the demo site: SQLite, the admin, django-guardian and the three apps."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent

SECRET_KEY = "django-guarded-demo-not-secret"  # a local demo only
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # *.sqlite3 files are ignored by git; --db (DEMO_DB) puts it elsewhere.
        "NAME": os.environ.get("DEMO_DB") or str(HERE / "db.sqlite3"),
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "django_guarded",
    "demo.bank",
    "demo.signup",
    "demo.pickup",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"
STATIC_URL = "/static/"
# mermaid.js, shipped with the demo (static/vendor/mermaid/README.md): the admin's
# state machines are drawn in the browser without fetching anything.
STATICFILES_DIRS = [HERE / "static"]
DJANGO_GUARDED = {"MERMAID_JS": "vendor/mermaid/mermaid.min.js"}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Quick logins for a local demo; never for a real site.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
