"""No lost edits: a version column checked on save."""


class OptimisticLockMixin:
    pass
