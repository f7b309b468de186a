"""Enumerations shared by families, children and providers, spelled as the application site spells them."""

from __future__ import annotations

import enum


class ApplicationStatus(enum.StrEnum):
    APPROVED = "Approved"
    NOT_ELIGIBLE = "Not Eligible"
    PENDING = "Pending"
    HOLD = "Hold"
    DUPLICATE = "Duplicate"
    WAITLIST = "Waitlist"
    TEST = "Test"
    NEED_MORE_INFO = "Need More Info"
    EXPIRED = "Expired"
    UNDER_REVIEW = "Under Review"
    APPLICATION_WITHDRAWN = "Application Withdrawn"
    DISCONTINUED = "Discontinued"
    DISENROLLED = "Disenrolled"


class Language(enum.StrEnum):
    ENGLISH = "en"
    SPANISH = "es"
    RUSSIAN = "ru"
    ARABIC = "ar"
