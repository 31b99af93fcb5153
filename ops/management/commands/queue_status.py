import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from ops.selectors import queue_snapshot


class Command(BaseCommand):
    help = (
        "Show claims per state, the oldest waiting claim, tasks per queue, parked tasks "
        "and the last worker heartbeat."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON for monitoring.")

    def handle(self, *args, **options) -> None:
        snap = queue_snapshot()
        if options["json"]:
            self.stdout.write(self._json(snap))
            return
        now = timezone.now()
        self.stdout.write("Claims per state:")
        for status, count in snap.claims_per_status.items():
            self.stdout.write(f"  {status:<12} {count}")
        if snap.oldest_waiting:
            age = now - snap.oldest_waiting["since"]
            self.stdout.write(
                f"Oldest waiting claim: #{snap.oldest_waiting['id']} "
                f"({snap.oldest_waiting['status']} for {_human(age.total_seconds())}): "
                f"{snap.oldest_waiting['claim']}"
            )
        else:
            self.stdout.write("Oldest waiting claim: none")
        self.stdout.write("Tasks per queue:")
        for queue, count in snap.tasks_per_queue.items():
            self.stdout.write(f"  {queue:<12} {'broker down' if count is None else count}")
        self.stdout.write(f"Parked tasks: {snap.parked_tasks}")
        if snap.last_heartbeat is None:
            self.stdout.write("Last worker heartbeat: never (STALE)")
        else:
            ago = _human((now - snap.last_heartbeat).total_seconds())
            flag = " (STALE)" if snap.heartbeat_stale else ""
            self.stdout.write(f"Last worker heartbeat: {ago} ago{flag}")

    @staticmethod
    def _json(snap) -> str:
        from dataclasses import asdict

        return json.dumps(asdict(snap), default=str, indent=2)


def _human(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}min"
    return f"{seconds // 3600}h"
