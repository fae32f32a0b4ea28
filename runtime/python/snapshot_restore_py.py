"""SnapStart's runtime hooks, as Lambda's Python runtimes include them (the Snapshot Restore for
Python library): register_before_snapshot and register_after_restore, each usable as a decorator
or called with the hook's arguments. lamb's runtime (lamb_snapstart.py) runs the before-snapshot
hooks in the reverse order of registration before the snapshot is taken, and the after-restore
hooks in the order of registration in each instance restored from it, as the AWS docs ("Lambda
SnapStart runtime hooks for Python") describe."""

_before_snapshot = []
_after_restore = []


def register_before_snapshot(func, *args, **kwargs):
    _before_snapshot.append((func, args, kwargs))
    return func


def register_after_restore(func, *args, **kwargs):
    _after_restore.append((func, args, kwargs))
    return func


def get_before_snapshot():
    return list(_before_snapshot)


def get_after_restore():
    return list(_after_restore)
