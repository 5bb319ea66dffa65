"""London social prescribing map: where need is high and provision is thin.

Run with ``streamlit run app.py``. This script only sets up the page and the navigation; each
page lives in ``app_pages/`` and the logic in the ``geo`` package.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    accessibility_link,
    focus_style,
    page_links,
    sidebar_selection,
    uploads_status,
    use_local_assets,
)
from app_pages.server import tune_once
from geo.data.io import DataError

st.set_page_config(
    page_title="London social prescribing map",
    page_icon=":material/map:",
    layout="wide",
)
use_local_assets()
focus_style()
tune_once()  # once per server process: small responses without a 40 ms wait (server.py)

pages = {
    "Explore": [
        st.Page(
            "app_pages/overview.py", title="London overview", icon=":material/map:", default=True
        ),
        st.Page("app_pages/borough.py", title="Borough view", icon=":material/location_city:"),
        st.Page("app_pages/pcn.py", title="PCN view", icon=":material/groups:"),
        st.Page("app_pages/gaps.py", title="Gap finder", icon=":material/search:"),
        st.Page("app_pages/planner.py", title="Pilot planner", icon=":material/add_location_alt:"),
        st.Page(
            "app_pages/closures.py", title="What a closure costs", icon=":material/domain_disabled:"
        ),
    ],
    "Your data": [
        st.Page("app_pages/housing.py", title="Housing associations", icon=":material/home:"),
        st.Page("app_pages/services.py", title="Service directory", icon=":material/list:"),
    ],
    "About": [
        st.Page("app_pages/method.py", title="Data and method", icon=":material/info:"),
        st.Page(
            "app_pages/accessibility.py",
            title="Accessibility statement",
            icon=":material/accessibility:",
        ),
    ],
}
# Streamlit's own sectioned page list puts section headings inside its <ul> as <div>s, which
# fails WCAG 1.3.1 (axe: list, listitem); the app draws its own links instead (page_links).
nav = st.navigation(pages, position="hidden")
page_links(pages)
try:
    st.session_state["selection"] = sidebar_selection()
except DataError as exc:
    st.error(f"The app's data could not be loaded. {exc}")
    st.stop()
try:
    nav.run()
finally:  # also after a page's st.stop(), so the sidebar always shows the current uploads
    uploads_status()
    accessibility_link(pages["About"][-1])  # on every page, also when the sidebar is closed
