"""Streamlit pages of the app (the UI layer: the only code that imports streamlit)."""
