"""Accessibility statement (GOV.UK model form)."""

import streamlit as st

st.title("Accessibility statement")
