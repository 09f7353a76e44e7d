"""Who is acting, and the role checks every service write makes before it touches the record."""

from dataclasses import dataclass

from console.domain.errors import NotAllowed
from console.domain.vocab import CLINICAL_ROLES, Role


@dataclass(frozen=True)
class Actor:
    """A signed-in user, or the system itself (the command line, the demo builder)."""

    username: str
    role: Role | None
    user_id: int | None = None
    display_name: str = ""

    @classmethod
    def system(cls, name: str) -> "Actor":
        return cls(username=name, role=None, display_name=name)

    @property
    def is_system(self) -> bool:
        return self.role is None


def require_clinical(actor: Actor) -> int:
    """Only nurses and physicians write clinical data; returns their user id."""
    if actor.role not in CLINICAL_ROLES or actor.user_id is None:
        raise NotAllowed(f"{actor.username} cannot record clinical data: only nurses and physicians can")
    return actor.user_id


def require_user_admin(actor: Actor) -> None:
    """Users are managed by admins, or by the command line run at the workstation itself."""
    if not (actor.is_system or actor.role == Role.ADMIN):
        raise NotAllowed(f"{actor.username} cannot manage users: only an administrator can")


def require_scheduler(actor: Actor) -> None:
    """Appointments are booked by nurses, physicians, or the command line at the workstation."""
    if not (actor.is_system or actor.role in CLINICAL_ROLES):
        raise NotAllowed(f"{actor.username} cannot book appointments: only nurses and physicians can")
