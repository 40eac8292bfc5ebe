"""Benchmark databases: synthetic trials imported with the real importer, cached under bench/.cache.

Building a database costs what the app costs (import at tens of records per second, parsing at
tens of milliseconds per trial), so each size is built once and reused:

- the base set (up to 10,000 distinct studies) goes through ``models.operations.import_files``;
- each trial's criteria text is parsed once (two worker processes) and stored as its automatic
  criteria set, the state "parsed at import" that models.criteria_library reads first;
- larger sets (100,000) are the base set copied in SQL with new trial ids, so the 100,000-trial
  database holds 10 copies of 10,000 distinct records. Each copy is a separate trial to the
  matcher (its own id, rules and compiled set), which is what the timing depends on.
"""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from bench.generate import write_bulk_zip
from engine.parser import parse_criteria_text
from models.compiled_store import compile_stored_sets
from models.criteria_set import CriteriaSource
from models.database import sqlite_url
from models.operations import import_files, open_database, store_criteria_set

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
BASE_LIMIT = 10_000
SEED = 2026
# Synthetic ids are NCT99 + 6 digits; copy k of the base set becomes NCT99k + 5 digits.
COPY_PREFIX = "NCT9900"


def _suffix(diversity: str) -> str:
    """File-name suffix of a generator; none for the default, so its caches keep their names."""
    return "" if diversity == "default" else f"-{diversity}"


def bulk_zip(count: int, cache_dir: Path = CACHE_DIR, diversity: str = "default") -> Path:
    path = cache_dir / f"studies-{count}-seed{SEED}{_suffix(diversity)}.zip"
    if not path.exists():
        write_bulk_zip(path, count, SEED, diversity=diversity)
    return path


def database_path(count: int, cache_dir: Path = CACHE_DIR, diversity: str = "default") -> Path:
    """Where the cached database of ``count`` trials from the ``diversity`` generator lives."""
    return cache_dir / f"trials-{count}-seed{SEED}{_suffix(diversity)}.sqlite"


def _parse_one(item: tuple[str, str]) -> tuple[str, str]:
    import json

    trial_id, text = item
    return trial_id, json.dumps(parse_criteria_text(trial_id, text))


def store_automatic_sets(path: Path) -> None:
    """Parse every trial's criteria text and store it as the trial's automatic criteria set."""
    database = open_database(sqlite_url(path), bundled_files=())
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute(
            "SELECT trial_id, coalesce(eligibility_criteria, '') FROM trials "
            "WHERE trial_id NOT IN (SELECT trial_id FROM criteria_sets)"
        ).fetchall()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        for trial_id, criteria_json in pool.imap_unordered(_parse_one, rows, chunksize=50):
            store_criteria_set(
                database.session_factory,
                trial_id,
                CriteriaSource.AUTOMATIC,
                criteria_json,
                verified=False,
            )
    database.engine.dispose()


def compile_stored(path: Path) -> None:
    """Bring a cached database to the app's schema and compile sets stored before 0003 (what
    store_criteria_set does for sets stored now); nothing to do for an up-to-date one."""
    database = open_database(sqlite_url(path), bundled_files=())
    compile_stored_sets(database.session_factory)
    database.engine.dispose()


def _copy_base(target: Path, copies: int) -> None:
    """Fill ``target`` (a copy of the base set) with ``copies - 1`` more copies under new ids."""
    with closing(sqlite3.connect(target)) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name != 'alembic_version'"
                # Rule atoms are shared by every copy (a set's program names them by id);
                # the versions of derived data are the database's, not a trial's.
                " AND name != 'referrals' AND name != 'criteria_atoms'"
                " AND name != 'derived_versions'"
            )
        ]
        # Parents first, so foreign keys hold as rows arrive.
        order = ["trials", "trial_sites"]
        tables = order + sorted(name for name in tables if name not in order)
        offsets = {
            table: (connection.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])
            for table in tables
            if table != "trials"
            and any(row[1] == "id" for row in connection.execute(f"PRAGMA table_info({table})"))
        }
        for copy in range(1, copies):
            prefix = f"NCT99{copy}0"
            for table in tables:
                columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
                chosen = []
                for column in columns:
                    if column in {"trial_id", "nct_id", "criteria_json", "source_json"}:
                        chosen.append(f"replace({column}, '{COPY_PREFIX}', '{prefix}')")
                    elif column == "id":
                        chosen.append(f"id + {offsets[table] * copy}")
                    elif column == "set_id":
                        chosen.append(f"set_id + {offsets['criteria_sets'] * copy}")
                    elif column == "site_id":
                        chosen.append(f"site_id + {offsets['trial_sites'] * copy}")
                    else:
                        chosen.append(column)
                connection.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {', '.join(chosen)} FROM {table} "
                    f"WHERE trial_id LIKE '{COPY_PREFIX}%'"
                    if "trial_id" in columns
                    else f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {', '.join(chosen)} FROM {table} WHERE id <= {offsets[table]}"
                )
        connection.commit()


def benchmark_database(count: int, cache_dir: Path = CACHE_DIR, diversity: str = "default") -> Path:
    """The cached SQLite database with ``count`` synthetic trials and their automatic sets."""
    path = database_path(count, cache_dir, diversity)
    if path.exists():
        compile_stored(path)
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building")
    for leftover in cache_dir.glob(building.name + "*"):
        leftover.unlink()
    if count <= BASE_LIMIT:
        database = open_database(sqlite_url(building), bundled_files=())
        report = import_files(database.session_factory, [bulk_zip(count, cache_dir, diversity)])
        database.engine.dispose()
        if report.failed:
            raise RuntimeError(f"synthetic import failed: {report.failed[0].message()}")
        store_automatic_sets(building)
    else:
        if count % BASE_LIMIT:
            raise ValueError(f"sizes above {BASE_LIMIT} must be multiples of it")
        base = benchmark_database(BASE_LIMIT, cache_dir, diversity)
        shutil.copyfile(base, building)
        _copy_base(building, count // BASE_LIMIT)
    with closing(sqlite3.connect(building)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    building.replace(path)
    return path
