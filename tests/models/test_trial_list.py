"""The trials browser's narrow list agrees with the full summaries, many sites included."""

from __future__ import annotations

from pathlib import Path

from bench.generate import write_bulk_zip
from models.database import sqlite_url
from models.operations import (
    close_database,
    import_files,
    list_trial_entries,
    list_trials,
    open_database,
    trial_count,
)


def test_entries_carry_each_trials_countries_and_site_count(tmp_path: Path) -> None:
    opened = open_database(sqlite_url(tmp_path / "list.sqlite"))
    try:
        report = import_files(opened.session_factory, [write_bulk_zip(tmp_path / "s.zip", 40, 7)])
        assert not report.failed
        entries = list_trial_entries(opened.session_factory)
        summaries = list_trials(opened.session_factory)
        assert len(entries) == len(summaries) == trial_count(opened.session_factory) == 45
        for entry, summary in zip(entries, summaries, strict=True):
            assert (entry.trial_id, entry.title, entry.phases, entry.conditions) == (
                summary.trial_id,
                summary.title,
                summary.phases,
                summary.conditions,
            )
            assert entry.site_count == len(summary.sites)
            assert entry.countries == tuple(
                sorted({site.country for site in summary.sites if site.country})
            )
        assert max(entry.site_count for entry in entries) > 1
        assert max(len(entry.countries) for entry in entries) > 1
    finally:
        close_database(opened)
