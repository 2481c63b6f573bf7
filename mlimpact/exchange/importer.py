"""The import of exchange-format files into the store.

Reads every source in dependency order, validates chunk by chunk, checks keys
and references, then upserts: new keys are inserted, known keys replaced when a
value differs, left alone otherwise (importing a file twice changes nothing).
All-or-nothing by default (one transaction); `partial=True` keeps the valid rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from mlimpact import accounts, audit, store
from mlimpact.access import TOUT, DroitsImport
from mlimpact.exchange.reading import EmptyTable, FileError, RawChunk, RowProblem, discover, read_source
from mlimpact.exchange.schema import TABLES
from mlimpact.exchange.validation import Context, validate
from mlimpact.exchange.writing import ENCODING, SEPARATOR, neutralise, to_text

Progress = Callable[[str, int], None]


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass
class ImportResult:
    """What an import did, table by table, and why rows were rejected."""

    counts: dict[str, TableCounts] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # files that could not be read at all
    written: bool = False

    @property
    def rejected(self) -> int:
        return len(self.problems)

    @property
    def exit_code(self) -> int:
        """0 all good (an empty table is a remark), 1 done with rejected rows, 2 unusable file or database (docs/cli.md)."""
        if self.errors:
            return 2
        return 1 if self.problems else 0

    def table(self, name: str) -> TableCounts:
        return self.counts.setdefault(name, TableCounts())

    def summary_rows(self) -> list[tuple[str, int, int, int, int]]:
        return [(t, c.inserted, c.updated, c.unchanged, c.rejected) for t, c in self.counts.items()]

    def write_report(self, path: Path) -> list[Path]:
        """The rejected rows with `motif_rejet`, ready to fix and import again.

        One table: written to `path`. Several: one file per table, `<stem>_<table>.csv`.
        """
        path = Path(path)
        by_table: dict[str, list[RowProblem]] = {}
        for p in self.problems:
            by_table.setdefault(p.table, []).append(p)
        written = []
        for table, problems in by_table.items():
            target = path if len(by_table) == 1 else path.with_name(f"{path.stem}_{table}{path.suffix or '.csv'}")
            columns = TABLES[table].column_names
            extra = sorted({k for p in problems for k in p.values} - set(columns))
            frame = pd.DataFrame(
                [{**{c: p.values.get(c) for c in columns + extra}, "ligne": p.line, "motif_rejet": p.message} for p in problems],
                columns=columns + extra + ["ligne", "motif_rejet"],
            )
            for column in columns + extra:  # opened in a spreadsheet: no cell may run as a formula
                frame[column] = neutralise(frame[column])
            target.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(target, sep=SEPARATOR, index=False, encoding=ENCODING)
            written.append(target)
        return written


class _RawRows:
    """A chunk's original text by line number, built only for the rows that get rejected."""

    def __init__(self, chunk: RawChunk):
        self._frame = chunk.frame
        self._position = {line: i for i, line in enumerate(chunk.lines)}

    def __getitem__(self, line: int) -> dict:
        return self._frame.iloc[self._position[line]].to_dict()


class _KeySet:
    """Keys seen in this import, as sorted 64-bit hashes: bounded memory for millions of rows."""

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.uint64)

    @staticmethod
    def hashes(keys: pd.DataFrame) -> np.ndarray:
        return pd.util.hash_pandas_object(keys.astype(object), index=False).to_numpy(dtype=np.uint64)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        if not len(self._hashes):
            return np.zeros(len(hashes), dtype=bool)
        pos = np.searchsorted(self._hashes, hashes)
        pos[pos == len(self._hashes)] = 0
        return self._hashes[pos] == hashes

    def add(self, hashes: np.ndarray) -> None:
        self._hashes = np.sort(np.concatenate([self._hashes, hashes]), kind="stable")


class _Run:
    """State of one import: what has been seen, accepted and rejected so far.

    In all-or-nothing mode, writing stops at the first rejected row (nothing would be kept),
    but reading and checking go on so that every rejected row is reported.
    """

    def __init__(
        self,
        conn: Connection,
        ctx: Context,
        partial: bool,
        result: ImportResult,
        progress: Progress | None,
        droits: DroitsImport,
        dry_run: bool = False,
        author: str = "cli",
        label: str = "",
    ):
        self.conn, self.ctx, self.partial, self.result, self.progress = conn, ctx, partial, result, progress
        self.droits, self.dry_run, self.author, self.label = droits, dry_run, author, label
        self.seen = {t: _KeySet() for t in TABLES}  # keys met in the files (duplicates)
        self.accepted = {t: _KeySet() for t in TABLES}  # keys valid in this import (references)
        self.rejected_keys: dict[str, set[str]] = {t: set() for t in TABLES}
        self.referents: dict[str, set[str]] = {}  # per structure, the accounts that may be referents
        self.empty_at_start = {t: store.row_count(conn, t) == 0 for t in TABLES}
        # With --partial, a row the database refuses is isolated in a savepoint: writes must be synchronous.
        self.pipeline = store.CopyPipeline(conn) if conn.dialect.name == "postgresql" and not partial else None
        if partial and conn.dialect.name == "sqlite":
            store.open_write_transaction(conn)  # savepoints must nest in a transaction SQLite knows of

    def finish_writing(self) -> None:
        """Wait for the COPY running in the background (PostgreSQL); raises its error."""
        if self.pipeline is not None:
            self.pipeline.wait()

    @property
    def writing(self) -> bool:
        """A preview writes everything (it is rolled back) so its counts say what the valid rows would do."""
        return self.partial or self.dry_run or not self.result.problems

    def reject(self, problems: list[RowProblem]) -> None:
        for p in problems:
            self.result.table(p.table).rejected += 1
            key_col = TABLES[p.table].key[0]
            if len(TABLES[p.table].key) == 1 and p.values.get(key_col):
                self.rejected_keys[p.table].add(str(p.values[key_col]).strip())
        self.result.problems.extend(problems)

    def handle(self, chunk: RawChunk) -> None:
        table = TABLES[chunk.table]
        checked = validate(chunk.table, chunk.frame, chunk.lines, self.ctx)
        raw_by_line = _RawRows(chunk)
        self.reject(checked.problems)
        for line, _column, message in checked.warnings:
            self.result.notices.append(f"{chunk.source}, ligne {line} : {message}")
        rows, lines = checked.rows, np.asarray(checked.lines, dtype=np.int64)
        if self.progress:
            self.progress(table.name, len(chunk.lines))
        if rows.empty:
            return
        rows, lines = self._drop_duplicates(table.name, rows, lines, raw_by_line)
        self.finish_writing()  # the previous chunk's COPY: the checks below read the store
        if self.droits.structures is not None:
            rows, lines = self._check_rights(table.name, rows, lines, raw_by_line)
        rows, lines = self._check_references(table.name, rows, lines, raw_by_line)
        if "referent" in rows.columns:
            rows, lines = self._check_referents(table.name, rows, lines, raw_by_line)
        if rows.empty:
            return
        if self.writing:
            rows = self._write(table.name, rows, lines, raw_by_line)
        self.accepted[table.name].add(_KeySet.hashes(rows[list(table.key)]))

    def _write(self, name: str, rows: pd.DataFrame, lines: np.ndarray, raw_by_line) -> pd.DataFrame:
        """Upsert the rows; with --partial, the rows the database refuses are rejected, the others kept.

        All-or-nothing: a database error ends the import (import_paths rolls everything back).
        Partial: the chunk is written in a savepoint; if the database refuses it, the savepoint is
        rolled back and the chunk is halved until the refused rows are alone. Returns the rows kept.
        """
        if not self.partial:
            self._upsert(name, rows)
            return rows
        counts = self.result.table(name)
        before = vars(counts).copy()
        savepoint = self.conn.begin_nested()
        try:
            self._upsert(name, rows)
            savepoint.commit()
            return rows
        except DATABASE_ERRORS as exc:
            savepoint.rollback()
            vars(counts).update(before)
            if not refused_row(exc):
                raise
            if len(rows) == 1:
                self._bad(name, lines, np.ones(1, dtype=bool), "", [database_message(exc)], raw_by_line)
                return rows.iloc[:0]
        half = len(rows) // 2
        kept = [
            self._write(name, part.reset_index(drop=True), part_lines, raw_by_line)
            for part, part_lines in ((rows.iloc[:half], lines[:half]), (rows.iloc[half:], lines[half:]))
        ]
        return pd.concat(kept, ignore_index=True)

    def _bad(self, table: str, lines: np.ndarray, mask: np.ndarray, column: str, messages, raw_by_line) -> None:
        problems = [
            RowProblem(table, int(line), column, msg, {k: _plain(v) for k, v in raw_by_line[int(line)].items()}, [(column, msg)])
            for line, msg in zip(lines[mask], messages, strict=True)
        ]
        self.reject(problems)

    def _drop_duplicates(self, name, rows, lines, raw_by_line):
        key = list(TABLES[name].key)
        hashes = _KeySet.hashes(rows[key])
        within = pd.Series(hashes).duplicated(keep="first").to_numpy()
        earlier = self.seen[name].contains(hashes)
        dup = within | earlier
        if dup.any():
            first_line = pd.Series(lines).groupby(hashes).transform("first").to_numpy()
            messages = [
                f"clé en double : {', '.join(key)} déjà présent(e) ligne {fl} du fichier." if w else
                f"clé en double : {', '.join(key)} déjà présent(e) plus haut dans l'import."
                for w, fl in zip(within[dup], first_line[dup], strict=True)
            ]
            self._bad(name, lines, dup, key[0], messages, raw_by_line)
        self.seen[name].add(hashes[~within])
        return rows.loc[~dup].reset_index(drop=True), lines[~dup]

    def _check_rights(self, name, rows, lines, raw_by_line):
        """Rows of another structure, or that would take over another structure's keys, are refused."""
        allowed = self.droits.structures
        if "code_structure" in rows.columns:
            outside = ~rows["code_structure"].isin(list(allowed)).to_numpy()
            message = "structure hors de votre périmètre : vous ne pouvez importer que pour votre structure."
            self._bad(name, lines, outside, "code_structure", [message] * int(outside.sum()), raw_by_line)
            rows, lines = rows.loc[~outside].reset_index(drop=True), lines[~outside]
        if name == "structures" or rows.empty:
            return rows, lines
        key = list(TABLES[name].key)
        existing = store.existing_rows(self.conn, name, rows[key])
        if existing.empty:
            return rows, lines
        if "code_structure" in existing.columns:
            owners = dict(zip(existing[key[0]], existing["code_structure"], strict=True))
        else:
            of_jeune = store.jeunes_structures(self.conn, existing["id_jeune"])
            owners = {k: of_jeune.get(j) for k, j in zip(existing[key[0]], existing["id_jeune"], strict=True)}
        foreign = rows[key[0]].map(lambda k: k in owners and owners[k] not in allowed).to_numpy(dtype=bool)
        message = REFUSED_KEY
        self._bad(name, lines, foreign, key[0], [message] * int(foreign.sum()), raw_by_line)
        return rows.loc[~foreign].reset_index(drop=True), lines[~foreign]

    def _check_references(self, name, rows, lines, raw_by_line):
        for ref in TABLES[name].references:
            values = rows[ref.column].astype(str)
            frame = pd.DataFrame({TABLES[ref.table].key[0]: values})
            in_import = self.accepted[ref.table].contains(_KeySet.hashes(frame))
            to_look_up = values[~in_import].unique().tolist()
            structures = self.droits.structures if ref.table == "jeunes" else None
            stored = (
                store.existing_keys(self.conn, ref.table, TABLES[ref.table].key[0], to_look_up, structures)
                if to_look_up
                else set()
            )
            if stored:
                self.accepted[ref.table].add(_KeySet.hashes(pd.DataFrame({TABLES[ref.table].key[0]: sorted(stored)})))
            missing = (~in_import) & ~values.isin(stored).to_numpy()
            if missing.any():
                messages = [
                    f"{ref.message} « {v} » : rejeté(e) plus haut dans cet import."
                    if v in self.rejected_keys[ref.table]
                    else f"{ref.message} « {v} » : absent(e) de la base et de ce fichier ; importez d'abord la table {ref.table}."
                    for v in values[missing]
                ]
                self._bad(name, lines, missing, ref.column, messages, raw_by_line)
                rows, lines = rows.loc[~missing].reset_index(drop=True), lines[~missing]
        return rows, lines

    def _check_referents(self, name, rows, lines, raw_by_line):
        """A referent must be an account of the jeune's structure (`accounts.referent_refuse`), checked on the rows
        that set or change it: a row exported with a referent whose account was deleted since imports back.

        The jeune's structure is read from the store, where this import's earlier jeunes are too (written as they
        come, also in a preview). In all-or-nothing mode after a first rejection nothing is written any more, and a
        jeune of this import is not found: its referent is not checked — the import is refused anyway."""
        named = rows["referent"].notna().to_numpy(dtype=bool)
        if not named.any():
            return rows, lines
        key = TABLES[name].key[0]
        stored = store.existing_rows(self.conn, name, rows.loc[named, [key]])
        before = dict(zip(stored[key], stored["referent"], strict=True))
        structures = store.jeunes_structures(self.conn, rows.loc[named, "id_jeune"])
        refused = np.zeros(len(rows), dtype=bool)
        messages = []
        for pos in np.flatnonzero(named):
            referent, ident = rows["referent"].iat[pos], rows["id_jeune"].iat[pos]
            structure = structures.get(ident)
            if structure is None or before.get(rows[key].iat[pos]) == referent:
                continue
            message = accounts.referent_refuse(self.conn, referent, structure, self.referents)
            if message:
                refused[pos] = True
                messages.append(message)
        if refused.any():
            self._bad(name, lines, refused, "referent", messages, raw_by_line)
            rows, lines = rows.loc[~refused].reset_index(drop=True), lines[~refused]
        return rows, lines

    def _upsert(self, name: str, rows: pd.DataFrame) -> None:
        counts = self.result.table(name)
        spec = TABLES[name]
        if self.empty_at_start[name]:
            counts.inserted += store.insert_rows(self.conn, name, rows, self.pipeline)
            return
        key = list(spec.key)
        existing = store.existing_rows(self.conn, name, rows[key])
        if existing.empty:
            counts.inserted += store.insert_rows(self.conn, name, rows, self.pipeline)
            return
        new_text = to_text(name, rows)
        old_text = to_text(name, existing)
        merged = new_text.merge(old_text, on=key, how="left", suffixes=("", "__old"), indicator=True)
        is_new = (merged["_merge"] == "left_only").to_numpy()
        others = [c for c in spec.column_names if c not in key]
        changed = np.zeros(len(merged), dtype=bool)
        for c in others:
            changed |= (merged[c] != merged[f"{c}__old"]).to_numpy()
        changed &= ~is_new
        counts.inserted += store.insert_rows(self.conn, name, rows.loc[is_new])
        counts.updated += store.update_rows(self.conn, name, rows.loc[changed])
        counts.unchanged += int((~is_new & ~changed).sum())
        self._audit_changes(name, merged.loc[changed], others)

    def _audit_changes(self, name: str, merged: pd.DataFrame, others: list[str]) -> None:
        """One audit entry per overwritten row: its key and, compactly, the columns that changed, before
        and after. Keyed like the forms' entries (a jeune's rows by id_jeune), so the young person's
        history shows what an import changed, next to the conseillers' edits."""
        if merged.empty:
            return
        key = list(TABLES[name].key)
        entries = []
        for row in merged.to_dict("records"):
            diff = [c for c in others if row[c] != row[f"{c}__old"]]
            ident = {k: row[k] for k in key}
            avant = {**ident, **{c: _audit_value(row[f"{c}__old"]) for c in diff}}
            apres = {**ident, **{c: _audit_value(row[c]) for c in diff}}
            cle = row["id_jeune"] if "id_jeune" in row else ", ".join(str(row[k]) for k in key)
            entries.append({"cle": cle, "avant": avant, "apres": apres})
        audit.record_many(self.conn, self.author, "update", name, entries, detail=f"import {self.label}".strip())


def _plain(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _audit_value(text):
    """A value of the exchange format's text (the formula guard of the export undone), None when empty."""
    if text is None or text == "" or (isinstance(text, float) and np.isnan(text)):
        return None
    text = str(text)
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "'") else text


REFUSED_KEY = "identifiant refusé : il ne peut pas être utilisé pour votre structure ; choisissez-en un autre."

try:  # the raw errors of the drivers, raised past SQLAlchemy by executemany and COPY
    from psycopg import Error as _PsycopgError
except ImportError:  # pragma: no cover - PostgreSQL support not installed
    _PsycopgError = sqlite3.Error
DATABASE_ERRORS = (SQLAlchemyError, sqlite3.Error, _PsycopgError, OverflowError)


def refused_row(exc: BaseException) -> bool:
    """An error about the values of the rows written (a CHECK, a key, a number out of range), not about
    the database itself (locked, unreachable, disk full)."""
    inner = getattr(exc, "orig", None) or exc
    if isinstance(inner, OverflowError | sqlite3.IntegrityError | sqlite3.DataError):
        return True
    sqlstate = getattr(inner, "sqlstate", None) or ""
    return sqlstate.startswith(("22", "23"))  # PostgreSQL: data exception, integrity constraint violation


def database_message(exc: BaseException) -> str:
    """A French sentence for a value the database refused (never the driver's English)."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner)
    constraint = next((w.strip('"\'') for w in text.replace(":", " ").split() if w.strip('"\'').startswith("ck_")), None)
    if constraint:
        return f"valeur refusée par une règle de la base de données ({constraint})."
    sqlstate = getattr(inner, "sqlstate", None) or ""
    if isinstance(inner, OverflowError) or sqlstate == "22003":
        return "nombre hors des bornes admises par la base de données."
    if isinstance(inner, sqlite3.IntegrityError) or sqlstate.startswith("23"):
        return "ligne refusée par une règle de la base de données (clé, référence ou contrainte)."
    return "valeur refusée par la base de données."


def import_paths(
    engine: Engine,
    paths: list[Path],
    *,
    partial: bool = False,
    today: dt.date | None = None,
    author: str = "cli",
    progress: Progress | None = None,
    droits: DroitsImport = TOUT,
    dry_run: bool = False,
    keep_dataset: bool = False,
) -> ImportResult:
    """Import files, folders, workbooks or zips of the exchange format; never raises for bad input.

    `droits` limits the tables and structures the import may touch (the account's rights).
    `dry_run` does everything in a transaction that is rolled back: the counts say what an
    import would insert, update and reject (the preview of the import page).
    """
    result = ImportResult()
    try:
        sources, notices = discover([Path(p) for p in paths])
    except FileError as exc:
        result.errors.append(str(exc))
        return result
    refused = sorted({s.table for s in sources} - droits.tables)
    if refused:
        result.errors.append(f"Votre rôle ne permet pas d'importer : {', '.join(refused)}. Rien n'a été importé.")
        return result
    result.notices.extend(notices)
    ctx = Context(today=today or store.today())
    with engine.connect() as conn:
        tx = conn.begin()
        run = None
        try:
            label = ", ".join(Path(p).name for p in paths)
            run = _Run(conn, ctx, partial, result, progress, droits, dry_run, author, label)
            for source in sources:
                result.table(source.table)
                try:
                    for item in read_source(source, result.notices):
                        if isinstance(item, RowProblem):
                            run.reject([item])
                        else:
                            run.handle(item)
                except EmptyTable as exc:
                    result.notices.append(str(exc))
            run.finish_writing()
            keep = not result.errors and (partial or not result.problems)
            wrote = any(c.inserted or c.updated for c in result.counts.values())
            if dry_run:
                tx.rollback()
            elif keep and wrote:
                store.bump_data_version(conn)
                if not keep_dataset:  # the demo's own imports keep its mark (ui/demo.py); any other clears it
                    store.set_setting(conn, store.DATASET, "importé")  # no longer the demo data set alone
                _audit(conn, author, paths, result)
                tx.commit()
                result.written = True
            else:
                tx.rollback()
                if not keep:
                    for counts in result.counts.values():
                        counts.inserted = counts.updated = counts.unchanged = 0
        except (FileError, *DATABASE_ERRORS) as exc:
            _settle(run)
            tx.rollback()
            result.errors.append(str(exc) if isinstance(exc, FileError) else _database_failure(exc))
            result.written = False
            for counts in result.counts.values():
                counts.inserted = counts.updated = counts.unchanged = 0
        except BaseException:
            _settle(run)
            tx.rollback()
            raise
    return result


def _database_failure(exc: BaseException) -> str:
    if refused_row(exc):
        return (
            f"la base de données a refusé une ligne : {database_message(exc)} Rien n'a été importé "
            "(relancez avec l'option d'import partiel pour garder les autres lignes)."
        )
    return "la base de données est inaccessible ou a refusé l'écriture ; rien n'a été importé. Réessayez plus tard."


def _settle(run: _Run | None) -> None:
    """Before a rollback: let a background COPY end (its own error no longer matters)."""
    if run is not None:
        with contextlib.suppress(Exception):
            run.finish_writing()


def record_report_download(conn: Connection, author: str, problems: list[RowProblem]) -> None:
    """The report of the rejected rows holds their values: handing it over is an export, audited."""
    tables = sorted({p.table for p in problems})
    audit.record(
        conn,
        author,
        "export",
        ", ".join(tables) or "*",
        cle="rapport des lignes refusées",
        apres={t: sum(p.table == t for p in problems) for t in tables},
        detail=f"{len(problems)} ligne(s) refusée(s) téléchargée(s)",
    )


def _audit(conn: Connection, author: str, paths, result: ImportResult) -> None:
    audit.record(
        conn,
        author,
        "import",
        "*",
        cle=", ".join(Path(p).name for p in paths),
        apres={t: vars(c) for t, c in result.counts.items()},
        detail=f"{result.rejected} ligne(s) rejetée(s)" if result.problems else None,
    )
