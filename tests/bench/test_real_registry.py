"""The real registry texts load with valid provenance, and their atom counts are what they say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench.atom_share import main as atom_share_main
from bench.real_registry import (
    DATA,
    atom_curve,
    atom_reads_patient,
    fit_power_law,
    load_records,
    trial_atoms,
)
from engine.compiled import compile_criteria_data
from engine.parser import parse_criteria

README = DATA.parent / "README.md"


def test_every_record_has_text_and_a_listed_source() -> None:
    records = load_records()
    assert len(records) >= 100
    readme = README.read_text(encoding="utf-8")
    listed = set(re.findall(r"\| ([\w.-]+/[\w.-]+) \| `([^`]+)` \| `([0-9a-f]{40})` \|", readme))
    for record in records:
        assert record.text.strip()
        # Transcribed from CSV/XML: the transport escapes must have been undone.
        assert '""' not in record.text or record.source.format != "csv"
        assert "&#xD;" not in record.text
        assert "&gt;" not in record.text
        assert (record.source.repo, record.source.path, record.source.commit) in listed
    assert len({r.nct_id for r in records}) == len(records)
    assert [r.nct_id for r in records] == sorted(r.nct_id for r in records)


def _line(**changes: object) -> str:
    record: dict[str, object] = {
        "nct_id": "NCT00000001",
        "conditions": ["Lupus"],
        "eligibility_criteria": "Inclusion Criteria:\n\n- Age >= 18 years",
        "source": {"repo": "owner/name", "path": "a.csv", "commit": "a" * 40, "format": "csv"},
    }
    record.update(changes)
    return json.dumps(record)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"eligibility_criteria": "  "}, "no eligibility text"),
        ({"nct_id": "NCT123"}, "not an NCT id"),
        (
            {"source": {"repo": "owner/name", "path": "a.csv", "commit": "abc", "format": "csv"}},
            "not 40 hex digits",
        ),
        ({"source": {"repo": "nobody", "path": "a", "commit": "a" * 40, "format": "csv"}}, "owner"),
    ],
)
def test_a_malformed_record_is_refused(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(_line(**changes) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_records(path)


def test_a_repeated_nct_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(_line() + "\n" + _line() + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="appears twice"):
        load_records(path)


def test_curve_counts_match_a_direct_parse_of_a_slice() -> None:
    records = load_records()[:6]
    trials = [trial_atoms(r.nct_id, r.text) for r in records]
    first, everything = atom_curve(trials, [2, 6])
    atoms: set[str] = set()
    criteria = review = 0
    for record in records:
        parsed = parse_criteria(record.nct_id, record.text)
        compiled = compile_criteria_data(parsed.criteria)
        criteria += len(compiled.atoms)
        review += parsed.statistics.review
        atoms.update(compiled.atoms)
    assert (everything.trials, everything.criteria, everything.review) == (6, criteria, review)
    assert everything.distinct == len(atoms)
    reading = [a for a in atoms if atom_reads_patient(a) is True]
    assert everything.distinct_reading == len(reading)
    # Review-only atoms carry no wording: at most one per kind (inclusion, exclusion).
    assert everything.distinct_review <= 2
    assert first.trials == 2
    assert first.distinct <= everything.distinct


def test_the_same_text_twice_adds_no_atom() -> None:
    record = load_records()[0]
    once = trial_atoms("NCT00000001", record.text)
    twice = trial_atoms("NCT00000002", record.text)
    one, two = atom_curve([once, twice], [1, 2])
    assert two.distinct == one.distinct
    assert two.criteria == 2 * one.criteria


def test_a_checkpoint_past_the_end_is_refused() -> None:
    trial = trial_atoms("NCT00000001", "Inclusion Criteria:\n\n- Age >= 18 years")
    with pytest.raises(ValueError, match="not reached"):
        atom_curve([trial], [2])


def test_power_law_fit_recovers_its_parameters() -> None:
    a, b = fit_power_law([(n, round(3 * n**0.5)) for n in (100, 400, 1600, 6400)])
    assert b == pytest.approx(0.5, abs=0.01)
    assert a == pytest.approx(3, rel=0.05)


def test_atom_share_real_option_prints_the_table_for_a_slice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = DATA.read_text(encoding="utf-8").splitlines()[:12]
    path = tmp_path / "slice.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["atom_share", "5", "--real", str(path)])
    atom_share_main()
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| real |")]
    assert [row.split("|")[2].strip() for row in rows] == ["5", "12"]
    assert "| synthetic default | 12 |" in out
    assert "| synthetic registry | 12 |" in out
    assert "µs CPU per atom" in out
    assert "Reading atoms found in one trial only:" in out
    assert "| 100,000 |" in out
