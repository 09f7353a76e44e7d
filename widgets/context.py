"""What a screen needs to reach the clinic, created at sign-in and handed to every screen."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from console.clinic.handle import Database
from console.clinic.settings import Settings
from console.domain.actors import Actor
from console.domain.clock import Clock
from console.domain.protocol import Protocol
from console.review.signing import SigningSitting


@dataclass(frozen=True)
class Clinic:
    """The open database, the settings and protocol, the one clock, and who is signed in."""

    db: Database
    settings: Settings
    actor: Actor
    sitting: SigningSitting

    @classmethod
    def signed_in(cls, db: Database, settings: Settings, actor: Actor) -> "Clinic":
        """A new signing sitting starts with each sign-in."""
        idle = timedelta(minutes=settings.signing_idle_minutes)
        return cls(db, settings, actor, SigningSitting(actor.username, idle))

    @property
    def clock(self) -> Clock:
        return self.db.clock

    @property
    def protocol(self) -> Protocol:
        return self.settings.protocol

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """The clinic's date now, in its own time zone."""
        return self.now().astimezone(self.zone).date()
