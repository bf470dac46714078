"""The demo's and the tests' people: one per role, plus an outsider who has none."""

from __future__ import annotations

from dataclasses import dataclass

from core.roles import ADMIN, AUDITOR, FINANCE, REVOPS, Role


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    role: Role | None

    @property
    def email(self) -> str:
        return f"{self.username}@concord.example"


PERSONAS: tuple[Persona, ...] = (
    Persona("revops", "Riley", "Revops", REVOPS),
    Persona("finance", "Frances", "Finance", FINANCE),
    Persona("admin", "Ada", "Admin", ADMIN),
    Persona("auditor", "Aubrey", "Auditor", AUDITOR),
    Persona("outsider", "Oscar", "Outsider", None),
)
PERSONAS_BY_USERNAME: dict[str, Persona] = {persona.username: persona for persona in PERSONAS}
