"""Qt table models of a trial's sites and of its contacts (central and per site)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import Qt
from typing_extensions import override

from models.operations import ContactView, SiteView, TrialSummary
from ui.results.results_table_model import format_distance, status_label
from ui.row_table_model import RowTableModel

NOT_GIVEN = "—"
_EARTH_RADIUS_KM = 6371.0


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance; straight-line, not travel distance (the column header says so)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class SiteRow:
    """One site of a trial."""

    facility: str
    status: str
    city: str
    country: str
    distance: str

    @classmethod
    def from_site(cls, site: SiteView, origin: tuple[float, float] | None) -> SiteRow:
        distance_km = None
        if origin is not None and site.latitude is not None and site.longitude is not None:
            distance_km = great_circle_km(origin[0], origin[1], site.latitude, site.longitude)
        city = ", ".join(part for part in (site.city, site.state) if part)
        return cls(
            facility=site.facility or NOT_GIVEN,
            status=status_label(site.status),
            city=city or NOT_GIVEN,
            country=site.country or NOT_GIVEN,
            distance=format_distance(distance_km),
        )


SITE_HEADERS = ("Site", "Status", "City", "Country", "Distance (straight line)")


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One contact person and where they can be reached."""

    where: str
    name: str
    role: str
    phone: str
    email: str

    @classmethod
    def from_contact(cls, where: str, contact: ContactView) -> ContactRow:
        return cls(
            where=where,
            name=contact.name or NOT_GIVEN,
            role=contact.role or NOT_GIVEN,
            phone=contact.phone or NOT_GIVEN,
            email=contact.email or NOT_GIVEN,
        )

    @property
    def copy_text(self) -> str:
        """The contact as one line to paste into a note or an e-mail."""
        parts = [self.name, self.role, self.phone, self.email, self.where]
        return "; ".join(part for part in parts if part != NOT_GIVEN)


CONTACT_HEADERS = ("Name", "Role", "Phone", "E-mail", "Where")


def contact_rows(summary: TrialSummary) -> list[ContactRow]:
    """Central contacts first, then each site's contacts."""
    rows = [ContactRow.from_contact("Central contact", c) for c in summary.central_contacts]
    for site in summary.sites:
        where = ", ".join(part for part in (site.facility, site.city) if part) or "Site"
        rows.extend(ContactRow.from_contact(where, c) for c in site.contacts)
    return rows


_TEXT_ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.AccessibleTextRole,
)


class SitesTableModel(RowTableModel[SiteRow]):
    """Thin adapter over a list of ``SiteRow``."""

    headers = SITE_HEADERS

    @override
    def cell_data(self, row: SiteRow, column: int, role: int) -> object:
        if role not in _TEXT_ROLES:
            return None
        return (row.facility, row.status, row.city, row.country, row.distance)[column]


class ContactsTableModel(RowTableModel[ContactRow]):
    """Thin adapter over a list of ``ContactRow``."""

    headers = CONTACT_HEADERS

    @override
    def cell_data(self, row: ContactRow, column: int, role: int) -> object:
        if role not in _TEXT_ROLES:
            return None
        return self.cell_text(row, column)

    @staticmethod
    def cell_text(row: ContactRow, column: int) -> str:
        """The text of one cell, as shown and as copied."""
        return (row.name, row.role, row.phone, row.email, row.where)[column]
