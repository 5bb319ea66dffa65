"""Accessibility statement, in the form of GOV.UK's model statement for public sector websites.

Whoever runs a copy of the app (a council, the GLA, an NHS body) is its publisher under the
Public Sector Bodies Accessibility Regulations 2018: they set their name and where to report
a problem in the environment (``SPM_PUBLISHER``, ``SPM_ACCESSIBILITY_CONTACT``), so the
statement never names a contact that does not exist. Update :data:`TESTED` and the known
issues whenever the app is tested again (tests/app/test_a11y.py, tests/web/test_palettes.py).
"""

from __future__ import annotations

import os

import streamlit as st

from app_pages.mapping import md_text

PREPARED = "4 December 2026"
TESTED = "4 December 2026"

publisher = md_text(os.environ.get("SPM_PUBLISHER", "").strip()) or "the organisation that runs it"
contact = md_text(os.environ.get("SPM_ACCESSIBILITY_CONTACT", "").strip())

st.title("Accessibility statement")
st.markdown(
    f"This accessibility statement applies to the London social prescribing map, this web app, "
    f"run by {publisher}. It is open-source software: this statement describes the app as "
    "its developers built and tested it."
)

st.header("Using this app")
st.markdown(
    """
We want as many people as possible to be able to use this app. For example, you should be
able to:

- zoom in up to 400% without the text spilling off the screen, and use it on a screen 320
  pixels wide;
- move through every page using just a keyboard, including the map: Tab reaches the map,
  the arrow keys move it, plus and minus zoom in and out, and Enter reads out what is at the
  centre of the map (marked with a ring); the layer list opens with Enter and closes with
  Escape;
- use it with a screen reader: every map has a description in words just before it and,
  under it, a table of every area it shows; charts have a description and a table of the same
  figures;
- tell every colour on the maps apart by a text label as well (the legend, the tooltip, the
  read-out and the table).

[AbilityNet](https://mcmw.abilitynet.org.uk/) has advice on making your device easier to use
if you have a disability.
"""
)

st.header("How accessible this app is")
st.markdown(
    """
We know some parts of this app are not fully accessible:

- the data tables are drawn by Streamlit on a canvas: a screen reader reads them through a
  hidden copy of the table, and keyboard users move between cells with the arrow keys;
  every table can also be downloaded as a CSV file;
- areas on a map cannot be reached one by one with the Tab key: move the map until the area
  is at its centre and press Enter, or use the table under the map;
- hover tooltips on the maps appear with a mouse or touch only; the same text is read out
  with Enter at the centre of the map;
- for some people with colour vision deficiency two neighbouring colours are hard to tell
  apart: deciles 6 and 7 of the deprivation maps, and on the gap map "higher need, lower
  access" beside "higher need, middle access" (and the latter beside "higher need, higher
  access") for people with protanopia; the class is always written in the tooltip, the
  read-out and the table, and the "higher need, lower access" areas (the biggest gaps) are
  also outlined in black on the map and in its legend;
- the background map (Esri's tiles) is an image: place names on it are not read out; the
  borough names drawn over it are text;
- the downloadable borough report (HTML) and the spreadsheets have not yet been tested for
  accessibility.
"""
)

st.header("Feedback and contact information")
if contact:
    st.markdown(
        f"If you need information from this app in a different format, or find a problem "
        f"with its accessibility, contact {publisher}: {contact}. Tell us the page, what you "
        "were trying to do and the assistive technology you use, if any."
    )
else:
    st.markdown(
        "If you need information from this app in a different format, or find a problem with "
        f"its accessibility, contact {publisher}. (Whoever runs this copy: set "
        "`SPM_ACCESSIBILITY_CONTACT` to an email address or web form so that it is shown "
        "here.) Problems in the software itself can also be reported in the project's public "
        "issue tracker."
    )

st.header("Enforcement procedure")
st.markdown(
    "The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public "
    "Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 "
    "(the 'accessibility regulations'). If you are not happy with how we respond to your "
    "complaint, [contact the Equality Advisory and Support Service (EASS)]"
    "(https://www.equalityadvisoryservice.com/)."
)

st.header("Technical information about this app's accessibility")
st.markdown(
    f"{publisher[:1].upper() + publisher[1:]} is committed to making its website accessible, "
    "in accordance with the Public Sector Bodies (Websites and Mobile Applications) (No. 2) "
    "Accessibility Regulations 2018."
)
st.subheader("Compliance status")
st.markdown(
    "This app is partially compliant with the [Web Content Accessibility Guidelines version "
    "2.2](https://www.w3.org/TR/WCAG22/) AA standard, due to the non-compliances listed below."
)

st.header("Non-accessible content")
st.subheader("Non-compliance with the accessibility regulations")
st.markdown(
    """
- Two pairs of neighbouring map colours are hard to tell apart for some people with colour
  vision deficiency (CIEDE2000 difference below 10 in a simulation): deprivation deciles 6
  and 7, and the gap map's "higher need" classes for protanopia. The class is also given as
  text, so no information is carried by colour alone (WCAG 1.4.1), but the map is harder to
  read at a glance. On the gap map the biggest-gap class ("higher need, lower access") is
  outlined in black, so it stands out without colour; deciles 6 and 7 of the deprivation
  maps (both "less deprived than average") are told apart by their labels only.
- Streamlit draws its data tables on a canvas with a hidden table for screen readers; with
  some screen readers the column headings are not announced with every cell (WCAG 1.3.1).
  Every table can be downloaded as a CSV file.
"""
)
st.subheader("Disproportionate burden")
st.markdown("We are not claiming disproportionate burden for any content.")
st.subheader("Content that's not within the scope of the accessibility regulations")
st.markdown(
    "Online maps are exempt from the regulations unless they are meant for navigation. The "
    "maps of this app are not; each still has a description in words and a table of what it "
    "shows, and can be used with a keyboard."
)

st.header("What we're doing to improve accessibility")
st.markdown(
    "Every page of the app is checked with axe-core in the project's automated tests, in the "
    "page and inside the map, with and without uploaded data, and three tasks (a borough's "
    "report, the biggest gap in a borough, an uploaded stock list's figures) are done with the "
    "keyboard only; a change that breaks them fails the tests."
)

st.header("Preparation of this accessibility statement")
st.markdown(
    f"""
This statement was prepared on {PREPARED}. It was last reviewed on {PREPARED}.

This app was last tested on {TESTED} against the WCAG 2.2 AA standard. The test was carried
out by the app's developers:

- automated checks with axe-core 4.12.1 (the WCAG 2.0, 2.1 and 2.2 level A and AA rules) in
  Chromium on every page, in the page and inside each map, with no upload and with an
  uploaded stock list and service directory: no violations found;
- keyboard-only walks of one task per user group: pick a borough and download its report;
  find the biggest gap in a borough; upload a stock list and read its figures;
- screenshots of every page at 200% zoom and at 320 pixels wide, looked at for content cut
  off or overlapping;
- a simulation of protanopia, deuteranopia and tritanopia on the map colours.
"""
)
