"""Workflow buttons on the claim page (one admin view per transition, each calling its
service)."""


class WorkflowButtonsMixin:
    pass
