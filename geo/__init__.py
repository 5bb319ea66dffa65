"""Plain functions on (Geo)DataFrames for the London social prescribing map.

Nothing in this package imports streamlit: the UI layer (``app.py`` and ``pages/``) calls it.
"""
