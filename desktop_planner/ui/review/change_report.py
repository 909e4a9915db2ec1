"""The change report, for telling each rep what a realignment means for them: CSV, HTML and PDF.

The CSV (io.export.export_change_report) is one row per moved account, for the CRM and for spreadsheets. The HTML
and PDF give every territory whose accounts (or, with a unit layer, units) change one section: a small map of the
new territory, its figures before and after, the accounts gained and lost with their potential and workload (a
gained account's workload in the new plan, a lost one's in the old), and the units gained and lost. The HTML
embeds its maps (base64 PNG), so it is one file to mail; the PDF is the same document laid out by QTextDocument on
A4 pages, one section per page.
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (QAction, QColor, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen,
                           QTextDocument)
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QLabel, QProgressDialog)

from desktop_planner.core.compare import disruption
from desktop_planner.store.team_rows import team_handovers
from desktop_planner.core.model import Plan, Scenario
from desktop_planner.core.unit_changes import UnitMove, unit_moves, units_gained_lost
from desktop_planner.io.export import ExportError, export_change_report
from desktop_planner.ui.panel.balance_panel import format_number
from desktop_planner.ui.map.map_render import TITLE_HEIGHT, render_map

MAP_SIZE = (640, 420)  # pixels of each rep's map
LISTED = 60  # accounts listed per direction and territory; the CSV has them all
UNITS_LISTED = 20  # units listed per direction and territory: enough to recognise the area, short enough to read
MAP_MARGIN = 0.08  # the map shows the territory's old and new accounts with this much room around them
GAINED, LOST = "#1b6e2a", "#c62828"
STYLE = """
body { font-family: sans-serif; font-size: 10pt; color: #1e1e1e; }
h1 { font-size: 17pt; margin-bottom: 2px; } h2 { font-size: 13pt; margin: 0 0 4px 0; }
.sub { color: #555a60; } .gain { color: #1b6e2a; } .loss { color: #a01c1c; }
th { background-color: #e8ebef; text-align: left; } td.n, th.n { text-align: right; }
"""


@dataclass
class Move:
    row: int
    other: str | None  # where a gained account comes from, where a lost one goes (None: unassigned)
    potential: float
    workload: float


@dataclass
class TerritoryChange:
    name: str
    rep: str
    region: str
    territory_id: int | None  # in the new scenario
    before: dict[str, float]  # accounts, potential, workload_hours
    after: dict[str, float]
    gained: list[Move]
    lost: list[Move]
    rows: np.ndarray  # the territory's accounts in either scenario (what its map shows)
    units_gained: list[UnitMove] = field(default_factory=list)  # with a unit layer, sorted by unit id
    units_lost: list[UnitMove] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the rep has anything to hear: accounts, or units (a county without accounts yet, or whose
        accounts all stay as exceptions, still changes where the CRM routes new business)."""
        return bool(self.gained or self.lost or self.units_gained or self.units_lost)


def territory_changes(plan: Plan, baseline: Scenario, scenario: Scenario, engine) -> list[TerritoryChange]:
    """Every territory name of either scenario, with the accounts (and, with a unit layer, the units) it gains
    and loses (matched by name)."""
    names = list(dict.fromkeys([t.name for t in baseline.territories.values()] +
                               [t.name for t in scenario.territories.values()]))
    code = {name: i for i, name in enumerate(names)}

    def codes(s: Scenario) -> np.ndarray:  # name code per account, -1 unassigned
        lut = np.array([code[t.name] for t in s.territories.values()] + [-1], dtype=np.int64)
        return lut[s.territory_index()]  # -1 reads the last entry
    before, after = codes(baseline), codes(scenario)
    m_before, m_after = engine.measures(baseline.id), engine.measures(scenario.id)
    potential = plan.accounts.potential
    info = {t.name: t for s in (baseline, scenario) for t in s.territories.values()}  # the new plan's wins

    def figures(m, name) -> dict[str, float]:
        i = m.names.index(name) if name in m.names else None
        return {k: 0.0 if i is None else float(m.values[k][i]) for k in ("accounts", "potential", "workload_hours")}

    def moves(rows, other_codes, workload) -> list[Move]:
        order = np.argsort(-potential[rows], kind="stable")
        return [Move(int(r), names[o] if o >= 0 else None, float(potential[r]), float(workload[r]))
                for r, o in zip(rows[order].tolist(), other_codes[order].tolist())]
    by_unit = units_gained_lost(unit_moves(plan, baseline, scenario)) if plan.units is not None else {}
    result = []
    for name, i in code.items():
        was, now = before == i, after == i
        gained, lost = np.flatnonzero(now & ~was), np.flatnonzero(was & ~now)
        territory = info[name]
        in_new = next((t.id for t in scenario.territories.values() if t.name == name), None)
        result.append(TerritoryChange(
            name, territory.rep_name or "", territory.region or "", in_new, figures(m_before, name),
            figures(m_after, name), moves(gained, before[gained], m_after.account_workload_hours),
            moves(lost, after[lost], m_before.account_workload_hours), np.flatnonzero(was | now),
            *by_unit.get(name, ([], []))))
    return result


def map_extent(plan: Plan, rows: np.ndarray) -> tuple[float, float, float, float] | None:
    x, y = plan.accounts.x[rows], plan.accounts.y[rows]
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    x0, x1, y0, y1 = x[ok].min(), x[ok].max(), y[ok].min(), y[ok].max()
    pad = MAP_MARGIN * max(x1 - x0, y1 - y0, 5_000.0)
    return x0 - pad, y0 - pad, x1 + pad, y1 + pad


def fit_to_map(extent: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The extent widened to the aspect of a report map's drawing area, so that it is exactly what is drawn."""
    width, height = MAP_SIZE[0], MAP_SIZE[1] - TITLE_HEIGHT
    x0, y0, x1, y1 = extent
    scale = max((x1 - x0) / width, (y1 - y0) / height)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - width * scale / 2, cy - height * scale / 2, cx + width * scale / 2, cy + height * scale / 2


def mark_moves(image: QImage, plan: Plan, extent, change: TerritoryChange) -> None:
    """Ring the accounts gained (green) and lost (red) on a territory's map, with a key."""
    x0, y0, x1, y1 = extent
    scale = (x1 - x0) / MAP_SIZE[0]
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setBrush(Qt.NoBrush)
    for moves, color in ((change.gained, GAINED), (change.lost, LOST)):
        rows = np.array([m.row for m in moves], dtype=np.int64)
        px = (plan.accounts.x[rows] - x0) / scale
        py = TITLE_HEIGHT + (y1 - plan.accounts.y[rows]) / scale
        painter.setPen(QPen(QColor(color), 1.8))
        for x, y in zip(px.tolist(), py.tolist()):
            painter.drawEllipse(QPointF(x, y), 5.5, 5.5)
    key = QRectF(8, TITLE_HEIGHT + 8, 150, 22)
    painter.setPen(Qt.NoPen)
    painter.setBrush(QColor(255, 255, 255, 215))
    painter.drawRoundedRect(key, 3, 3)
    painter.setBrush(Qt.NoBrush)
    for i, (text, color) in enumerate((("gained", GAINED), ("lost", LOST))):
        left = key.left() + 10 + i * 72
        painter.setPen(QPen(QColor(color), 1.8))
        painter.drawEllipse(QPointF(left, key.center().y()), 5.5, 5.5)
        painter.setPen(QColor("#1e1e1e"))
        painter.drawText(QPointF(left + 10, key.center().y() + 4), text)
    painter.end()


def render_maps(plan: Plan, scenario: Scenario, changes: list[TerritoryChange],
                progress: Callable[[int], bool] | None = None) -> dict[str, QImage] | None:
    """A small map per changed territory, its new accounts highlighted and the moves ringed; None when
    `progress(done)` answers False (cancelled)."""
    images = {}
    for done, change in enumerate(c for c in changes if c.gained or c.lost):
        if progress is not None and not progress(done):
            return None
        extent = map_extent(plan, change.rows)
        extent = None if extent is None else fit_to_map(extent)
        title = f"{change.name} · {change.rep}" if change.rep else change.name
        image = render_map(plan, scenario, MAP_SIZE, title=title, extent=extent, legend=False,
                           highlight=change.territory_id)
        if extent is not None:
            mark_moves(image, plan, extent, change)
        images[change.name] = image
    return images


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def report_html(plan: Plan, baseline: Scenario, scenario: Scenario, changes: list[TerritoryChange],
                image_src: Callable[[str], str | None], page_breaks: bool, handovers: list[dict] = ()) -> str:
    """The whole report; `image_src(territory name)` is the <img> source of its map (None: no map);
    `handovers`: the accounts handed to or from this team by its rules (store.team_rows.read_handovers)."""
    e = html.escape
    moved = disruption(plan, baseline, scenario)
    names, ext = plan.accounts.name, plan.accounts.external_id
    changed = [c for c in changes if c.changed]
    units = plan.units
    unit_line = ""
    if units is not None:
        moved_units = len({m.unit for c in changes for m in c.units_gained + c.units_lost})
        unit_line = f" · {moved_units:,} of {len(units.layer):,} units of {e(units.layer.label)} change territory"
    out = [f"<html><head><meta charset='utf-8'><title>Realignment {e(scenario.name)}</title>"
           f"<style>{STYLE}</style></head><body>",
           f"<h1>Realignment: {e(baseline.name)} → {e(scenario.name)}"
           + (f" · {e(plan.team.name)}" if plan.team is not None else "") + "</h1>",
           f"<p class='sub'>{e(plan.name)} · {date.today().isoformat()} · {moved.accounts_moved:,} of "
           f"{len(plan.accounts):,} accounts change territory ({moved.account_share * 100:.1f} %), potential "
           f"{format_number(moved.potential_moved)} ({moved.potential_share * 100:.1f} %) · "
           f"{len(changed)} of {len(changes)} territories affected{unit_line}</p>",
           "<table cellspacing='0' cellpadding='3' border='0' width='100%'><tr><th>Territory</th><th>Rep</th>"
           "<th class='n'>Accounts</th><th class='n'>Gained</th><th class='n'>Lost</th>"
           "<th class='n'>Potential</th><th class='n'>Workload h</th></tr>"]
    for c in changes:
        out.append(f"<tr><td>{e(c.name)}</td><td>{e(c.rep)}</td><td class='n'>{_arrow(c, 'accounts')}</td>"
                   f"<td class='n gain'>{len(c.gained) or ''}</td><td class='n loss'>{len(c.lost) or ''}</td>"
                   f"<td class='n'>{_arrow(c, 'potential')}</td><td class='n'>{_arrow(c, 'workload_hours')}</td></tr>")
    out.append("</table>")
    out.extend(_handovers_table(handovers, plan.team.name if plan.team is not None else ""))
    for c in changed:
        brk = " style='page-break-before: always'" if page_breaks else ""
        region = f" · region {e(c.region)}" if c.region else ""
        out.append(f"<h2{brk}>{e(c.name)} · {e(c.rep or 'no rep')}{region}</h2>")
        units_text = (f" · units: <b class='gain'>{len(c.units_gained):,}</b> gained, <b class='loss'>"
                      f"{len(c.units_lost):,}</b> lost" if units is not None else "")
        out.append(f"<p>Gains {_moves_text(c.gained, 'gain')} · loses {_moves_text(c.lost, 'loss')} · accounts "
                   f"{_arrow(c, 'accounts')} · potential {_arrow(c, 'potential')} · workload "
                   f"{_arrow(c, 'workload_hours')} h{units_text}</p>")
        src = image_src(c.name)
        if src:
            out.append(f"<p><img src='{e(src)}' width='{MAP_SIZE[0]}' height='{MAP_SIZE[1]}'></p>")
        for title, moves, other in (("Accounts gained", c.gained, "From"), ("Accounts lost", c.lost, "To")):
            if not moves:
                continue
            out.append(f"<p><b>{title}</b></p><table cellspacing='0' cellpadding='2' border='0' width='100%'>"
                       f"<tr><th>Account</th><th>ID</th><th>{other}</th><th class='n'>Potential</th>"
                       f"<th class='n'>Workload h</th></tr>")
            for m in moves[:LISTED]:
                out.append(f"<tr><td>{e(str(names[m.row] or ''))}</td><td>{e(str(ext[m.row]))}</td>"
                           f"<td>{e(m.other or 'unassigned')}</td><td class='n'>{format_number(m.potential)}</td>"
                           f"<td class='n'>{m.workload:,.1f}</td></tr>")
            out.append("</table>")
            if len(moves) > LISTED:
                out.append(f"<p class='sub'>… and {len(moves) - LISTED:,} more (the CSV lists them all).</p>")
        out.extend(_units_table("Units gained", c.units_gained, gained=True))
        out.extend(_units_table("Units lost", c.units_lost, gained=False))
    out.append("</body></html>")
    return "\n".join(out)


def _handovers_table(handovers: list[dict], team: str) -> list[str]:
    """The accounts the team's rules handed in or out (a score or a figure crossed a threshold), since the
    baseline was made: they change hands whatever the territories do."""
    if not handovers:
        return []
    e = html.escape
    coming = sum(1 for h in handovers if h["to_team"] == team)
    out = [f"<h2>Hand-overs between teams</h2><p>{coming:,} accounts came to {e(team)} and "
           f"{len(handovers) - coming:,} left it by the teams' rules since the baseline was made.</p>",
           "<table cellspacing='0' cellpadding='2' border='0' width='100%'><tr><th>ID</th><th>From team</th>"
           "<th>To team</th><th>When</th><th>Why</th></tr>"]
    for h in handovers[:LISTED]:
        out.append(f"<tr><td>{e(str(h['external_id']))}</td><td>{e(h['from_team'] or 'no team')}</td>"
                   f"<td>{e(h['to_team'] or 'no team')}</td><td>{e((h['at'] or '')[:10])}</td>"
                   f"<td>{e(h['reason'] or '')}</td></tr>")
    out.append("</table>")
    if len(handovers) > LISTED:
        out.append(f"<p class='sub'>… and {len(handovers) - LISTED:,} more (desktop-planner teams PROJECT "
                   "--handovers).</p>")
    return out


def _units_table(title: str, moves: list[UnitMove], gained: bool) -> list[str]:
    """A section's list of units gained or lost ("36061 New York, NY" and where it comes from or goes), the
    first UNITS_LISTED of them; nothing when there are none."""
    if not moves:
        return []
    e = html.escape
    out = [f"<p><b>{title}</b></p><table cellspacing='0' cellpadding='2' border='0' width='100%'>"
           f"<tr><th>Unit</th><th>{'From' if gained else 'To'}</th></tr>"]
    for m in moves[:UNITS_LISTED]:
        other = m.from_territory if gained else m.to_territory
        out.append(f"<tr><td>{e(m.unit_id)} {e(m.unit_name)}</td><td>{e(other or 'unassigned')}</td></tr>")
    out.append("</table>")
    if len(moves) > UNITS_LISTED:
        out.append(f"<p class='sub'>… and {len(moves) - UNITS_LISTED:,} more.</p>")
    return out


def _moves_text(moves: list[Move], css: str) -> str:
    if not moves:
        return "none"
    return (f"<b class='{css}'>{len(moves):,}</b> accounts (potential "
            f"{format_number(sum(m.potential for m in moves))}, {format_number(sum(m.workload for m in moves))} "
            f"workload h)")


def _arrow(c: TerritoryChange, measure: str) -> str:
    a, b = c.before[measure], c.after[measure]
    return format_number(a) if abs(a - b) < 0.5 else f"{format_number(a)} → {format_number(b)}"


def write_report(path: Path, plan: Plan, baseline: Scenario, scenario: Scenario, changes: list[TerritoryChange],
                 images: dict[str, QImage], handovers: list[dict] = ()) -> None:
    """HTML (maps embedded as data URIs) or PDF (A4), chosen by the file's extension. Written to a temporary
    name and renamed, so that a failed report never leaves half a file where a good one was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        if path.suffix.lower() == ".pdf":
            _write_pdf(tmp, plan, baseline, scenario, changes, images, handovers)
        else:
            data = {name: "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")
                    for name, image in images.items()}
            tmp.write_text(report_html(plan, baseline, scenario, changes, data.get, False, handovers),
                           encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{path}: cannot be written ({exc.strerror or exc})") from None


def _write_pdf(path: Path, plan: Plan, baseline: Scenario, scenario: Scenario, changes: list[TerritoryChange],
               images: dict[str, QImage], handovers: list[dict]) -> None:
    document = QTextDocument()
    keys = {name: f"map:{i}" for i, name in enumerate(images)}
    for name, image in images.items():  # QTextDocument reads images from its resources, not data URIs
        document.addResource(QTextDocument.ImageResource, QUrl(keys[name]), image)
    document.setHtml(report_html(plan, baseline, scenario, changes, keys.get, True, handovers))
    writer = QPdfWriter(str(path))
    writer.setResolution(96)  # the report's pixel sizes then read as they do on screen
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Portrait, QMarginsF(14, 14, 14, 14),
                                     QPageLayout.Millimeter))
    writer.setTitle(f"Realignment {baseline.name} → {scenario.name}")
    writer.setCreator("Desktop Planner")
    document.setPageSize(QSizeF(writer.width(), writer.height()))
    document.print_(writer)
    del writer  # closes the file
    if not path.exists() or path.stat().st_size == 0:  # QPdfWriter reports no errors of its own
        raise OSError(f"the PDF could not be written to {path.parent}")


class ChangeReportDialog(QDialog):
    """Baseline and formats; the scenario reported is the one shown."""

    def __init__(self, window, baseline_id: int | None) -> None:
        super().__init__(window)
        self.setWindowTitle("Change report")
        plan = window.session.plan
        self.baseline = QComboBox(self)
        for s in plan.scenarios.values():
            if s.id != plan.active_scenario_id:
                self.baseline.addItem(s.name, s.id)
        self.baseline.setCurrentIndex(max(0, self.baseline.findData(baseline_id)))
        self.formats = {suffix: QCheckBox(text, self) for suffix, text in
                        ((".pdf", "PDF, a page per rep with a map"), (".html", "HTML, one file with the maps"),
                         (".csv", "CSV, one row per moved account"))}
        for box in self.formats.values():
            box.setChecked(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.button(QDialogButtonBox.Ok).setText("Save…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QFormLayout(self)
        layout.addRow("Changes from", self.baseline)
        layout.addRow("to", QLabel(f"{plan.active.name} (the scenario shown)", self))
        for box in self.formats.values():
            layout.addRow("", box)
        layout.addRow(buttons)


def export_report(window) -> None:
    """Ask for a baseline, the formats and a file name, then write the report files side by side."""
    session = window.session
    plan = session.plan
    if len(plan.scenarios) < 2:
        window.show_error("A change report compares two scenarios; make another with Scenario > New first.")
        return
    compared = window.compare_view.baseline.currentData()
    dialog = ChangeReportDialog(window, compared if compared != plan.active_scenario_id else plan.active.based_on)
    if dialog.exec() != QDialog.Accepted:
        return
    suffixes = [s for s, box in dialog.formats.items() if box.isChecked()]
    folder = session.project.path.parent if session.project else Path.home()
    chosen, _ = QFileDialog.getSaveFileName(window, "Save change report",
                                            str(folder / f"{plan.active.name} changes"), "All files (*)")
    if not chosen or not suffixes:
        return
    stem = Path(chosen).with_suffix("") if Path(chosen).suffix.lower() in (".pdf", ".html", ".csv") else Path(chosen)
    written = write_all(window, stem, plan.scenarios[dialog.baseline.currentData()], plan.active, suffixes)
    if written:
        window.statusBar().showMessage("Wrote " + ", ".join(p.name for p in written), 10000)


def write_all(window, stem: Path, baseline: Scenario, scenario: Scenario, suffixes: list[str]) -> list[Path]:
    session = window.session
    plan = session.plan
    paths = [stem.with_name(stem.name + s) for s in suffixes]
    try:
        if ".csv" in suffixes:
            export_change_report(plan, baseline, scenario, stem.with_name(stem.name + ".csv"), engine=session.engine)
        if ".pdf" in suffixes or ".html" in suffixes:
            changes = territory_changes(plan, baseline, scenario, session.engine)
            count = sum(1 for c in changes if c.gained or c.lost)
            progress = QProgressDialog("Drawing a map per territory…", "Cancel", 0, count, window)
            progress.setWindowModality(Qt.WindowModal)
            progress.setMinimumDuration(300)

            def step(done: int) -> bool:
                progress.setValue(done)
                QApplication.processEvents()
                return not progress.wasCanceled()
            images = render_maps(plan, scenario, changes, step)
            progress.reset()
            if images is None:
                return []
            for suffix in (".pdf", ".html"):
                if suffix in suffixes:
                    write_report(stem.with_name(stem.name + suffix), plan, baseline, scenario, changes, images,
                                 team_handovers(session.project.conn if session.project else None, plan, baseline))
    except ExportError as exc:
        window.show_error(str(exc))
        return []
    return paths


def install(window) -> QAction:
    action = QAction("Export &change report…", window)
    action.setStatusTip("Per rep: the accounts gained and lost between two scenarios, as PDF, HTML and CSV")
    action.triggered.connect(lambda: export_report(window))
    window.menus["file"].insertAction(window.named_actions["export"], action)
    window.scenario_bar.menu.addAction(action)
    return action
