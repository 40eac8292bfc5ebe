"""Use cases: first run, criteria sets and the referral log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models.criteria_set import CriteriaSource
from models.database import SessionFactory
from models.operations import (
    UnknownTrialError,
    get_criteria_sets,
    import_files,
    list_referrals,
    list_trials,
    log_referral,
    open_database,
    store_criteria_set,
)
from models.referral import ReferralKind

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def test_first_run_loads_the_bundled_trials_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'trialmatch.sqlite3'}"

    first = open_database(url)
    assert first.bundled_import is not None
    assert len(first.bundled_import.added) == 5
    assert first.bundled_import.failed == ()
    first.engine.dispose()

    second = open_database(url)
    assert second.bundled_import is None
    assert len(list_trials(second.session_factory)) == 5
    second.engine.dispose()


def test_an_emptied_database_gets_the_bundled_trials_again(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    open_database(url, bundled_files=()).engine.dispose()

    reopened = open_database(url, bundled_files=[fixtures_dir / "quirks_page.json"])

    assert reopened.bundled_import is not None
    assert len(reopened.bundled_import.added) == 2
    reopened.engine.dispose()


def test_criteria_sets_are_stored_per_source_and_replaced(
    session_factory: SessionFactory, fixtures_dir: Path
) -> None:
    import_files(session_factory, [fixtures_dir / "quirks_page.json"])
    store_criteria_set(
        session_factory,
        "NCT09000001",
        CriteriaSource.AUTOMATIC,
        '{"v": 1}',
        verified=False,
        now=NOW,
    )
    store_criteria_set(
        session_factory,
        "NCT09000001",
        CriteriaSource.CURATED,
        '{"v": 2}',
        verified=True,
        reviewed_at=NOW,
        now=NOW,
    )
    store_criteria_set(
        session_factory,
        "NCT09000001",
        CriteriaSource.AUTOMATIC,
        '{"v": 3}',
        verified=False,
        now=NOW,
    )

    sets = get_criteria_sets(session_factory, "NCT09000001")

    assert [(s.source, s.criteria_json, s.verified) for s in sets] == [
        (CriteriaSource.CURATED, '{"v": 2}', True),
        (CriteriaSource.AUTOMATIC, '{"v": 3}', False),
    ]
    assert sets[0].reviewed_at == NOW
    assert sets[1].reviewed_at is None
    assert get_criteria_sets(session_factory, "NCT00000000") == ()


def test_criteria_set_for_unknown_trial_is_refused(session_factory: SessionFactory) -> None:
    with pytest.raises(UnknownTrialError, match="NCT00000000"):
        store_criteria_set(
            session_factory, "NCT00000000", CriteriaSource.CURATED, "{}", verified=True
        )


def test_referral_log_keeps_entries_in_utc_newest_first(session_factory: SessionFactory) -> None:
    earlier = log_referral(
        session_factory,
        trial_ids=["NCT06503224"],
        patient_identifier="MRN-1",
        physician="Dr A",
        kind=ReferralKind.EXPORT,
        file_name="letter.pdf",
        now=NOW,
    )
    later_local = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    log_referral(
        session_factory,
        trial_ids=["NCT06503224", "NCT06691152"],
        patient_identifier="MRN-2",
        physician="Dr B",
        kind=ReferralKind.PRINT,
        file_name=None,
        now=later_local,
    )

    entries = list_referrals(session_factory)

    assert [entry.patient_identifier for entry in entries] == ["MRN-2", "MRN-1"]
    assert entries[0].created_at == dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    assert entries[0].created_at.tzinfo == dt.UTC
    assert entries[0].trial_ids == ("NCT06503224", "NCT06691152")
    assert entries[0].kind is ReferralKind.PRINT
    assert entries[1] == earlier
