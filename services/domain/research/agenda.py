"""The regency's research agenda for one year: its themes (priority, the RPJMD/RKPD goals they
serve) and the standing of the agenda document (rancangan → disepakati → ditetapkan Perkada,
which SPD 14 reads). One stream per year; only Bappeda's admin changes it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from services.domain.actor import Role
from services.domain.aggregate import Aggregate, Context, applies
from services.domain.errors import InvalidValue, NotAllowed
from services.domain.research.events import (
    AgendaOpened,
    AgendaStatusChanged,
    AgendaThemeRemoved,
    AgendaThemeSet,
)
from services.domain.research.values import AgendaStatus, Theme

CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")


def agenda_id(year: int) -> UUID:
    """One agenda per year: its id follows from the year, so two first writes cannot race."""
    return uuid5(NAMESPACE_URL, f"https://sirisma.local/research/agenda/{year}")


class ResearchAgenda(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.year = 0
        self.title = ""
        self.rpjmd_period = ""
        self.themes: dict[str, Theme] = {}
        self.status = AgendaStatus.RANCANGAN
        self.perkada = ""

    @staticmethod
    def _admin(ctx: Context) -> None:
        if ctx.actor.role != Role.ADMIN:
            raise NotAllowed("Agenda riset disusun oleh admin Bappeda.")

    @classmethod
    def open(cls, ctx: Context, year: int, title: str, rpjmd_period: str = "") -> ResearchAgenda:
        cls._admin(ctx)
        if not title.strip():
            raise InvalidValue("title", "Judul agenda riset wajib diisi.")
        agenda = cls(agenda_id(year))
        agenda._record(
            ctx, AgendaOpened, year=year, title=title.strip(), rpjmd_period=rpjmd_period.strip()
        )
        return agenda

    def set_theme(self, ctx: Context, theme: Theme) -> bool:
        """Add or change a theme (False when nothing changed: no event)."""
        self._admin(ctx)
        if not theme.code or not set(theme.code) <= CODE_CHARS:
            raise InvalidValue("code", "Kode tema: huruf besar, angka, titik atau tanda hubung.")
        if not theme.title.strip():
            raise InvalidValue("title", "Judul tema wajib diisi.")
        if self.themes.get(theme.code) == theme:
            return False
        self._record(ctx, AgendaThemeSet, theme=theme)
        return True

    def remove_theme(self, ctx: Context, code: str, reason: str) -> None:
        self._admin(ctx)
        if code not in self.themes:
            raise InvalidValue("code", f"Tema '{code}' tidak ada dalam agenda {self.year}.")
        self._record(ctx, AgendaThemeRemoved, code=code, reason=reason.strip())

    def change_status(self, ctx: Context, status: AgendaStatus, perkada: str = "") -> None:
        self._admin(ctx)
        if status == AgendaStatus.DITETAPKAN and not perkada.strip():
            raise InvalidValue("perkada", "Nomor Perkada wajib diisi untuk agenda yang ditetapkan.")
        if (status, perkada.strip()) == (self.status, self.perkada):
            raise InvalidValue("status", "Status agenda sudah demikian.")
        self._record(ctx, AgendaStatusChanged, status=status, perkada=perkada.strip())

    # ==== state changes =========================================================================

    @applies(AgendaOpened)
    def _opened(self, e: AgendaOpened) -> None:
        self.year, self.title, self.rpjmd_period = e.year, e.title, e.rpjmd_period

    @applies(AgendaThemeSet)
    def _theme_set(self, e: AgendaThemeSet) -> None:
        self.themes[e.theme.code] = e.theme

    @applies(AgendaThemeRemoved)
    def _theme_removed(self, e: AgendaThemeRemoved) -> None:
        self.themes.pop(e.code, None)

    @applies(AgendaStatusChanged)
    def _status(self, e: AgendaStatusChanged) -> None:
        self.status, self.perkada = e.status, e.perkada
