"""How long a French identity card is valid: décret 2013-1188.

Cards are valid 10 years when issued to minors or before 2004, 15 years when
issued to adults from 2004 on; the decree extended the cards issued to adults
from 2004 to 2013, which still print a 10-year date, by 5 years. The MRZ of the
old card estimates its expiry from this law, and the expiry rule accepts the
extension by it.
"""

from __future__ import annotations

import calendar
from datetime import date

# CNI issued 2004-2013 to adults stay valid 5 years beyond the printed date.
CNI_EXTENSION_ISSUED = (date(2004, 1, 1), date(2013, 12, 31))
CNI_EXTENSION_YEARS = 5
PRINTED_CNI_YEARS = 10  # the validity printed on the cards the decree extends
ADULT_AGE = 18


def age_on(birth: date, day: date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def fr_cni_old_expiry(issue_month: date, birth: date | None) -> date:
    """Expiry of a French identity card of the old format, from its issue month.

    Validity is 10 years for cards issued to minors and for cards issued before
    2004. Décret 2013-1188 made it 15 years for cards issued to adults from
    2014-01-01 on, and extended the cards issued to adults from 2004-01-02 to
    2013-12-31 to 15 years as well. The MRZ only carries the issue year and
    month, so the result is the last day of the month 10 (or 15) years later:
    in the holder's favour, never a day early. Issue-month ambiguity for
    January 2004 is resolved in the holder's favour too.
    """
    adult = birth is not None and age_on(birth, issue_month) >= ADULT_AGE
    extended = issue_month >= CNI_EXTENSION_ISSUED[0] and adult
    years = PRINTED_CNI_YEARS + (CNI_EXTENSION_YEARS if extended else 0)
    return _add_years_end_of_month(issue_month, years)


def _add_years_end_of_month(start: date, years: int) -> date:
    year = start.year + years
    return date(year, start.month, calendar.monthrange(year, start.month)[1])
