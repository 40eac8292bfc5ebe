"""Every item model of the results side passes qtmodeltester, empty and filled with real matches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from engine.outcomes import Verdict
from engine.profile import PatientProfile
from models.matching import Matcher, MatchReport
from models.operations import OpenedDatabase
from ui.results.ask_next_model import AskNextModel, AskNextRow
from ui.results.detail_html import criteria_html, summary_html
from ui.results.results_table_model import ResultRow, ResultsTableModel
from ui.results.site_contact_models import (
    ContactsTableModel,
    SiteRow,
    SitesTableModel,
    contact_rows,
    great_circle_km,
)

SCREENING = dt.date(2026, 11, 23)


def match(database: OpenedDatabase, profile: PatientProfile) -> MatchReport:
    return Matcher(database.session_factory).match(
        profile, screening_date=SCREENING, include_closed=True
    )


def test_results_table_model(
    qtmodeltester: ModelTester,
    qapp: object,
    bundled_database: OpenedDatabase,
    golden_profile: Callable[[str], PatientProfile],
) -> None:
    model = ResultsTableModel()
    qtmodeltester.check(model)
    report = match(bundled_database, golden_profile("low_anc_sle"))
    model.set_rows([ResultRow.from_match(m) for m in report.trials])
    qtmodeltester.check(model)
    assert model.rowCount() == 5
    row = model.row_at(model.row_of("NCT06503224") or 0)
    assert row.trial_id == "NCT06503224"
    assert row.verdict is Verdict.NOT_ELIGIBLE
    assert row.violated >= 1
    assert "not met" in row.counts_text


def test_ask_next_model(
    qtmodeltester: ModelTester,
    qapp: object,
    bundled_database: OpenedDatabase,
    golden_profile: Callable[[str], PatientProfile],
) -> None:
    model = AskNextModel()
    qtmodeltester.check(model)
    report = match(bundled_database, golden_profile("missing_labs_sle"))
    rows = [AskNextRow.from_item(item) for item in report.ask_next]
    assert rows, "a profile without labs must leave questions to ask"
    model.set_rows(rows)
    qtmodeltester.check(model)
    assert model.index(0, 0).data(AskNextModel.FactRole) == rows[0].fact
    assert "would settle" in model.index(0, 0).data()


def test_site_and_contact_models(
    qtmodeltester: ModelTester,
    qapp: object,
    bundled_database: OpenedDatabase,
    golden_profile: Callable[[str], PatientProfile],
) -> None:
    sites, contacts = SitesTableModel(), ContactsTableModel()
    qtmodeltester.check(sites)
    qtmodeltester.check(contacts)
    report = match(bundled_database, golden_profile("ra"))
    with_contacts = next(m for m in report.trials if contact_rows(m.detail.summary))
    summary = with_contacts.detail.summary
    sites.set_rows([SiteRow.from_site(site, (39.9, 116.4)) for site in summary.sites])
    contacts.set_rows(contact_rows(summary))
    qtmodeltester.check(sites)
    qtmodeltester.check(contacts)
    assert contacts.rowCount() >= 1
    first = contacts.row_at(0)
    shown = [contacts.data(contacts.index(0, column)) for column in range(contacts.columnCount())]
    assert shown == [first.name, first.role, first.phone, first.email, first.where]
    assert [contacts.cell_text(first, c) for c in range(5)] == shown
    assert contacts.data(contacts.index(0, 0), Qt.ItemDataRole.ToolTipRole) == first.name
    assert contacts.data(contacts.index(0, 0), Qt.ItemDataRole.DecorationRole) is None
    site = sites.row_at(0)
    assert sites.data(sites.index(0, 4)) == site.distance
    assert sites.headerData(4, Qt.Orientation.Horizontal) == "Distance (straight line)"


def test_distance_is_great_circle() -> None:
    # Beijing to Shanghai is about 1,070 km in a straight line.
    assert 1040 < great_circle_km(39.9042, 116.4074, 31.2304, 121.4737) < 1100
    assert great_circle_km(10, 10, 10, 10) == 0


def test_detail_html_escapes_registry_text(
    bundled_database: OpenedDatabase, golden_profile: Callable[[str], PatientProfile]
) -> None:
    report = match(bundled_database, golden_profile("adult_refractory_sle"))
    for trial in report.trials:
        html = criteria_html(trial) + summary_html(trial.detail)
        assert "<script" not in html
        for result in trial.evaluation.criteria:
            if "<" in result.text:
                assert "&lt;" in html
    local = next(t for t in report.trials if t.detail.summary.nct_id is None)
    assert "clinicaltrials.gov/study" not in summary_html(local.detail)
    assert "no ClinicalTrials.gov page" in summary_html(local.detail)
