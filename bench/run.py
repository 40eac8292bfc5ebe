"""``python -m bench.run``: measure start-up, matching, import, parsing, the letter and memory.

Prints one table row per measurement with its target and whether it was met. Matching runs in a
separate process per database size, so each size's peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import gc
import io
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.databases import CACHE_DIR, SEED, benchmark_database
from bench.generate import generate_study, write_bulk_zip

SCREENING_DATE = dt.date(2026, 11, 23)
PROFILE_PATH = (
    Path(__file__).resolve().parent.parent / "tests" / "golden" / "adult_refractory_sle.json"
)
DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (60,)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table; ``met`` is None when the row has no target."""

    name: str
    value: str
    target: str = "-"
    met: bool | None = None

    def verdict(self) -> str:
        return "n/a" if self.met is None else ("met" if self.met else "MISSED")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


# ---------------------------------------------------------------------------------------------
# Matching (in a child process per size)


def _profiles() -> tuple[Any, Any]:
    """The golden adult SLE profile, and the same with one lab value edited."""
    from engine.profile import profile_from_dict
    from models.profile_io import read_profile_dict

    data = read_profile_dict(PROFILE_PATH)
    edited = copy.deepcopy(data)
    labs = edited["labs"]
    assert isinstance(labs, list)
    anc = next(lab for lab in labs if lab["analyte"] == "anc")
    anc["value"] = 1.2  # below the usual 1.5 threshold: verdicts change
    return (
        profile_from_dict(data, today=SCREENING_DATE),
        profile_from_dict(edited, today=SCREENING_DATE),
    )


def bare_query_seconds(path: Path) -> float:
    """What the database itself needs for the golden patient's first match: the screening
    columns and titles of the trials about the patient's conditions (through the stored
    topics) and their stored programs, in plain ``sqlite3`` (no ORM, no Python work)."""
    from engine.profile import profile_from_dict
    from models.profile_io import read_profile_dict
    from models.topics import candidate_topics, patient_conditions

    profile = profile_from_dict(read_profile_dict(PROFILE_PATH), today=SCREENING_DATE)
    topics = sorted(candidate_topics(patient_conditions(profile)))
    chosen = f"SELECT trial_id FROM trial_topics WHERE topic IN ({', '.join('?' * len(topics))})"
    started = time.perf_counter()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute(
            "SELECT trial_id, overall_status, minimum_age, maximum_age, sex, last_update,"
            f" record_version, brief_title, official_title FROM trials WHERE trial_id IN ({chosen})"
            " ORDER BY trial_id",
            topics,
        ).fetchall()
        connection.execute(
            "SELECT s.trial_id, s.source, p.verified, p.program FROM criteria_sets s"
            f" LEFT JOIN criteria_programs p ON p.set_id = s.id WHERE s.trial_id IN ({chosen})",
            topics,
        ).fetchall()
    return time.perf_counter() - started


def results_worker(path: Path) -> dict[str, Any]:
    """How long the window's results table takes to show a first match's report (on the UI
    thread, after the match): rows built, the model reset and the table laid out."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from models.database import sqlite_url
    from models.matching import Matcher
    from models.operations import open_database
    from ui.results.results_panel import ResultsPanel

    application = QApplication.instance() or QApplication([])
    database = open_database(sqlite_url(path), bundled_files=())
    profile, _ = _profiles()
    report = Matcher(database.session_factory).match(profile, screening_date=SCREENING_DATE)
    panel = ResultsPanel()
    panel.resize(1100, 700)
    panel.show()
    application.processEvents()
    started = time.perf_counter()
    panel.show_report(report)
    application.processEvents()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(report.trials)}


def match_worker(path: Path) -> dict[str, Any]:
    """First match and re-match after a one-field edit with one Matcher, and peak memory."""
    from models.database import sqlite_url
    from models.matching import Matcher
    from models.operations import open_database

    database = open_database(sqlite_url(path), bundled_files=())
    profile, edited = _profiles()
    started = time.perf_counter()
    Matcher(database.session_factory).match(profile, screening_date=SCREENING_DATE)
    cold = time.perf_counter() - started
    gc.collect()
    # The window's Matcher can read the catalogue before the first patient is matched.
    matcher = Matcher(database.session_factory)
    started = time.perf_counter()
    matcher.preload()
    load = time.perf_counter() - started
    started = time.perf_counter()
    report = matcher.match(profile, screening_date=SCREENING_DATE)
    first = time.perf_counter() - started
    started = time.perf_counter()
    rematch = matcher.match(edited, screening_date=SCREENING_DATE)
    second = time.perf_counter() - started
    trials = (
        len(report.trials)
        + report.hidden_closed
        + len(report.problems)
        + report.other_conditions
        + report.excluded_age_sex
    )
    verdicts_before = {item.trial_id: item.outcome.verdict for item in report.trials}
    changed = sum(
        1 for item in rematch.trials if verdicts_before.get(item.trial_id) != item.outcome.verdict
    )
    return {
        "trials": trials,
        "cold": cold,
        "load": load,
        "first": first,
        "rematch": second,
        "verdicts_changed": changed,
        "evaluated": len(report.trials) + len(report.problems),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(*arguments: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child {arguments} failed:\n{result.stderr}")
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


# ---------------------------------------------------------------------------------------------
# The other measurements


def measure_startup(path: Path, *, checked: bool = False) -> float:
    """Start-up to the window shown. The file is first opened and closed normally, as the
    previous session leaves it; ``checked``: its note is then dropped, as after a crash or a
    change by another program, so the start-up runs SQLite's quick check of the whole file."""
    from models.backup import forget_clean_close
    from models.database import sqlite_url
    from models.operations import close_database, open_database

    close_database(open_database(sqlite_url(path), bundled_files=()))
    if checked:
        forget_clean_close(path)
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "bench.startup_probe", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
    )
    shown = [line for line in result.stdout.splitlines() if line.startswith("shown ")]
    if result.returncode != 0 or not shown:
        raise RuntimeError(f"the window did not start:\n{result.stderr}")
    return float(shown[-1].split()[1]) - started


def measure_import(
    count: int, work: Path, seed: int, diversity: str = "default"
) -> tuple[float, Path]:
    """Seconds to import ``count`` synthetic records into a new database (and that database)."""
    from models.database import sqlite_url
    from models.operations import import_files, open_database

    source = work / f"import-{count}-{seed}.zip"
    write_bulk_zip(source, count, seed, diversity=diversity)
    target = work / f"import-{count}-{seed}.sqlite"
    database = open_database(sqlite_url(target), bundled_files=())
    started = time.perf_counter()
    report = import_files(database.session_factory, [source])
    seconds = time.perf_counter() - started
    database.engine.dispose()
    if report.failed or len(report.added) != count:
        raise RuntimeError(f"import of {count} records failed: {report.failed[:1]}")
    return seconds, target


def measure_parser(trials: int, diversity: str = "default") -> tuple[int, float]:
    """Criteria found and seconds spent parsing ``trials`` synthetic criteria texts."""
    from engine.parser import parse_criteria

    texts = []
    for index in range(trials):
        study, _ = generate_study(index, SEED, diversity)
        section = study["protocolSection"]
        texts.append(
            (
                section["identificationModule"]["nctId"],
                section["eligibilityModule"]["eligibilityCriteria"],
            )
        )
    started = time.perf_counter()
    criteria = sum(parse_criteria(trial_id, text).statistics.criteria for trial_id, text in texts)
    return criteria, time.perf_counter() - started


def measure_letter(path: Path, *, warmed_up: bool = True) -> float:
    """Seconds to build and render the referral letter for 10 trials of a match report.

    ``warmed_up``: ReportLab, the body fonts and the styles are loaded first, as the window
    loads them in the background after it is shown; otherwise the letter loads them (the
    command line's case). Run it in a fresh process (``--letter-worker``): the letter measured
    is the process's first.
    """
    from models.database import sqlite_url
    from models.letter import build_referral_letter
    from models.matching import Matcher
    from models.operations import open_database
    from models.settings import ClinicSettings
    from ui.export.pdf_report import render_referral_letter, warm_up

    database = open_database(sqlite_url(path), bundled_files=())
    profile, _ = _profiles()
    report = Matcher(database.session_factory).match(profile, screening_date=SCREENING_DATE)
    chosen = [item.trial_id for item in report.trials[:10]]
    settings = ClinicSettings(clinic_name="Benchmark Clinic", physician_name="Dr. Bench")
    if warmed_up:
        warm_up()
    started = time.perf_counter()
    letter = build_referral_letter(
        report,
        settings,
        chosen,
        deidentified=False,
        physician=None,
        generated_at=dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC),
    )
    render_referral_letter(letter, io.BytesIO())
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# The table


def collect(
    sizes: tuple[int, ...],
    import_count: int,
    parser_trials: int,
    cache: Path,
    match_budget: float,
    diversity: str = "default",
) -> list[Row]:
    rows: list[Row] = []
    smallest = benchmark_database(min(sizes), cache, diversity)

    seconds = measure_startup(smallest)
    rows.append(
        Row(
            f"Start-up to window shown ({min(sizes):,} trials)",
            f"{seconds:.2f} s",
            "<= 2 s",
            seconds <= 2,
        )
    )

    largest = benchmark_database(max(sizes), cache, diversity)
    if largest != smallest:
        seconds = measure_startup(largest)
        rows.append(
            Row(
                f"Start-up to window shown ({max(sizes):,} trials)",
                f"{seconds:.2f} s",
                "<= 2 s",
                seconds <= 2,
            )
        )
    seconds = measure_startup(largest, checked=True)
    rows.append(
        Row(
            f"Start-up after a crash: quick check of the whole file ({max(sizes):,} trials)",
            f"{seconds:.2f} s",
        )
    )

    largest_peak: tuple[int, float, str] | None = None
    previous: dict[str, float] | None = None
    for size in sizes:
        path = benchmark_database(size, cache, diversity)
        if previous is not None and previous["rematch_per_trial"] * size > match_budget:
            # A full match would outlast the run: measure the SQL read, project the rest from
            # the per-trial rates of the size before (all three grow linearly with trials).
            sql = bare_query_seconds(path)
            label = f"{size:,} trials; PROJECTED from {previous['trials']:,}"
            first = previous["first_per_trial"] * size
            rematch = previous["rematch_per_trial"] * size
            rows.append(
                Row(
                    f"First match, rules stored, new Matcher ({label})",
                    f"~{first:,.0f} s",
                    "<= 1 s" if size == 100_000 else "-",
                    first <= 1 if size == 100_000 else None,
                )
            )
            rows.append(Row(f"Re-match after one lab edit ({label})", f"~{rematch:,.0f} s"))
            rows.append(Row(f"Bare SQL read of candidate trials ({size:,} trials)", _ms(sql)))
            largest_peak = (size, previous["mb_per_trial"] * size, "; PROJECTED")
            continue
        result = run_child("--match-worker", str(path))
        # Measured here, not in the match process: reading every criteria text and set would
        # be that process's peak memory, and a match no longer reads them.
        result["sql"] = bare_query_seconds(path)
        trials = max(1, result["trials"])
        previous = {
            "trials": trials,
            "first_per_trial": result["cold"] / trials,
            "rematch_per_trial": result["rematch"] / trials,
            "mb_per_trial": result["peak_mb"] / trials,
        }
        label = f"{result['trials']:,} trials, {result['evaluated']:,} candidates"
        first_target = "<= 1 s" if size == 100_000 else "-"
        rows.append(
            Row(
                f"First match, rules stored, new Matcher ({label})",
                f"{result['cold']:.2f} s",
                first_target,
                result["cold"] <= 1 if size == 100_000 else None,
            )
        )
        rows.append(
            Row(f"Matcher.preload: catalogue read ({size:,} trials)", f"{result['load']:.2f} s")
        )
        rows.append(
            Row(
                f"First match, rules stored, catalogue preloaded ({label})",
                f"{result['first']:.2f} s",
                first_target,
                result["first"] <= 1 if size == 100_000 else None,
            )
        )
        rows.append(
            Row(
                f"Re-match after one lab edit ({label}; "
                f"{result['verdicts_changed']} verdicts changed)",
                _ms(result["rematch"]),
                "<= 100 ms" if size == 10_000 else "-",
                result["rematch"] <= 0.1 if size == 10_000 else None,
            )
        )
        ratio = result["cold"] / result["sql"] if result["sql"] else float("inf")
        rows.append(
            Row(
                f"Bare SQL read of candidate trials ({label})",
                f"{_ms(result['sql'])} (new Matcher's first match = {ratio:,.1f}x)",
            )
        )
        if size == max(sizes):
            shown = run_child("--results-worker", str(path))
            rows.append(
                Row(
                    f"Results table shows the first match ({shown['rows']:,} rows, UI thread)",
                    _ms(shown["seconds"]),
                )
            )
        largest_peak = (size, result["peak_mb"], "; first match and re-match")

    with tempfile.TemporaryDirectory(prefix="trialmatch-bench-") as work:
        seconds, _ = measure_import(import_count, Path(work), SEED + 1, diversity)
        rate = import_count / seconds
        rows.append(
            Row(
                f"Import {import_count:,} records",
                f"{rate:,.0f} records/s ({seconds:.1f} s)",
                ">= 500 records/s",
                rate >= 500,
            )
        )
        # The app today stores no parsed rules at import: its first match parses every text.
        _, imported = measure_import(min(sizes), Path(work), SEED, diversity)
        cold = run_child("--match-worker", str(imported))
        rows.append(
            Row(
                f"First match, nothing stored: rules parsed now ({cold['trials']:,} trials)",
                f"{cold['first']:.2f} s",
            )
        )

    criteria, seconds = measure_parser(parser_trials, diversity)
    rows.append(
        Row(
            f"Parser ({parser_trials:,} texts, {criteria:,} criteria)",
            f"{criteria / seconds:,.0f} criteria/s",
        )
    )

    seconds = run_child("--letter-worker", str(smallest))["seconds"]
    rows.append(
        Row("Referral letter, 10 trials (build + PDF)", f"{seconds:.2f} s", "<= 1 s", seconds <= 1)
    )
    seconds = run_child("--letter-worker", str(smallest), "--letter-cold")["seconds"]
    rows.append(
        Row(
            "Letter on the command line, 10 trials (ReportLab and fonts loaded)",
            f"{seconds:.2f} s",
        )
    )

    if largest_peak is not None:
        size, peak, scope = largest_peak
        rows.append(
            Row(
                f"Peak memory, match process ({size:,} trials{scope})",
                f"{peak:,.0f} MB",
                "<= 500 MB" if size == 100_000 else "-",
                peak <= 500 if size == 100_000 else None,
            )
        )
    return rows


def format_table(rows: list[Row]) -> str:
    headers = ("Measurement", "Value", "Target", "Result")
    cells = [headers] + [(row.name, row.value, row.target, row.verdict()) for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(4)]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def machine_description() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{memory_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown memory"
    return f"{os.cpu_count()} CPUs, {model}, {memory}, Python {sys.version.split()[0]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the suite runs")
    parser.add_argument("--sizes", help="comma-separated trial counts (default 1000,10000,100000)")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    parser.add_argument(
        "--diverse",
        action="store_true",
        help="use the less repetitive synthetic registry (bench/registry_text.py) for every "
        "row; its databases are cached apart from the default set's",
    )
    parser.add_argument(
        "--match-budget",
        type=float,
        default=120.0,
        help="seconds a single match may take; larger sizes are projected from smaller ones",
    )
    parser.add_argument("--match-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--letter-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--results-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--letter-cold", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.match_worker is not None:
        print(json.dumps(match_worker(arguments.match_worker)))
        return 0
    if arguments.results_worker is not None:
        print(json.dumps(results_worker(arguments.results_worker)))
        return 0
    if arguments.letter_worker is not None:
        seconds = measure_letter(arguments.letter_worker, warmed_up=not arguments.letter_cold)
        print(json.dumps({"seconds": seconds}))
        return 0
    if arguments.sizes:
        sizes = tuple(sorted(int(part.replace("_", "")) for part in arguments.sizes.split(",")))
    else:
        sizes = QUICK_SIZES if arguments.quick else DEFAULT_SIZES
    import_count, parser_trials = (40, 10) if arguments.quick else (10_000, 300)
    diversity = "registry" if arguments.diverse else "default"
    print(f"Machine: {machine_description()}", flush=True)
    if arguments.diverse:
        print("Synthetic set: registry (values drawn from wide ranges)", flush=True)
    rows = collect(
        sizes,
        import_count,
        parser_trials,
        arguments.cache_dir,
        arguments.match_budget,
        diversity,
    )
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
