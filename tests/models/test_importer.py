"""The ClinicalTrials.gov importer: shapes, quirks, re-import, malformed input and zips."""

from __future__ import annotations

import copy
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.criteria_set import CriteriaSource
from models.database import SessionFactory
from models.operations import (
    OpenedDatabase,
    bundled_trial_files,
    get_criteria_sets,
    get_trial,
    import_files,
    list_trials,
    store_criteria_set,
)

Fingerprint = Callable[[sa.Engine], tuple[dict[str, int], str]]


def _page(fixtures_dir: Path) -> dict[str, object]:
    data = json.loads((fixtures_dir / "quirks_page.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_search_page_imports_both_studies_with_quirks_intact(
    session_factory: SessionFactory, fixtures_dir: Path
) -> None:
    report = import_files(session_factory, [fixtures_dir / "quirks_page.json"])

    assert report.failed == ()
    assert report.updated == ()
    assert report.added[0].trial_id == "NCT09000001"
    trial = get_trial(session_factory, "NCT09000001")
    assert trial is not None
    summary = trial.summary
    assert summary.title == "Patients’ Study of Anti‑CD19 CAR‑T（Phase 1）in SLE & SSc"
    assert summary.phases == ("PHASE1", "PHASE2")
    assert summary.conditions == ("Systemic Lupus Erythematosus", "Systemic Sclerosis（SSc）")
    assert (summary.minimum_age, summary.minimum_age_days) == ("18 Years", 6574)
    assert (summary.maximum_age, summary.maximum_age_days) == ("75 Years", 27393)
    assert summary.record_version == "2025-04-25"
    assert summary.last_update == "2025-04-24"
    assert trial.start_date == "2024-04"
    assert trial.primary_completion_date == "2026-12-31"
    assert trial.first_posted == "2024-04-09"
    assert trial.enrollment_count == 24
    assert trial.collaborators == ("O’Brien Foundation",)
    assert trial.healthy_volunteers is False
    assert json.loads(trial.trialmatch_source or "null") == {"fixture": "quirks"}

    paris, hangzhou = summary.sites
    assert paris.zip == "75010"
    assert (paris.latitude, paris.longitude) == (48.87386, 2.36831)
    assert [contact.name for contact in paris.contacts] == ["Zoë O’Neil, MD", "Jean Dupont"]
    assert paris.contacts[0].email == "zoe.oneil@example.org"
    assert hangzhou.zip is None
    assert hangzhou.contacts == ()
    assert hangzhou.facility == "The First Affiliated Hospital（Zhejiang）"
    assert summary.central_contacts[0].phone == "+33 1 42 49 49 49 ext. 123"

    # Working text: escapes turned into characters; everything else unchanged.
    assert trial.eligibility_criteria is not None
    assert "≥3×10^9/L; creatinine < 1.5 × ULN & no dialysis." in trial.eligibility_criteria
    assert "Patient’s informed consent" in trial.eligibility_criteria
    assert "Age 18–75 years（inclusive）" in trial.eligibility_criteria
    assert (
        trial.brief_summary == "Dose 0.5-3 x10^6 cells/kg; patients <18 years & >75 years excluded."
    )
    assert trial.detailed_description == (
        "Uses *markdown* escapes: _a_ ~b~ [c] (d) #e +f -g .h !i and a backslash \\ here."
    )
    assert trial.arms[0].description == "Single infusion of 1×10^6 cells/kg."
    # The original keeps the registry's escapes, and the raw JSON is the record as given.
    assert trial.eligibility_criteria_source is not None
    assert "≥3×10\\^9/L; creatinine \\< 1.5 × ULN" in trial.eligibility_criteria_source
    studies = _page(fixtures_dir)["studies"]
    assert isinstance(studies, list)
    assert json.loads(trial.source_json) == studies[0]


def test_study_without_nct_id_gets_the_local_id_and_keeps_unknown_status(
    session_factory: SessionFactory, fixtures_dir: Path
) -> None:
    report = import_files(session_factory, [fixtures_dir / "quirks_page.json"])

    local = report.added[1]
    assert local.trial_id.startswith("LOCAL-")
    trial = get_trial(session_factory, local.trial_id)
    assert trial is not None
    assert trial.summary.nct_id is None
    assert trial.summary.overall_status == "SOME_STATUS_THE_REGISTRY_ADDED_LATER"
    assert trial.summary.maximum_age_days is None  # missing means no upper limit
    assert trial.summary.minimum_age_days == 182
    # Importing the same record again finds the same trial.
    again = import_files(session_factory, [fixtures_dir / "quirks_page.json"])
    assert [item.trial_id for item in again.updated] == [r.trial_id for r in report.added]


def test_single_study_and_plain_list_are_accepted(
    session_factory: SessionFactory, fixtures_dir: Path, tmp_path: Path
) -> None:
    studies = _page(fixtures_dir)["studies"]
    assert isinstance(studies, list)
    single = _write(tmp_path / "one.json", studies[0])
    as_list = _write(tmp_path / "list.json", [studies[1]])

    report = import_files(session_factory, [single, as_list])

    assert report.failed == ()
    assert [item.file for item in report.added] == ["one.json", "list.json"]
    assert len(list_trials(session_factory)) == 2


def test_reimport_updates_in_place_and_replaces_children(
    empty_database: OpenedDatabase,
    fixtures_dir: Path,
    tmp_path: Path,
    database_fingerprint: Fingerprint,
) -> None:
    session_factory = empty_database.session_factory
    page_path = fixtures_dir / "quirks_page.json"
    import_files(session_factory, [page_path])
    store_criteria_set(
        session_factory, "NCT09000001", CriteriaSource.AUTOMATIC, "{}", verified=False
    )
    counts_before, _ = database_fingerprint(empty_database.engine)

    report = import_files(session_factory, [page_path])

    assert report.added == ()
    assert len(report.updated) == 2
    assert database_fingerprint(empty_database.engine)[0] == counts_before

    changed = _page(fixtures_dir)
    studies = changed["studies"]
    assert isinstance(studies, list)
    protocol = studies[0]["protocolSection"]
    protocol["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    del protocol["contactsLocationsModule"]["locations"][0]
    report = import_files(session_factory, [_write(tmp_path / "changed.json", changed)])

    assert len(report.updated) == 2
    trial = get_trial(session_factory, "NCT09000001")
    assert trial is not None
    assert trial.summary.overall_status == "ACTIVE_NOT_RECRUITING"
    assert [site.city for site in trial.summary.sites] == ["Hangzhou"]
    assert trial.source_file == "changed.json"
    counts_after, _ = database_fingerprint(empty_database.engine)
    assert counts_after["trial_sites"] == counts_before["trial_sites"] - 1
    assert counts_after["trial_site_contacts"] == counts_before["trial_site_contacts"] - 2
    assert counts_after["trials"] == counts_before["trials"]
    # The criteria set refers to the trial row, which an update keeps.
    assert len(get_criteria_sets(session_factory, "NCT09000001")) == 1


def _malformed_page(fixtures_dir: Path) -> dict[str, object]:
    page = _page(fixtures_dir)
    studies = page["studies"]
    assert isinstance(studies, list)
    bad = copy.deepcopy(studies[0])
    bad["protocolSection"]["identificationModule"]["nctId"] = "NCT01234567"
    bad["protocolSection"]["statusModule"]["overallStatus"] = 42
    page["studies"] = [studies[0], studies[1], bad]
    return page


def test_malformed_record_is_named_and_leaves_the_database_unchanged(
    empty_database: OpenedDatabase,
    fixtures_dir: Path,
    tmp_path: Path,
    database_fingerprint: Fingerprint,
) -> None:
    session_factory = empty_database.session_factory
    import_files(session_factory, [fixtures_dir / "quirks_page.json"])
    before = database_fingerprint(empty_database.engine)
    changed = _malformed_page(fixtures_dir)
    studies = changed["studies"]
    assert isinstance(studies, list)
    studies[0]["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"

    report = import_files(session_factory, [_write(tmp_path / "trials.json", changed)])

    assert report.added == report.updated == ()
    assert [failure.message() for failure in report.failed] == [
        "trials.json: study #3 (NCT01234567): protocolSection.statusModule.overallStatus: "
        "expected a string, got 42"
    ]
    assert database_fingerprint(empty_database.engine) == before
    trial = get_trial(session_factory, "NCT09000001")
    assert trial is not None
    assert trial.summary.overall_status == "RECRUITING"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe garbage", "not UTF-8 text"),
        (b"42", "expected a study object, a list of studies or a search-results page, got 42"),
        (b'{"studies": {}}', "studies: expected a list of studies, got an object"),
        (b"[]", "contains no studies"),
    ],
)
def test_unreadable_file_fails_as_a_whole(
    empty_database: OpenedDatabase,
    tmp_path: Path,
    database_fingerprint: Fingerprint,
    content: bytes,
    reason: str,
) -> None:
    before = database_fingerprint(empty_database.engine)
    path = tmp_path / "broken.json"
    path.write_bytes(content)

    report = import_files(empty_database.session_factory, [path])

    (failure,) = report.failed
    assert failure.file == "broken.json"
    assert failure.study is None
    assert reason in failure.reason
    assert database_fingerprint(empty_database.engine) == before


@pytest.mark.parametrize(
    ("mutate", "path", "expected"),
    [
        (
            lambda p: p["designModule"]["enrollmentInfo"].update(count="24"),
            "protocolSection.designModule.enrollmentInfo.count",
            'expected a whole number, got "24"',
        ),
        (
            lambda p: p["designModule"].update(phases="PHASE1"),
            "protocolSection.designModule.phases",
            'expected a list of strings, got "PHASE1"',
        ),
        (
            lambda p: p["eligibilityModule"].update(healthyVolunteers="No"),
            "protocolSection.eligibilityModule.healthyVolunteers",
            'expected true or false, got "No"',
        ),
        (
            lambda p: p["eligibilityModule"].update(minimumAge="eighteen"),
            "protocolSection.eligibilityModule.minimumAge",
            "not an age",
        ),
        (
            lambda p: p["contactsLocationsModule"]["locations"][1]["geoPoint"].update(lat=True),
            "protocolSection.contactsLocationsModule.locations[1].geoPoint.lat",
            "expected a number, got true",
        ),
        (
            lambda p: p["identificationModule"].update(nctId="NCT123"),
            "protocolSection.identificationModule.nctId",
            "expected an id such as",
        ),
        (
            lambda p: p["conditionsModule"]["conditions"].append(7),
            "protocolSection.conditionsModule.conditions[2]",
            "expected a string, got 7",
        ),
    ],
)
def test_wrong_field_types_are_reported_with_their_path(
    session_factory: SessionFactory,
    fixtures_dir: Path,
    tmp_path: Path,
    mutate: Callable[[dict[str, object]], None],
    path: str,
    expected: str,
) -> None:
    page = _page(fixtures_dir)
    studies = page["studies"]
    assert isinstance(studies, list)
    mutate(studies[0]["protocolSection"])

    report = import_files(session_factory, [_write(tmp_path / "page.json", page)])

    (failure,) = report.failed
    assert failure.study is not None
    assert failure.study.startswith("study #1")
    assert failure.reason.startswith(path + ": ")
    assert expected in failure.reason
    assert list_trials(session_factory) == ()


def test_zip_imports_good_members_and_lists_bad_ones(
    session_factory: SessionFactory, fixtures_dir: Path, tmp_path: Path
) -> None:
    studies = _page(fixtures_dir)["studies"]
    assert isinstance(studies, list)
    broken = copy.deepcopy(studies[1])
    broken["protocolSection"]["statusModule"]["overallStatus"] = ["RECRUITING"]
    archive = tmp_path / "ctg-studies.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("NCT09000001.json", json.dumps(studies[0], ensure_ascii=False))
        zipped.writestr("LOCAL.json", json.dumps(broken))
        zipped.writestr("readme.txt", "not a study")

    report = import_files(session_factory, [archive])

    assert [(item.file, item.trial_id) for item in report.added] == [
        ("ctg-studies.zip:NCT09000001.json", "NCT09000001")
    ]
    (failure,) = report.failed
    assert failure.file == "ctg-studies.zip:LOCAL.json"
    assert failure.reason == (
        "protocolSection.statusModule.overallStatus: expected a string, got a list"
    )
    assert [trial.trial_id for trial in list_trials(session_factory)] == ["NCT09000001"]


def test_missing_file_is_reported(session_factory: SessionFactory, tmp_path: Path) -> None:
    report = import_files(session_factory, [tmp_path / "absent.json"])

    (failure,) = report.failed
    assert failure.file == "absent.json"
    assert "no such file" in failure.reason


def test_duplicate_trial_in_one_file_is_refused(
    session_factory: SessionFactory, fixtures_dir: Path, tmp_path: Path
) -> None:
    studies = _page(fixtures_dir)["studies"]
    assert isinstance(studies, list)
    path = _write(tmp_path / "dupes.json", [studies[0], studies[0]])

    report = import_files(session_factory, [path])

    assert report.added == ()
    assert report.failed[0].reason == "NCT09000001 occurs twice (also study #1 (NCT09000001))"


def test_bundled_seed_trials_round_trip(session_factory: SessionFactory) -> None:
    files = bundled_trial_files()
    assert len(files) == 5

    report = import_files(session_factory, files)

    assert report.failed == ()
    assert len(report.added) == 5
    for item, path in zip(report.added, files, strict=True):
        trial = get_trial(session_factory, item.trial_id)
        assert trial is not None
        assert json.loads(trial.source_json) == json.loads(path.read_text(encoding="utf-8"))
        assert trial.source_file == path.name
    scar02 = get_trial(session_factory, "NCT06503224")
    assert scar02 is not None
    assert scar02.summary.minimum_age_days == 6574
    assert scar02.eligibility_criteria is not None
    assert scar02.eligibility_criteria_source is not None
    assert "≥3×10^9/L" in scar02.eligibility_criteria
    assert "≥3×10\\^9/L" in scar02.eligibility_criteria_source

    again = import_files(session_factory, files)
    assert (len(again.added), len(again.updated), again.failed) == (0, 5, ())
