from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed by bench/settings.py and the test settings only, for `bench_seed`."""

    name = "bench"
