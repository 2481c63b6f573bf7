"""Reading exchange-format files into chunks of raw text rows.

Everything about bytes lives here: encodings, separators, `.xlsx` sheets, `.zip`
members, folders, header matching. What comes out is text in the format's column
names, with the line number of every row, so that validation speaks of lines the
user can find in their file. Nothing is read whole into memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import IO

import pandas as pd

from mlimpact.exchange.schema import TABLES, Table

CHUNK_ROWS = 50_000
_BLOCK = 1 << 20
# Bounds on what a file may hold, checked before anything is read whole (docs/robustness.md).
MAX_LINE = 64 * 1024  # bytes of one line (so characters of one field): a row of the format is a few hundred
MAX_MEMBERS = 100  # files in a .zip, an .xlsx or a folder: the format has six tables
MAX_UNCOMPRESSED = 4 << 30  # bytes once decompressed, for a whole archive
MAX_RATIO = 200  # decompressed / compressed size of a member over MIN_RATIO_CHECK: a zip bomb beyond
MIN_RATIO_CHECK = 1 << 20
csv.field_size_limit(MAX_LINE)


class FileError(Exception):
    """A file that cannot be read at all (French message, exit status 2)."""


@dataclass
class RowProblem:
    """One rejected row: where it is, what is wrong, and its original values."""

    table: str
    line: int
    column: str
    message: str
    values: dict[str, str | None] = field(default_factory=dict)
    issues: list[tuple[str, str]] = field(default_factory=list)  # (column, message) for forms

    def __str__(self) -> str:
        col = f", colonne « {self.column} »" if self.column else ""
        return f"{self.table}, ligne {self.line}{col} : {self.message}"


@dataclass
class RawChunk:
    """Rows of one table as text, with their line numbers in the source."""

    table: str
    source: str
    lines: list[int]
    frame: pd.DataFrame  # one column per known column present in the header, values str or None


@dataclass
class Source:
    """One table's data in one file (a CSV, a sheet, a zip member)."""

    table: str
    name: str
    kind: str  # "csv" or "xlsx"
    open_bytes: Callable[[], IO[bytes]] | None = None
    sheet: str | None = None
    workbook_path: Callable[[], IO[bytes]] | None = None


def normalise_name(text: str) -> str:
    """Lower-case, accent-free, underscores: how headers and file names are matched."""
    text = unicodedata.normalize("NFKD", str(text).replace("\ufeff", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def table_for_name(stem: str) -> str | None:
    """The table a file or sheet name designates: `jalons`, `jalons_2026-10`, `rejets_jalons`…"""
    name = normalise_name(stem)
    for table in TABLES:
        if name == table or name.startswith(table + "_") or name.endswith("_" + table):
            return table
    return None


def table_for_header(header: list[str]) -> str | None:
    """The table whose key columns all appear in a header (for files named otherwise)."""
    names = {normalise_name(h) for h in header}
    best, best_score = None, 0
    for table in TABLES.values():
        if set(table.key) <= names:
            score = len(names & set(table.column_names))
            if score > best_score:
                best, best_score = table.name, score
    return best


# --- discovering sources ---------------------------------------------------------------
def discover(paths: list[Path]) -> tuple[list[Source], list[str]]:
    """The sources found in files, folders and zips, in the dependency order of tables.

    Raises FileError for a path that is missing or of an unknown kind.
    """
    sources: list[Source] = []
    notices: list[str] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise FileError(f"{path} : fichier ou dossier introuvable.")
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx", ".zip"))
            if not found:
                raise FileError(f"{path} : aucun fichier .csv, .xlsx ou .zip dans ce dossier.")
            if len(found) > MAX_MEMBERS:
                raise FileError(f"{path} : {len(found)} fichiers dans ce dossier ; {MAX_MEMBERS} au plus sont acceptés.")
            for p in found:
                s, n = _discover_file(p)
                sources += s
                notices += n
        else:
            s, n = _discover_file(path)
            sources += s
            notices += n
    order = list(TABLES)
    sources.sort(key=lambda s: order.index(s.table))
    return sources, notices


def _discover_file(path: Path) -> tuple[list[Source], list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [_csv_source(path.name, lambda: open(path, "rb"))], []
    if suffix == ".xlsx":
        return _xlsx_sources(path.name, lambda: open(path, "rb"))
    if suffix == ".zip":
        return _zip_sources(path)
    raise FileError(f"{path.name} : format non reconnu. Formats acceptés : .csv, .xlsx, .zip ou un dossier.")


def _csv_source(name: str, opener: Callable[[], IO[bytes]]) -> Source:
    table = table_for_name(PurePath(name).stem)
    if table is None:
        # Named otherwise: let the header say which table it is.
        header = _peek_header(name, opener)
        table = table_for_header(header)
        if table is None:
            raise FileError(
                f"{name} : impossible de savoir quelle table contient ce fichier. Nommez-le d'après la table "
                f"({', '.join(t + '.csv' for t in TABLES)}) ou gardez ses colonnes d'identifiant."
            )
    return Source(table=table, name=name, kind="csv", open_bytes=opener)


def _xlsx_sources(name: str, opener: Callable[[], IO[bytes]]) -> tuple[list[Source], list[str]]:
    from openpyxl import load_workbook

    try:
        with opener() as fh, zipfile.ZipFile(fh) as zf:
            check_archive(name, zf)
        with opener() as fh:
            wb = load_workbook(fh, read_only=True, data_only=True)
            sheets = list(wb.sheetnames)
            wb.close()
    except FileError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise FileError(f"{name} : classeur Excel illisible ou endommagé ; enregistrez-le à nouveau au format .xlsx.") from None
    sources, notices = [], []
    for sheet in sheets:
        table = table_for_name(sheet)
        if table is None:
            notices.append(f"{name} : la feuille « {sheet} » ne correspond à aucune table ; elle est ignorée.")
            continue
        sources.append(Source(table=table, name=f"{name} [{sheet}]", kind="xlsx", sheet=sheet, workbook_path=opener))
    if not sources:
        raise FileError(f"{name} : aucune feuille ne porte le nom d'une table ({', '.join(TABLES)}).")
    return sources, notices


def check_archive(name: str, zf: zipfile.ZipFile) -> None:
    """Refuse an archive (.zip or .xlsx) whose size once decompressed is out of bounds, before reading it."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise FileError(
            f"{name} : l'archive contient {len(infos)} fichiers ; {MAX_MEMBERS} au plus sont acceptés. "
            "Regroupez les lignes d'une même table dans un seul fichier."
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise FileError(f"{name} : l'archive décompressée dépasserait {MAX_UNCOMPRESSED >> 30} Gio ; découpez l'import.")
    for info in infos:
        if info.file_size > MIN_RATIO_CHECK and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise FileError(
                f"{name} : le fichier {info.filename} de l'archive se décompresse {info.file_size // max(info.compress_size, 1)} fois "
                "plus gros qu'il n'est compressé : archive refusée (bombe de décompression ?)."
            )


def _zip_sources(path: Path) -> tuple[list[Source], list[str]]:
    try:
        with zipfile.ZipFile(path) as zf:
            check_archive(path.name, zf)
            members = [m for m in zf.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise FileError(f"{path.name} : archive .zip illisible ou tronquée.") from None
    # A damaged member is found when it is read (its CRC is checked at its end, before any row is used):
    # no pass over the whole archive beforehand.
    sources, notices = [], []
    for member in members:
        opener = _zip_opener(path, member.filename)
        label = f"{path.name}/{member.filename}"
        suffix = PurePath(member.filename).suffix.lower()
        if suffix == ".csv":
            sources.append(_csv_source(label, opener))
        elif suffix == ".xlsx":
            s, n = _xlsx_sources(label, opener)
            sources += s
            notices += n
        else:
            notices.append(f"{label} : ni .csv ni .xlsx ; ignoré.")
    if not sources:
        raise FileError(f"{path.name} : l'archive ne contient aucun fichier .csv ou .xlsx.")
    return sources, notices


def _zip_opener(path: Path, member: str) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        zf = zipfile.ZipFile(path)
        raw = zf.open(member)
        raw_close = raw.close

        def close() -> None:
            raw_close()
            zf.close()

        raw.close = close  # type: ignore[method-assign]
        return raw

    return opener


# --- CSV ---------------------------------------------------------------------------------------
def detect_encoding(name: str, opener: Callable[[], IO[bytes]]) -> str:
    """UTF-8 (with or without BOM) or Windows-1252, checked over the whole file in blocks."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252_ok, utf8_ok, size = True, True, 0
    cp = codecs.getincrementaldecoder("cp1252")()
    run, line = 0, 1  # bytes since the last line break, and its line number
    try:
        with opener() as fh:
            while block := fh.read(_BLOCK):
                size += len(block)
                if b"\x00" in block:
                    raise FileError(f"{name} : fichier binaire (octets nuls) ; un fichier CSV en texte est attendu.")
                run, line = _check_line_lengths(name, block, run, line)
                if utf8_ok:
                    try:
                        utf8.decode(block)
                    except UnicodeDecodeError:
                        utf8_ok = False
                if cp1252_ok:  # checked on every block: UTF-8 may only fail at the very end
                    try:
                        cp.decode(block)
                    except UnicodeDecodeError:
                        cp1252_ok = False
            if utf8_ok:
                try:
                    utf8.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8_ok = False
    except (zipfile.BadZipFile, EOFError, zlib.error):
        raise FileError(f"{name} : fichier endommagé dans l'archive (données tronquées ou somme de contrôle fausse).") from None
    except OSError as exc:
        raise FileError(f"{name} : lecture impossible ({exc.strerror or 'erreur du système de fichiers'}).") from None
    if size == 0:
        raise FileError(f"{name} : fichier vide.")
    if utf8_ok:
        return "utf-8-sig"
    if cp1252_ok:
        return "cp1252"
    raise FileError(f"{name} : encodage non reconnu ; enregistrez le fichier en UTF-8 ou en Windows-1252.")


def _check_line_lengths(name: str, block: bytes, run: int, line: int) -> tuple[int, int]:
    """Refuse a line longer than MAX_LINE as soon as it is seen (a 1 GiB line is never held whole)."""
    pieces = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    longest = max(run + len(pieces[0]), max(map(len, pieces[1:]), default=0))
    if longest > MAX_LINE:
        at = line if run + len(pieces[0]) == longest else line + next(i for i, p in enumerate(pieces) if len(p) == longest)
        raise FileError(
            f"{name}, ligne {at} : ligne trop longue (plus de {MAX_LINE // 1024} Kio) ; "
            + "un fichier du format d'échange a des lignes de quelques centaines de caractères. "
            "Un guillemet n'est peut-être pas fermé, ou ce n'est pas un fichier CSV."
        )
    run = run + len(pieces[0]) if len(pieces) == 1 else len(pieces[-1])
    return run, line + len(pieces) - 1


def _text(name: str, opener: Callable[[], IO[bytes]], encoding: str) -> IO[str]:
    return io.TextIOWrapper(opener(), encoding=encoding, newline="")


def _peek_header(name: str, opener: Callable[[], IO[bytes]]) -> list[str]:
    encoding = detect_encoding(name, opener)
    with _text(name, opener, encoding) as fh:
        first = fh.readline(MAX_LINE + 1)
    return _parse_header(name, first)


def _parse_header(name: str, first: str) -> list[str]:
    try:
        return next(csv.reader([first], delimiter=_separator(first)), [])
    except csv.Error as exc:
        raise FileError(f"{name}, ligne 1 : en-tête illisible ({_csv_error(exc)}).") from None


def _csv_error(exc: csv.Error) -> str:
    """The csv module's English reason, in French."""
    text = str(exc)
    if "field larger than field limit" in text:
        return f"champ trop long, plus de {MAX_LINE // 1024} Kio"
    if "unexpected end of data" in text or "EOF" in text:
        return "fin de fichier au milieu d'un champ entre guillemets"
    if "expected" in text and "after" in text:
        return "caractère inattendu après un guillemet fermant"
    if "new-line character seen in unquoted field" in text:
        return "saut de ligne inattendu"
    return "format CSV invalide"


def _separator(header_line: str) -> str:
    return "," if header_line.count(",") > header_line.count(";") else ";"


def _map_header(source: Source, table: Table, header: list[str]) -> tuple[list[str | None], list[str]]:
    """Canonical name per header position (None: ignored), and the notices to give once."""
    known = set(table.column_names)
    mapped: list[str | None] = []
    notices, seen = [], set()
    for h in header:
        name = normalise_name(h)
        if name in known and name not in seen:
            mapped.append(name)
            seen.add(name)
        else:
            mapped.append(None)
            if name in seen:
                notices.append(f"{source.name} : la colonne « {h} » apparaît deux fois ; seule la première est lue.")
            elif name:
                notices.append(f"{source.name} : colonne inconnue « {h} » ignorée.")
    missing = [c.name for c in table.columns if c.required and c.name not in seen]
    if missing:
        raise FileError(
            f"{source.name} : colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}. "
            f"En-tête attendu : {';'.join(table.column_names)}."
        )
    return mapped, notices


def read_source(source: Source, notices: list[str], chunk_rows: int | None = None) -> Iterator[RawChunk | RowProblem]:
    """Chunks of rows (and rows rejected for their shape) of one source."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    if source.kind == "xlsx":
        yield from _read_xlsx(source, notices, chunk_rows)
    else:
        yield from _read_csv(source, notices, chunk_rows)


def _read_csv(source: Source, notices: list[str], chunk_rows: int) -> Iterator[RawChunk | RowProblem]:
    assert source.open_bytes is not None
    encoding = detect_encoding(source.name, source.open_bytes)
    table = TABLES[source.table]
    with _text(source.name, source.open_bytes, encoding) as fh:
        first = fh.readline(MAX_LINE + 1)
        if not first.strip():
            raise FileError(f"{source.name} : la première ligne doit être l'en-tête des colonnes ; elle est vide.")
        sep = _separator(first)
        header = _parse_header(source.name, first)
        mapped, header_notices = _map_header(source, table, header)
        notices.extend(header_notices)
        reader = csv.reader(fh, delimiter=sep, strict=True)
        yield from _chunks(source, table, header, mapped, _csv_rows(source, reader), chunk_rows)


def _csv_rows(source: Source, reader) -> Iterator[tuple[int, list[str]]]:
    last = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileError(
                f"{source.name}, ligne {last + 1} : ligne illisible ({_csv_error(exc)}) ; "
                "un guillemet n'est peut-être pas fermé, ou le fichier est tronqué."
            ) from None
        last = reader.line_num + 1
        yield reader.line_num + 1, row


def _read_xlsx(source: Source, notices: list[str], chunk_rows: int) -> Iterator[RawChunk | RowProblem]:
    from openpyxl import load_workbook

    assert source.workbook_path is not None
    table = TABLES[source.table]
    with source.workbook_path() as fh, source.workbook_path() as fh_formulas:
        try:
            wb = load_workbook(fh, read_only=True, data_only=True)
            rows = wb[source.sheet].iter_rows(values_only=True)
            header_cells = next(rows, None)
            # The same sheet with its formulas: a formula cell whose value was never computed and saved
            # (a workbook written by a program, not by Excel) reads as empty above; it must not pass as empty.
            wbf = load_workbook(fh_formulas, read_only=True, data_only=False)
            formulas = wbf[source.sheet].iter_rows(values_only=True)
            next(formulas, None)
        except Exception:
            raise FileError(f"{source.name} : feuille illisible ; enregistrez le classeur à nouveau au format .xlsx.") from None
        if header_cells is None:
            raise FileError(f"{source.name} : feuille vide.")
        header = [_cell_text(c) or "" for c in header_cells]
        while header and not header[-1]:
            header.pop()
        mapped, header_notices = _map_header(source, table, header)
        notices.extend(header_notices)

        def numbered() -> Iterator[tuple[int, list[str]] | RowProblem]:
            for line, cells in enumerate(rows, start=2):
                written = next(formulas, ())
                values = [_cell_text(c) or "" for c in cells]
                while len(values) > len(header) and not values[-1]:
                    values.pop()
                uncomputed = [
                    i for i, (value, formula) in enumerate(zip(cells, written, strict=False))
                    if value is None and isinstance(formula, str) and formula.startswith("=") and i < len(mapped) and mapped[i]
                ]
                if uncomputed:
                    issues = [(mapped[i], FORMULA_WITHOUT_VALUE) for i in uncomputed]
                    row = {h: (values[i] if i < len(values) else None) for i, h in enumerate(header)}
                    message = " ; ".join(f"{c} : {m}" for c, m in issues)
                    yield RowProblem(table.name, line, issues[0][0], message, row, issues)
                elif any(values):
                    yield line, values

        yield from _chunks(source, table, header, mapped, numbered(), chunk_rows)
        wb.close()
        wbf.close()


FORMULA_WITHOUT_VALUE = (
    "cellule calculée par une formule dont la valeur n'a jamais été enregistrée ; ouvrez le classeur dans "
    "Excel ou LibreOffice et enregistrez-le, ou remplacez la formule par sa valeur."
)


def _cell_text(value) -> str | None:
    """A spreadsheet cell as the text a CSV would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _chunks(
    source: Source,
    table: Table,
    header: list[str],
    mapped: list[str | None],
    rows: Iterator[tuple[int, list[str]] | RowProblem],
    chunk_rows: int,
) -> Iterator[RawChunk | RowProblem]:
    width = len(header)
    keep = [i for i, name in enumerate(mapped) if name is not None]
    names = [mapped[i] for i in keep]
    lines: list[int] = []
    data: list[list[str]] = []
    any_row = False
    for item in rows:
        if isinstance(item, RowProblem):
            any_row = True
            yield item
            continue
        line, row = item
        if len(row) == 0 or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        any_row = True
        if len(row) != width:
            values = {h: (row[i] if i < len(row) else None) for i, h in enumerate(header)}
            if len(row) > width:
                msg = f"{len(row)} champs au lieu de {width} : séparateur en trop ou guillemets manquants."
            else:
                msg = f"{len(row)} champs au lieu de {width} : ligne incomplète (fichier tronqué ?)."
            yield RowProblem(table.name, line, "", msg, values)
            continue
        lines.append(line)
        data.append([row[i] for i in keep])
        if len(data) >= chunk_rows:
            yield RawChunk(table.name, source.name, lines, pd.DataFrame(data, columns=names, dtype=object))
            lines, data = [], []
    if data:
        yield RawChunk(table.name, source.name, lines, pd.DataFrame(data, columns=names, dtype=object))
    if not any_row:
        raise EmptyTable(f"{source.name} : le fichier ne contient que l'en-tête, aucune ligne à importer.")


class EmptyTable(Exception):
    """A table with a header and no rows: reported, not fatal."""
