"""The file host: :class:`FileBook`, the :class:`~icp_xl.workbook.book.Book` interface over
an ``.xlsx`` file treated as the package it is (headless CLI, CI, tests).

- **Read**: cell values with python-calamine, one sheet at a time, only the sheets asked
  for (:mod:`icp_xl.hosts.file.sheet_values`); names and tables from the package's small
  parts (:mod:`icp_xl.hosts.file.package_index`).
- **Write**: only what the product owns. Actions' writes are kept as layers per sheet
  (:mod:`icp_xl.hosts.file.sheet_edits`); :meth:`FileBook.save` streams the ``sheetData`` of
  the sheets written (:mod:`icp_xl.hosts.file.sheet_writer`), resizes the tables written
  (:mod:`icp_xl.hosts.file.table_xml`), adds number-format styles where needed
  (:mod:`icp_xl.hosts.file.styles_xml`), sets ``fullCalcOnLoad``, drops ``calcChain.xml``
  when a formula cell changed, and copies every other part byte for byte
  (:mod:`icp_xl.hosts.file.package_writer`), atomically.
- **Structure** (a new workbook, a missing output sheet, table or name) is built with
  openpyxl (:mod:`icp_xl.hosts.file.structure`); a rebuild is refused when the package holds
  content openpyxl would lose (:func:`foreign_content`).
"""

from __future__ import annotations

import io
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.cells import (
    cell_ref,
    parse_cell,
    parse_range,
    range_ref,
    table_data_ref,
    table_frame,
)
from icp_xl.files.atomic import FileStamp, atomic_write
from icp_xl.files.memory import release_free_memory
from icp_xl.files.outputs import same_file
from icp_xl.files.snapshot import Snapshot
from icp_xl.files.xlsx_package import READ_ERRORS, check_workbook_file, unreadable_workbook
from icp_xl.hosts.file import package
from icp_xl.hosts.file.formula_cells import formula_cells
from icp_xl.hosts.file.package_index import (
    CALC_CHAIN_PART,
    STYLES_PART,
    WORKBOOK_PART,
    PackageIndex,
)
from icp_xl.hosts.file.package_writer import copy_stream, write_package
from icp_xl.hosts.file.part_stream import open_part
from icp_xl.hosts.file.sheet_edits import Cleared, SheetEdits, Values
from icp_xl.hosts.file.sheet_look import fitted_widths_of
from icp_xl.hosts.file.sheet_values import SheetValues
from icp_xl.hosts.file.sheet_writer import rewrite_sheet
from icp_xl.hosts.file.structure_check import MACRO_SUFFIXES, missing_structure
from icp_xl.hosts.file.styles_xml import StyleSheet
from icp_xl.hosts.file.table_xml import resized_table
from icp_xl.workbook import layout
from icp_xl.workbook.blocks import Block, Formula, cell_value, column_cells
from icp_xl.workbook.book import Location, table_columns
from icp_xl.workbook.columns import ColumnRows, as_column

__all__ = [
    "MACRO_SUFFIXES",
    "FileBook",
    "foreign_content",
    "formula_constant",
    "frame_rows",
    "layout_chart_counts",
]

# Formulas that are a constant: read as their value, and replaced by it when a file is
# opened for writing (they need no calculation).
_LITERAL_FLAG = re.compile(r"^=\s*(TRUE|FALSE)\s*(?:\(\s*\))?\s*$", re.IGNORECASE)
_LITERAL_NUMBER = re.compile(r"^=\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*$")
_WHOLE = re.compile(r"^[+-]?\d+$")
_DESTINATION = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?(\d+)$")
_CALC_PR = re.compile(rb"<(\w+:)?calcPr\b[^>]*?/?>")
_BEFORE_CALC_PR = re.compile(
    rb"</(\w+:)?(?:definedNames|externalReferences|functionGroups|sheets)>|"
    rb"<(\w+:)?(?:definedNames|externalReferences|functionGroups)\s*/>"
)


def formula_constant(formula: Any) -> tuple[bool, Any]:
    """``(True, value)`` when ``formula`` is a constant written as a formula (``=TRUE()``,
    ``=FALSE``, ``=0.3``, ``=42``, as LibreOffice saves a boolean it was given), else
    ``(False, None)``. ``=42`` gives the int 42, ``=0.3`` the float 0.3."""
    if not isinstance(formula, str):
        return False, None
    flag = _LITERAL_FLAG.match(formula)
    if flag:
        return True, flag.group(1).upper() == "TRUE"
    number = _LITERAL_NUMBER.match(formula)
    if number:
        text = number.group(1)
        return True, int(text) if _WHOLE.match(text) else float(text)
    return False, None


def _stderr_status(message: str) -> None:
    print(f"icp-xl: {message}", file=sys.stderr)


# From this file size on, opening takes long enough (about 0.3 s at 13,000 accounts,
# 1.5 s at 100,000) to be said in a status line before it starts: the first stage's own
# line would come only once the workbook is read.
SLOW_OPEN_BYTES = 5 << 20


def layout_chart_counts() -> dict[str, int]:
    """Sheet name -> number of charts the layout puts on it."""
    from icp_xl.hosts.file import structure  # openpyxl: loaded only when structure is built

    return structure.layout_chart_counts()


def foreign_content(path: str | Path) -> list[str]:
    """What rebuilding ``path``'s structure with openpyxl would lose (see
    :func:`icp_xl.hosts.file.package.foreign_content`), given the charts the layout makes.
    Only a rebuild needs this; a normal save keeps every part that is not the product's."""
    return package.foreign_content(path, layout_chart_counts())


class FileBook:
    """An ICP workbook file, read and written at the package level.

    Use :meth:`open` for an existing ICP workbook or :meth:`new` for a new one, run
    actions on it, then :meth:`save`. ``status`` receives progress messages (default:
    stderr)."""

    def __init__(
        self,
        source: Path | bytes,
        path: Path | None,
        status: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self._status = status or _stderr_status
        self._stamp: FileStamp | None = None  # the file as it was read (file safety)
        self._snapshot: Snapshot | None = None  # the private copy every read comes from
        self._load(source)

    def _load(self, source: Path | bytes) -> None:
        self._source = source
        try:
            with self._package() as zipped:
                self._index = PackageIndex.read(zipped)
        except zipfile.BadZipFile:
            name = self.path.name if self.path else "The workbook"
            raise IcpError(f"{name} is not an Excel workbook (not a zip package)") from None
        except (*READ_ERRORS, SyntaxError) as error:
            raise unreadable_workbook(self.path or "The workbook", error) from None
        self._values = SheetValues(
            source,
            self.path.name if self.path else "The workbook",
            self._index.titles,
            self._index.sheets,
            self._index.owned_extents(),
        )
        self._edits: dict[str, SheetEdits] = {}
        self._resized: dict[str, list[str]] = {}  # table -> header, for tables written
        self._formulas: dict[str, dict[tuple[int, int], str]] = {}

    # ------------------------------------------------------------ opening and saving

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        for_writing: bool = True,
        status: Callable[[str], None] | None = None,
        rescoring: bool = False,
        outcomes: bool = False,
    ) -> FileBook:
        """Open an ICP workbook. With ``for_writing`` (default): re-create any missing
        output sheet, table or name (with openpyxl, refused when the file holds content
        openpyxl would lose, see :func:`foreign_content`); replace constant formulas
        (``=TRUE()``, ``=0.3``) in the cells actions read by their values and refuse any
        other formula there (:meth:`_settle_input_formulas`); with ``outcomes`` (importing
        opportunities) the optional Outcomes sheets are added too. The input sheets, which every
        action reads, are read on a background thread from the start; with ``rescoring``
        (the caller goes on to rescore) so are the previous Scores the rescore compares
        with, while the accounts are scored."""
        path = Path(path)
        if not path.exists():
            raise IcpError(f"Workbook not found: {path}")
        check_workbook_file(path)  # a folder, an encrypted or oversized file: one sentence
        if path.stat().st_size >= SLOW_OPEN_BYTES:
            (status or _stderr_status)(f"Opening {path.name}")
        snapshot = Snapshot.take(path)  # save() refuses if the file changes meanwhile
        book = cls(snapshot.copy, path, status)
        book._keep(snapshot)
        inputs = sorted(layout.INPUT_SHEETS & set(book._index.sheets))
        previous = []
        if rescoring and layout.SCORES_TABLE.name in book._index.tables:
            from icp_xl.workbook.actions.history import PREVIOUS_RUN_HEADERS

            table = layout.SCORES_TABLE.name
            previous = [(layout.SCORES, book._table_body(table), PREVIOUS_RUN_HEADERS)]
        book._values.prefetch(inputs, previous)
        for sheet in inputs:
            book._values.load(sheet)  # damage is found up front
        if for_writing:
            index = book._index
            missing = missing_structure(
                list(index.sheets), list(index.names), list(index.tables), outcomes
            )
            if missing:
                book._rebuild(missing)
            book._settle_input_formulas()
        release_free_memory()  # the reader thread's pages, freed with the sheets it parsed
        return book

    @classmethod
    def new(cls, accounts: pd.DataFrame, status: Callable[[str], None] | None = None) -> FileBook:
        """A new ICP workbook in memory: every sheet, table and name of the layout with
        default settings, and ``accounts`` (raw cells, the user's headers) in the
        Accounts table."""
        from icp_xl.hosts.file import structure  # openpyxl builds the structure

        book = cls(structure.new_package(), None, status)
        columns = ColumnRows([as_column(accounts[c]) for c in accounts.columns])
        book.write_table(layout.ACCOUNTS_TABLE.name, [str(c) for c in accounts.columns], columns)
        return book

    def save(self, path: str | Path | None = None) -> Path:
        """Write the changed parts into a copy of the package, atomically, at ``path``
        (default: the file it was opened from); every other part is copied unchanged."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("FileBook.save needs a path for a new workbook")
        self._status(f"Saving {target.name}")
        release_free_memory()  # the save starts from the memory the objects still use
        same = self.path is not None and same_file(target, self.path)
        expected = self._stamp if same else None  # refuse if someone changed the file

        def write(temporary: Path) -> None:  # inside atomic_write: its errors are sentences
            with tempfile.TemporaryDirectory(prefix="icp-xl-") as scratch:
                replaced, dropped = self._changed_parts(Path(scratch))
                with self._package() as source:
                    write_package(source, temporary, replaced, dropped)

        atomic_write(target, write, expected=expected)
        self._values.close()
        self.path = target
        snapshot = Snapshot.take(target)
        self._load(snapshot.copy)
        self._keep(snapshot)
        return target

    def _keep(self, snapshot: Snapshot) -> None:
        """Read from ``snapshot`` from now on (the file as it was read), dropping the one
        read before."""
        if self._snapshot is not None:
            self._snapshot.discard()
        self._snapshot = snapshot
        self._stamp = snapshot.stamp

    def _package(self) -> zipfile.ZipFile:
        source = self._source
        return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)

    def _changed_parts(self, scratch: Path) -> tuple[dict[str, Any], frozenset[str]]:
        """The new content of every part the edits change (sheets written to files in
        ``scratch``) and the parts to leave out."""
        replaced: dict[str, Any] = {}
        formulas_changed = False
        with self._package() as source:
            styles = StyleSheet(source.read(STYLES_PART).decode("utf-8"))
            for sheet, edits in self._edits.items():
                part = self._index.sheets[sheet]
                written = scratch / f"sheet{len(replaced)}.xml"
                with open_part(source, part) as old, open(written, "wb") as new:
                    widths = fitted_widths_of(sheet, edits)
                    result = rewrite_sheet(old, new, edits, styles, widths, self._index.date1904)
                formulas_changed |= result.formulas_changed
                replaced[part] = _file_writer(written)
            for name, header in self._resized.items():
                table = self._index.tables[name]
                text = source.read(table.part).decode("utf-8")
                resized = resized_table(text, table.ref, header, table.totals)
                replaced[table.part] = resized.encode("utf-8")
            if styles.changed:
                replaced[STYLES_PART] = styles.text().encode("utf-8")
            workbook = _full_calculation_on_load(source.read(WORKBOOK_PART))
            if workbook is not None:
                replaced[WORKBOOK_PART] = workbook
            dropped: frozenset[str] = frozenset()
            if formulas_changed and CALC_CHAIN_PART in self._index.members:
                dropped = frozenset({CALC_CHAIN_PART})
                for part, text in _without_calc_chain(source).items():
                    replaced[part] = text
        return replaced, dropped

    # ------------------------------------------------------------ Book interface

    def sheet_names(self) -> list[str]:
        return list(self._index.sheets)

    def read_range(self, sheet: str, ref: str) -> list[list[Any]]:
        self._require_sheet(sheet)
        top, left, bottom, right = parse_range(ref)
        grid = self._values.rectangle(sheet, top, left, bottom, right)
        if sheet in layout.INPUT_SHEETS:
            self._formula_values(sheet, top, left, grid)
        edits = self._edits.get(sheet)
        return edits.overlay(top, left, grid) if edits else grid

    def read_name(self, name: str) -> Any:
        location = self.locate(name)
        return self.read_range(location.sheet, location.ref)[0][0]

    def locate(self, name: str) -> Location:
        text = self._index.names.get(name)
        if text is not None:
            match = _DESTINATION.match(text.strip())
            if match is None:
                raise IcpError(f"The name {name} must refer to one cell ({text})")
            sheet = match.group(1).replace("''", "'") if match.group(1) else match.group(2)
            sheet = self._index.sheet_key(sheet)  # any case, as Excel matches sheet names
            return Location(sheet, f"{match.group(3).upper()}{match.group(4)}")
        table = self._index.tables.get(name)
        if table is not None:
            return Location(table.sheet, table.ref)
        raise IcpError(f"The workbook has no name or table called {name}")

    def read_table(self, table: str) -> pd.DataFrame:
        location = self._table_location(table)
        if self._reads_columns(location.sheet):
            top, left, bottom, right = ref = self._table_body(table)
            found = self._values.table_columns(location.sheet, ref, None)
            if len(found) == right - left + 1:  # no header twice: each column by its name
                return _frame(found)
        totals = self._index.tables[table].totals
        return table_frame(self.read_range(location.sheet, table_data_ref(location.ref, totals)))

    def _reads_columns(self, sheet: str) -> bool:
        """Whether a table on ``sheet`` is read a column at a time: not on an input sheet
        (whose formula cells read as their constants) nor on a sheet written since."""
        edits = self._edits.get(sheet)
        return sheet not in layout.INPUT_SHEETS and (edits is None or not edits.layers)

    def read_table_columns(self, table: str, headers: Sequence[str]) -> pd.DataFrame:
        location = self._table_location(table)
        if not self._reads_columns(location.sheet):
            return table_columns(self.read_table(table), headers)  # formulas or edits apply
        found = self._values.table_columns(location.sheet, self._table_body(table), headers)
        return table_columns(_frame(found), headers)

    def _table_body(self, table: str) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) of the table's header row and body (no Total Row)."""
        spec = self._index.tables[table]
        return parse_range(table_data_ref(spec.ref, spec.totals))

    def write_block(self, block: Block) -> None:
        self._require_sheet(block.sheet)
        top, left = parse_cell(block.top_left)
        rows = [[_text_safe(v) for v in row] for row in block.rows]
        self._sheet_edits(block.sheet).add(Values(top, left, rows))

    def write_table(self, table: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        location = self._table_location(table)
        top, left, old_bottom, old_right = parse_range(location.ref)
        spec = self._index.tables[table]
        total_rows = self._total_rows(table, [str(h) for h in header])
        width = len(header)
        bottom = top + max(len(rows), 1)
        right = left + width - 1
        edits = self._sheet_edits(location.sheet)
        if old_bottom > bottom:
            edits.add(Cleared(bottom + 1, left, old_bottom, old_right))
        if old_right > right:
            edits.add(Cleared(top, right + 1, min(old_bottom, bottom), old_right))
        edits.add(Values(top, left, [[str(h) for h in header]]))
        body = rows if rows else [[None] * width]  # values; the sheet writer converts others
        formats = layout.table_number_formats(table, header)
        edits.add(Values(top + 1, left, body, formats=formats, table_body=True))
        if total_rows:
            edits.add(Values(bottom + 1, left, total_rows))
        spec.ref = range_ref(top, left, bottom + spec.totals, right)
        self._resized[table] = [str(h) for h in header]

    def clear_range(self, sheet: str, ref: str) -> None:
        self._require_sheet(sheet)
        top, left, bottom, right = parse_range(ref)
        self._sheet_edits(sheet).add(Cleared(top, left, bottom, right))

    def set_name(self, name: str, value: Any) -> None:
        location = self.locate(name)
        self._require_sheet(location.sheet)
        row, column = parse_cell(location.ref)
        named = layout.NAMES_BY_NAME.get(name)
        formats = [named.number_format] if named is not None and named.number_format else None
        edits = self._sheet_edits(location.sheet)
        edits.add(Values(row, column, [[_text_safe(cell_value(value))]], formats=formats))

    def status(self, message: str) -> None:
        release_free_memory()  # a new stage: the last one's freed pages go back first
        self._status(message)

    # ------------------------------------------------------------ helpers

    def _require_sheet(self, name: str) -> None:
        if name not in self._index.sheets:
            raise IcpError(f"The workbook has no sheet '{name}'")

    def _sheet_edits(self, sheet: str) -> SheetEdits:
        return self._edits.setdefault(sheet, SheetEdits())

    def _table_location(self, table: str) -> Location:
        found = self._index.tables.get(table)
        if found is not None:
            return Location(found.sheet, found.ref)
        spec = layout.TABLES_BY_NAME.get(table)
        where = f" on sheet '{spec.sheet}'" if spec else ""
        raise IcpError(f"The workbook has no table called {table}{where}")

    def _total_rows(self, table: str, header: list[str]) -> list[list[Any]]:
        """The table's Total Rows as they are to follow a body with columns ``header``:
        each cell by its column's name (a column no longer there loses its cell), a
        formula as a :class:`Formula` with its last value. Empty without Total Rows."""
        spec = self._index.tables[table]
        if not spec.totals:
            return []
        top, left, bottom, right = parse_range(spec.ref)
        first = bottom - spec.totals + 1
        old_header = self._resized.get(table) or [
            "" if h is None else str(h)
            for h in self._stored_values(spec.sheet, top, left, top, right)[0]
        ]
        cells = self._stored_values(spec.sheet, first, left, bottom, right)
        # moved once already: the rows written then (Formula cells included) are read back
        formulas = self._sheet_formulas(spec.sheet) if table not in self._resized else {}
        moved = []
        for offset, row in enumerate(cells):
            by_name = {}
            for column, (name, value) in enumerate(zip(old_header, row, strict=False)):
                formula = formulas.get((first + offset, left + column))
                by_name.setdefault(name, Formula(formula, value) if formula else value)
            moved.append([by_name.get(name) for name in header])
        return moved

    def _stored_values(
        self, sheet: str, top: int, left: int, bottom: int, right: int
    ) -> list[list[Any]]:
        """A rectangle as stored and written so far: formula cells as their last values."""
        grid = self._values.rectangle(sheet, top, left, bottom, right)
        edits = self._edits.get(sheet)
        return edits.overlay(top, left, grid) if edits else grid

    def _sheet_formulas(self, sheet: str) -> dict[tuple[int, int], str]:
        found = self._formulas.get(sheet)
        if found is None:
            with self._package() as zipped:
                found = formula_cells(zipped, self._index.sheets[sheet])
            self._formulas[sheet] = found
        return found

    def _formula_values(self, sheet: str, top: int, left: int, grid: list[list[Any]]) -> None:
        """Formula cells of an input sheet in ``grid``: the constant a formula spells, else
        the value it was last calculated to (an error when it never was)."""
        formulas = self._sheet_formulas(sheet)
        if not formulas or not grid:
            return
        bottom, right = top + len(grid) - 1, left + len(grid[0]) - 1
        edits = self._edits.get(sheet)
        for (row, column), formula in formulas.items():
            if not (top <= row <= bottom and left <= column <= right):
                continue
            if edits is not None and edits.covers(row, column):
                continue  # written over (a Total Row moved down): what was written is read
            constant, value = formula_constant(formula)
            if constant:
                grid[row - top][column - left] = value
            elif grid[row - top][column - left] is None:
                raise IcpError(
                    f"{sheet}!{cell_ref(row, column)} holds a formula whose value was never "
                    "calculated; open and save the workbook in Excel or LibreOffice, or type a "
                    "value"
                )

    def _input_cells(self) -> Iterator[tuple[str, int, int]]:
        """(sheet, row, column) of every cell actions read: the input named cells (not the
        layout's own formulas such as ``W_Sum``) and the bodies of the input tables."""
        for named in layout.NAMES:
            own_formula = isinstance(named.default, str) and named.default.startswith("=")
            if named.sheet not in layout.INPUT_SHEETS or own_formula:
                continue
            try:
                location = self.locate(named.name)
            except IcpError:
                continue  # missing: the action that reads it says so
            if location.sheet in self._index.sheets:
                yield (location.sheet, *parse_cell(location.ref))
        for table in (layout.ACCOUNTS_TABLE, layout.SIZE_TIERS_TABLE, layout.VERTICAL_TABLE):
            found = self._index.tables.get(table.name)
            if found is None:
                continue
            top, left, bottom, right = parse_range(table_data_ref(found.ref, found.totals))
            for row, column in self._sheet_formulas(found.sheet):
                if top < row <= bottom and left <= column <= right:
                    yield found.sheet, row, column

    def _input_formulas(self) -> Iterator[tuple[str, int, int, str]]:
        """(sheet, row, column, formula) of every formula in the cells actions read."""
        for sheet, row, column in dict.fromkeys(self._input_cells()):
            formula = self._sheet_formulas(sheet).get((row, column))
            if formula is not None:
                yield sheet, row, column, formula

    def input_formula_problems(self) -> list[str]:
        """One sentence per cell actions read that holds a formula other than a constant
        (``Weights!B5``), which every command that writes refuses (see
        :meth:`_settle_input_formulas`): what *validate* lists, all of them."""
        return [
            f"{sheet}!{cell_ref(row, column)} holds a formula{_shown(formula)} that the actions "
            "read; a headless rewrite cannot keep formula results: type a value there, or use "
            "the ribbon in Excel"
            for sheet, row, column, formula in self._input_formulas()
            if not formula_constant(formula)[0]
        ]

    def _settle_input_formulas(self) -> None:
        """Replace constant formulas in the cells actions read by their values (the same
        value; LibreOffice saves a typed TRUE as ``=TRUE()``); refuse any other formula
        there, because the actions need values they can check, not results of a
        calculation a headless run cannot redo. Raises IcpError listing the first cells
        and a count."""
        kept = []
        for sheet, row, column, formula in self._input_formulas():
            constant, value = formula_constant(formula)
            if constant:
                self._sheet_edits(sheet).add(Values(row, column, [[value]]))
            else:
                kept.append(f"{sheet}!{cell_ref(row, column)}")
        if kept:
            shown = ", ".join(kept[:5]) + (f" and {len(kept) - 5} more" if len(kept) > 5 else "")
            verb = "holds a formula" if len(kept) == 1 else "hold formulas"
            name = self.path.name if self.path else "The workbook"
            raise IcpError(
                f"{name}: {shown} {verb} that the actions read, and a headless rewrite cannot "
                "keep formula results, so the next run could not read them; nothing was "
                "written: type values there, or use the ribbon in Excel"
            )

    def _rebuild(self, missing: list[str]) -> None:
        """Re-create the missing output structure with openpyxl, unless that would lose
        content openpyxl does not keep."""
        path = self.path
        assert path is not None
        lost = foreign_content(path)
        if lost:
            raise IcpError(
                f"{path.name} lacks {', '.join(missing)}, and re-creating it headless would "
                f"lose {'; '.join(lost)}; nothing was written. Restore what is missing (undo "
                "the deletion), or run this action from Excel (ICP ribbon)"
            )
        try:
            from icp_xl.hosts.file import structure  # openpyxl rebuilds the structure

            rebuilt = structure.rebuild(path, path.suffix.lower() in MACRO_SUFFIXES)
        except READ_ERRORS as error:
            raise unreadable_workbook(path, error) from None
        self._values.close()
        self._load(rebuilt)


def _frame(columns: list[tuple[str, list[Any]]]) -> pd.DataFrame:
    """A table read a column at a time as ``read_table`` returns it: the cells as stored,
    trailing rows blank in every column dropped."""
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in columns})
    return table_columns(frame, [name for name, _ in columns])


def _shown(formula: str) -> str:
    """`` (=A1+1)``: a formula as quoted in a message (40 characters at most), or nothing
    for a cell that shares another cell's formula."""
    if not formula:
        return ""
    return f" ({formula if len(formula) <= 40 else formula[:39] + '…'})"


def _file_writer(path: Path) -> Callable[[IO[bytes]], None]:
    def write(stream: IO[bytes]) -> None:
        with open(path, "rb") as source:
            copy_stream(source, stream)

    return write


def _full_calculation_on_load(workbook: bytes) -> bytes | None:
    """``xl/workbook.xml`` asking for a full recalculation on open (``calcPr
    fullCalcOnLoad="1"``), or None when it already does."""
    calc = _CALC_PR.search(workbook)
    if calc is not None:
        tag = calc.group(0)
        if b'fullCalcOnLoad="1"' in tag or b"fullCalcOnLoad='1'" in tag:
            return None
        if b"fullCalcOnLoad=" in tag:
            new = re.sub(rb"fullCalcOnLoad=(\"[^\"]*\"|'[^']*')", b'fullCalcOnLoad="1"', tag)
        else:
            end = -2 if tag.endswith(b"/>") else -1
            new = tag[:end].rstrip() + b' fullCalcOnLoad="1"' + tag[end:]
        return workbook[: calc.start()] + new + workbook[calc.end() :]
    anchors = list(_BEFORE_CALC_PR.finditer(workbook))
    if not anchors:
        return None
    last = anchors[-1]
    prefix = last.group(1) or last.group(2) or b""
    element = b"<" + prefix + b'calcPr fullCalcOnLoad="1"/>'
    return workbook[: last.end()] + element + workbook[last.end() :]


def _without_calc_chain(source: zipfile.ZipFile) -> dict[str, bytes]:
    """``[Content_Types].xml`` and the workbook's relationships without the calculation
    chain (it lists formula cells; Excel rebuilds it)."""
    changed = {}
    types = source.read("[Content_Types].xml")
    changed["[Content_Types].xml"] = re.sub(
        rb"<(?:\w+:)?Override\b[^>]*?PartName=\"/xl/calcChain.xml\"[^>]*/>", b"", types
    )
    rels = "xl/_rels/workbook.xml.rels"
    if rels in source.namelist():
        changed[rels] = re.sub(
            rb"<(?:\w+:)?Relationship\b[^>]*?Target=\"/?(?:xl/)?calcChain.xml\"[^>]*/>",
            b"",
            source.read(rels),
        )
    return changed


def frame_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of a DataFrame as cell values (NaN/NA -> None, numpy scalars -> Python)."""
    columns = [column_cells(frame[c]) for c in frame.columns]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _text_safe(value: Any) -> Any:
    """A value as written: computed values converted (:func:`cell_value`); text is always
    written as text by the sheet writer, so ``=...`` never becomes a formula."""
    return cell_value(value)
