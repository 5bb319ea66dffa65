"""The map frame's script bundle (geo.web.jsbundle): spm_map.js, Leaflet's style sheet, Leaflet."""

from __future__ import annotations

import json
import re

from geo.web import jsbundle

STATIC = jsbundle.STATIC_ROOT


def test_committed_bundle_equals_generated():
    """static/spm/spm_leaflet.js is what `python -m geo web` makes: regenerate if not."""
    committed = (jsbundle.SPM_DIR / jsbundle.BUNDLE_NAME).read_text(encoding="utf-8")
    assert committed == jsbundle.bundle_text()


def test_bundle_holds_its_sources_in_order():
    text = jsbundle.bundle_text()
    spm = (STATIC / "spm" / "spm_map.js").read_text(encoding="utf-8").rstrip()
    css = (STATIC / "vendor" / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    leaflet = (STATIC / "vendor" / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    # spm_map.js first (its ?prefetch= starts the geometry downloads), unchanged
    at_spm = text.index(spm)
    # then the style sheet as one JavaScript string literal, unchanged once decoded
    literal = re.search(r'style\.textContent = ("(?:[^"\\]|\\.)*")\.replace', text)
    assert literal is not None
    assert json.loads(literal[1].replace("<\\/", "</")) == css
    assert "url(images/" in css  # what the runtime rewrite replaces
    # then Leaflet, with its licence comment, without the source map it does not ship
    body = leaflet.replace("//# sourceMappingURL=leaflet.js.map", "").rstrip()
    at_leaflet = text.index(body)
    assert at_spm < literal.start() < at_leaflet
    assert "@preserve" in text and 'version="1.9.4"' in text
    assert "sourceMappingURL" not in text
    assert "</script" not in text.lower()  # also safe to inline


def test_write_all_writes_only_on_change(tmp_path):
    (written,) = jsbundle.write_all(tmp_path)
    assert written == tmp_path / jsbundle.BUNDLE_NAME
    assert written.read_text(encoding="utf-8") == jsbundle.bundle_text()
    assert jsbundle.write_all(tmp_path) == []  # up to date: the file keeps its date
    written.write_text("stale", encoding="utf-8")
    assert jsbundle.write_all(tmp_path) == [written]
