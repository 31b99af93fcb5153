"""Test settings: production settings with a test key and no HTTPS redirect, so the
test client can talk plain HTTP. Worker processes started by tests inherit the env."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "k" * 40)

from factcheck.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False
# No collectstatic before tests: serve the admin's assets from the apps.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins
# Generous limits so that no test meets a 429 by accident; the rate-limit tests set
# their own with the `settings` fixture.
FACTCHECK_ANON_RATE = "100000/min"
FACTCHECK_TOKEN_RATE = "100000/min"
FACTCHECK_PAGE_RATE = "100000/min"  # the public pages and feeds (factcheck/ratelimit.py)

# `bench_seed` is tested too (tests/bench/); bench/settings.py installs it the same way.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
