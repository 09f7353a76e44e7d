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


def burst(app, *keys: str) -> None:
    """Keys arriving at scanner speed: all queued at once, none waiting for the one before to be handled."""
    from textual import events

    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))
