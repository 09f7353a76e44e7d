"""Waiting for the console in Pilot tests."""

from textual.worker import WorkerCancelled


async def workers_done(app) -> None:
    """Every worker has finished; one cancelled because a newer one replaced it counts as finished."""
    while True:
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue
