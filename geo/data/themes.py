"""The themes housing associations use for social investment, in order, plus ``"Other"``."""

from __future__ import annotations

OTHER = "Other"


#: The housing associations' themes, in order (ties in keyword counts go to the earlier one).
THEMES: tuple[str, ...] = (
    "Employment support",
    "Financial inclusion",
    "Digital inclusion",
    "Health and wellbeing",
    "Safer, stronger communities",
    "Physical environment",
    "Specialist and supported housing",
    OTHER,
)
