"""Benchmarks: scripts that time the system, not tests (see bench/README.md)."""
