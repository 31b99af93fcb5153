"""Settings for the API benchmark only: production settings plus a bare view
(bench/urls.py) that the API's figures are compared with. Never used by a deployment."""

from factcheck.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# `bench_seed` (bench/management/commands/): the benchmarks' data, never a deployment's.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
