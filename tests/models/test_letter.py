"""The letter's data (identified or de-identified), its export, and the referral log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import pytest

from engine.outcomes import Verdict
from engine.profile import profile_from_dict
from models import matching
from models.database import SessionFactory
from models.letter import (
    DEIDENTIFIED_MARK,
    LetterError,
    ReferralLetter,
    age_at,
    build_referral_letter,
    export_letter,
    relative_date,
    safe_harbor_age,
    verdict_text,
    write_referrals_csv,
)
from models.matching import Matcher, MatchReport
from models.operations import import_files, list_referrals
from models.referral import ReferralKind
from tests.letter_inputs import (
    BASE_PROFILE,
    CLINIC,
    GENERATED_AT,
    RECORD_NUMBER,
    SCREENING_DATE,
    TIANJIN_SITE,
    criteria_dict,
    make_detail,
    make_match,
    make_profile,
    make_report,
    pdf_text,
    standard_report,
)
from ui.export import render_referral_letter

REPO_ROOT = Path(__file__).resolve().parents[2]


def _build(
    report: MatchReport | None = None,
    *,
    trial_ids: list[str] | None = None,
    deidentified: bool = False,
) -> ReferralLetter:
    return build_referral_letter(
        report or standard_report(),
        CLINIC,
        trial_ids,
        deidentified=deidentified,
        physician=None,
        generated_at=GENERATED_AT,
    )


# --- dates and ages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 11, 23), "on the screening day"),
        (dt.date(2026, 11, 22), "1 day before screening"),
        (dt.date(2026, 10, 31), "23 days before screening"),
        (dt.date(2026, 8, 1), "114 days (about 4 months) before screening"),
        (dt.date(2019, 3, 1), "2824 days (about 7.7 years) before screening"),
        (dt.date(2026, 11, 30), "7 days after screening"),
    ],
)
def test_relative_date(day: dt.date, expected: str) -> None:
    assert relative_date(day, SCREENING_DATE) == expected


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        (dt.date(1978, 11, 24), "47"),  # birthday tomorrow
        (dt.date(1978, 11, 23), "48"),
        (dt.date(1937, 1, 1), "89"),
        (dt.date(1936, 11, 23), "90+"),
        (dt.date(1920, 1, 1), "90+"),
    ],
)
def test_safe_harbor_age_caps_at_90(birth: dt.date, expected: str) -> None:
    assert safe_harbor_age(birth, SCREENING_DATE) == expected


@pytest.mark.parametrize(
    ("birth", "identified", "deidentified"),
    [
        (dt.date(1978, 11, 23), "48 years", "48 years"),
        (dt.date(1930, 1, 1), "90+ years", "90+ years"),
        (dt.date(2024, 11, 23), "2 years", "2 years"),
        (dt.date(2024, 11, 24), "23 months", "23 months"),  # an infant was "age 0" or "age 1"
        (dt.date(2026, 10, 23), "1 month", "1 month"),
        (dt.date(2026, 11, 1), "22 days", "under 1 month"),  # days and a date give the birth
        (dt.date(2026, 11, 22), "1 day", "under 1 month"),
    ],
)
def test_age_at_screening_reads_in_months_and_days_for_infants(
    birth: dt.date, identified: str, deidentified: str
) -> None:
    assert age_at(birth, SCREENING_DATE, exact_days=True) == identified
    assert age_at(birth, SCREENING_DATE, exact_days=False) == deidentified


# --- what the letter says -----------------------------------------------------------------------


def test_identified_letter_has_identity_and_exact_dates() -> None:
    letter = _build()
    values = {item.label: item.value for item in letter.patient}
    assert values["Name"] == "O'Brien & <Sons>"
    assert values["Date of birth"] == "1978-04-02 (age 48 years at screening)"
    assert values["Record number"] == RECORD_NUMBER
    assert letter.letter_date == "23 November 2026"
    assert letter.patient_identifier == RECORD_NUMBER
    assert any("2019-03-01" in line for line in letter.diagnoses)


def test_deidentified_letter_keeps_only_age_and_sex() -> None:
    letter = _build(deidentified=True)
    labels = [item.label for item in letter.patient]
    assert labels[:2] == ["Age at screening", "Sex"]
    assert "Name" not in labels
    assert "Record number" not in labels
    assert letter.letter_date == "2026"
    everything = repr(letter).replace(f"patient_identifier='{RECORD_NUMBER}'", "")
    assert RECORD_NUMBER not in everything
    assert "O'Brien" not in everything
    assert "1978" not in everything
    assert "diagnosed 2824 days (about 7.7 years) before screening" in letter.diagnoses[0]


def test_deidentified_letter_gives_no_birth_date_through_ages_in_months_or_days() -> None:
    # Registry limits in months and days read age_months and age_days, whose evidence records
    # the birth date; the de-identified summary must show neither it nor a day-exact age.
    profile = profile_from_dict(
        {"format": "trialmatch-patient/1", "patient": {"birth_date": "2026-05-01", "sex": "male"}},
        today=SCREENING_DATE,
    )
    criteria = {
        "format": "trialmatch-criteria/1",
        "trial_id": "NCT09200001",
        "source": "curated",
        "criteria": [
            {
                "id": "registry-minimum-age",
                "kind": "inclusion",
                "text": "Minimum age: 6 Months (registry record)",
                "rule": {"fact": "age_months", "op": ">=", "value": 6, "unit": "mo"},
            },
            {
                "id": "registry-maximum-age",
                "kind": "inclusion",
                "text": "Maximum age: 28 Days (registry record)",
                "rule": {"fact": "age_days", "op": "<=", "value": 28, "unit": "d"},
            },
        ],
    }
    match = make_match(profile, make_detail("NCT09200001", "Infant study"), criteria)
    letter = _build(make_report(profile, (match,)), trial_ids=["NCT09200001"], deidentified=True)
    lines = [line for trial in letter.trials for c in trial.criteria for line in c.patient_data]
    assert any(line.startswith("Age in completed months: 6 months;") for line in lines)
    assert any(line.startswith("Age in days: 6 months;") for line in lines)  # was "0 years"
    everything = repr(letter)
    assert "2026-05-01" not in everything
    assert "born" not in everything
    assert "206 days" not in everything


def test_deidentified_letter_leaves_out_free_text() -> None:
    history = [{"item": "history.malignancy", "present": True, "text": "seen by Dr Smith, Leeds"}]
    report = standard_report(history=history)
    assert any("Dr Smith" in line for line in _build(report).history)
    assert not any("Dr Smith" in line for line in _build(report, deidentified=True).history)


def test_identified_letter_needs_the_patients_agreement() -> None:
    for consent in (None, False):
        report = standard_report(consent_to_contact=consent)
        with pytest.raises(LetterError, match="only the de-identified summary"):
            _build(report)
        assert _build(report, deidentified=True).consent.startswith(
            "The patient has not agreed" if consent is False else "The patient has not yet been"
        )


def test_letter_needs_a_signing_physician() -> None:
    report = standard_report()
    letter = build_referral_letter(
        report,
        CLINIC,
        None,
        deidentified=False,
        physician="Dr Grace Hopper",
        generated_at=GENERATED_AT,
    )
    assert letter.signature.physician == "Dr Grace Hopper"
    with pytest.raises(LetterError, match="no signing physician"):
        build_referral_letter(
            report,
            replace(CLINIC, physician_name=""),
            None,
            deidentified=False,
            physician=None,
            generated_at=GENERATED_AT,
        )


def test_default_trials_are_those_not_ruled_out() -> None:
    # Active tuberculosis rules out every trial of the helper's criteria (exclusion 1).
    findings = [
        *BASE_PROFILE["findings"],
        {"test": "infection.active_tb", "result": "positive", "date": "2026-11-20"},
    ]
    excluded = make_profile(findings=findings)
    ruled_out = make_match(
        excluded, make_detail("NCT00000009", "Ruled out"), criteria_dict("NCT00000009")
    )
    assert ruled_out.evaluation.verdict is Verdict.NOT_ELIGIBLE
    only_age = {**criteria_dict("NCT00000010")}
    only_age["criteria"] = only_age["criteria"][:1]
    kept = make_match(excluded, make_detail("NCT00000010", "Age only"), only_age)
    report = make_report(excluded, (ruled_out, kept))
    assert [trial.trial_id for trial in _build(report).trials] == ["NCT00000010"]
    chosen = _build(report, trial_ids=["NCT00000009"]).trials
    assert [trial.trial_id for trial in chosen] == ["NCT00000009"]
    assert chosen[0].verdict_text.startswith(
        "Not eligible on the recorded data — 1 criterion not met"
    )
    with pytest.raises(LetterError, match="NCT99999999 is not among the matched trials"):
        _build(report, trial_ids=["NCT99999999"])
    with pytest.raises(LetterError, match="no trial to refer to"):
        _build(make_report(excluded, (ruled_out,)))


def test_the_chosen_trials_records_are_read_in_one_query_wherever_they_rank(
    session_factory: SessionFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    studies = [
        {
            "protocolSection": {
                "identificationModule": {
                    "nctId": f"NCT0900{index:04d}",
                    "briefTitle": f"Lupus study {index}",
                },
                "statusModule": {"overallStatus": "RECRUITING"},
                "conditionsModule": {"conditions": ["Systemic Lupus Erythematosus"]},
                "eligibilityModule": {"eligibilityCriteria": "Inclusion Criteria:\n\n* Consent\n"},
            }
        }
        for index in range(2 * matching.PREFETCHED_DETAILS)
    ]
    path = tmp_path / "studies.json"
    path.write_text(json.dumps({"studies": studies}), encoding="utf-8")
    assert not import_files(session_factory, [path]).failed
    profile = make_profile()
    report = Matcher(session_factory).match(profile, screening_date=SCREENING_DATE)
    assert len(report.trials) == len(studies)
    # Two trials past the records the match read; the second one far from the first.
    chosen = [report.trials[-1].trial_id, report.trials[matching.PREFETCHED_DETAILS].trial_id]
    reads: list[list[str]] = []
    real_read = matching.load_trial_details

    def counted_read(factory: SessionFactory, trial_ids: list[str]) -> object:
        reads.append(list(trial_ids))
        return real_read(factory, trial_ids)

    monkeypatch.setattr(matching, "load_trial_details", counted_read)
    letter = _build(report, trial_ids=chosen)
    assert [sorted(ids) for ids in reads] == [sorted(chosen)]  # one query, only those two
    titles = {trial.trial_id: trial.title for trial in letter.trials}
    assert titles == {trial_id: f"Lupus study {int(trial_id[-4:])}" for trial_id in chosen}


def test_verdict_text_never_says_bare_eligible() -> None:
    report = standard_report()
    for match in report.trials:
        text = verdict_text(match.evaluation)
        assert text.startswith("Potentially eligible — 2 criteria unknown")
        assert text.endswith("to be confirmed by the study team")


def test_trial_section_lists_unknowns_sites_and_automatic_rules() -> None:
    first, second = _build().trials
    assert first.registry_url == "https://clinicaltrials.gov/study/NCT06691152"
    assert first.phase == "Phase 1"
    assert any("needs: Absolute neutrophil count" in line for line in first.to_confirm)
    assert first.automatic_rules_note is None
    assert second.automatic_rules_note is not None
    assert "not been checked by a person" in second.automatic_rules_note
    # The clinic is in Shanghai: Hangzhou (163 km) before Tianjin (≈960 km).
    assert [site.place for site in first.sites] == ["Hangzhou, China", "Tianjin, China"]
    assert first.sites[0].distance == "163 km from the clinic"
    assert [c.phone for c in first.sites[0].contacts] == ["+86-571-86670076", "+8615088688407"]


def test_lab_uln_lines() -> None:
    labs = {lab.label: lab for lab in _build().labs}
    assert labs["AST"].uln == "ULN 35 U/L (the lab's)"
    assert labs["ALT"].uln == "ULN 40 U/L assumed (typical adult value)"
    assert labs["Serum creatinine"].uln == "ULN 88 µmol/L assumed (typical adult value)"
    entered_in_mg_dl = standard_report(
        labs=[{"analyte": "creatinine", "value": 0.8, "unit": "mg/dL", "date": "2026-11-18"}]
    )
    (creatinine,) = _build(entered_in_mg_dl).labs
    # The assumed ULN is shown in the unit the result was entered in, and in the canonical one.
    assert creatinine.uln == "ULN 0.995 mg/dL (88 µmol/L) assumed (typical adult value)"
    assert labs["White blood cell count"].uln == ""


# --- export and the referral log ------------------------------------------------------------


def test_export_writes_the_pdf_and_logs_the_referral(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    out = tmp_path / "letters" / "referral.pdf"
    written = export_letter(
        session_factory,
        standard_report(),
        CLINIC,
        None,
        out,
        False,
        None,
        render=render_referral_letter,
        now=GENERATED_AT,
    )
    assert written == out
    assert "NCT06691152" in pdf_text(out)
    assert [p.name for p in out.parent.iterdir()] == ["referral.pdf"]  # no temporary file left
    (record,) = list_referrals(session_factory)
    assert record.trial_ids == ("NCT06691152", "NCT06941129")
    assert record.patient_identifier == RECORD_NUMBER
    assert record.physician == "Dr Ada Lovelace"
    assert record.kind is ReferralKind.EXPORT
    assert record.file_name == "referral.pdf"
    assert record.created_at == GENERATED_AT


def test_deidentified_export_is_marked_in_the_log(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    export_letter(
        session_factory,
        standard_report(),
        CLINIC,
        ["NCT06941129"],
        tmp_path / "summary.pdf",
        True,
        "Dr Grace Hopper",
        render=render_referral_letter,
        now=GENERATED_AT,
    )
    (record,) = list_referrals(session_factory)
    assert record.patient_identifier == RECORD_NUMBER + DEIDENTIFIED_MARK
    assert record.trial_ids == ("NCT06941129",)
    assert record.physician == "Dr Grace Hopper"


def test_failed_render_leaves_no_file_and_no_log_entry(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    out = tmp_path / "letters" / "referral.pdf"
    out.parent.mkdir()
    out.write_bytes(b"the earlier letter")

    def broken_render(letter: ReferralLetter, stream: BinaryIO) -> None:
        stream.write(b"%PDF-half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        export_letter(
            session_factory, standard_report(), CLINIC, None, out, False, None, render=broken_render
        )
    assert out.read_bytes() == b"the earlier letter"
    assert [p.name for p in out.parent.iterdir()] == ["referral.pdf"]
    assert list_referrals(session_factory) == ()


def test_refused_letter_is_neither_written_nor_logged(
    session_factory: SessionFactory, tmp_path: Path
) -> None:
    out = tmp_path / "referral.pdf"
    with pytest.raises(LetterError):
        export_letter(
            session_factory,
            standard_report(consent_to_contact=None),
            CLINIC,
            None,
            out,
            False,
            None,
            render=render_referral_letter,
        )
    assert not out.exists()
    assert list_referrals(session_factory) == ()


def test_referral_log_as_csv(session_factory: SessionFactory, tmp_path: Path) -> None:
    for index, deidentified in enumerate((False, True)):
        export_letter(
            session_factory,
            standard_report(),
            CLINIC,
            None,
            tmp_path / f"{index}.pdf",
            deidentified,
            None,
            render=render_referral_letter,
            now=GENERATED_AT + dt.timedelta(minutes=index),
        )
    buffer = io.StringIO(newline="")
    write_referrals_csv(list_referrals(session_factory), buffer)
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows[0] == [
        "created_at_utc",
        "kind",
        "trial_ids",
        "patient_identifier",
        "physician",
        "file_name",
    ]
    assert rows[1:] == [
        [
            "2026-11-23 09:31:00",
            "export",
            "NCT06691152 NCT06941129",
            RECORD_NUMBER + DEIDENTIFIED_MARK,
            "Dr Ada Lovelace",
            "1.pdf",
        ],
        [
            "2026-11-23 09:30:00",
            "export",
            "NCT06691152 NCT06941129",
            RECORD_NUMBER,
            "Dr Ada Lovelace",
            "0.pdf",
        ],
    ]


# --- the command line ---------------------------------------------------------------------------


def _run_main(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "main.py"), *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        check=False,
    )


def test_letter_and_referrals_commands(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(
        json.dumps({"clinic_name": "Riverside Clinic", "physician_name": "Dr Ada Lovelace"}),
        encoding="utf-8",
    )
    patient = tmp_path / "patient.json"
    patient.write_text(json.dumps(BASE_PROFILE), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "TRIALMATCH_SETTINGS": str(settings), "HOME": str(tmp_path)}
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    out = tmp_path / "letter.pdf"

    result = _run_main(
        "--db",
        database,
        "letter",
        "--patient",
        str(patient),
        "--out",
        str(out),
        "--date",
        "2026-11-23",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert out.exists()
    assert "Page 1 of" in pdf_text(out)
    assert RECORD_NUMBER in pdf_text(out)

    unknown = _run_main(
        "--db",
        database,
        "letter",
        "--patient",
        str(patient),
        "--out",
        str(tmp_path / "x.pdf"),
        "--trial",
        "NCT99999999",
        env=env,
    )
    assert unknown.returncode == 2
    assert "NCT99999999 is not among the matched trials" in unknown.stderr
    assert not (tmp_path / "x.pdf").exists()

    listing = _run_main("--db", database, "referrals", env=env)
    assert listing.returncode == 0, listing.stderr
    assert f"patient {RECORD_NUMBER}  by Dr Ada Lovelace" in listing.stdout
    assert "file: letter.pdf" in listing.stdout

    csv_path = tmp_path / "log.csv"
    exported = _run_main("--db", database, "referrals", "--csv", str(csv_path), env=env)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"), newline="")))
    assert len(rows) == 2
    assert rows[1][3:] == [RECORD_NUMBER, "Dr Ada Lovelace", "letter.pdf"]


def test_counted_criterion_row_shows_its_tally_when_not_met() -> None:
    profile = make_profile()
    criteria = criteria_dict("NCT06691152")
    criteria["criteria"].append(
        {
            "id": "inc-9",
            "kind": "inclusion",
            "text": "9. At least two of: age ≥ 18 years; age ≥ 100 years; age ≥ 110 years",
            "rule": {
                "at_least": 2,
                "of": [
                    {"fact": "age_years", "op": ">=", "value": value, "unit": "a"}
                    for value in (18, 100, 110)
                ],
            },
            "verified": True,
        }
    )
    match = make_match(profile, make_detail("NCT06691152", "Counted", (TIANJIN_SITE,)), criteria)
    (section,) = _build(make_report(profile, (match,)), trial_ids=["NCT06691152"]).trials
    row = next(row for row in section.criteria if row.criterion_id == "inc-9")
    assert row.result == "Not met"
    assert row.patient_data[-1].startswith("2 of the following 3 are needed: 1 met, 2 not met")
    # A plain criterion that is met or not met carries only its evidence lines.
    age = next(row for row in section.criteria if row.criterion_id == "inc-1")
    assert len(age.patient_data) == 1
