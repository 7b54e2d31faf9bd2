"""Date display formats shared by Bahasa Indonesia and English (core.formatting explains why).

Django's own defaults differ per language ("3 Des. 2026" in id, "Dec. 3, 2026" in en); the dashboard
shows one shape in both, "3 Des 2026" / "3 Dec 2026", with the time in 24 hours. Input formats
stay Django's.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
TIME_FORMAT = "H:i"
