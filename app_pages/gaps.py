"""Placeholder while the page is written."""

import streamlit as st

st.title("gaps")
st.info("This page is being built.")
