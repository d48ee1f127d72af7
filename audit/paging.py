"""Pages of long lists whose cost does not grow with the archive.

Two ways to cut a list, for the admin, the API and the public pages alike:

- BoundedPaginator counts at most `limit` rows (COUNT over a LIMIT subquery), so a changelist
  or an API list of millions of rows never counts them all; pages past the limit are out of
  range (the admin and the API answer them as they answer any page past the end).
- window() reads one page and one row more, without a count: "newer" and "older" links,
  for public listings, where a total is not worth a query.
"""

from dataclasses import dataclass
from functools import cached_property

from django.core.paginator import Paginator

from .numbers import typed_whole_number

# Rows a list will count or page through: 200 API pages of 50, 500 pages of 20.
LIMIT = 10_000


class BoundedPaginator(Paginator):
    """A paginator whose count stops at `limit` (then `capped` is true): no unbounded COUNT."""

    limit = LIMIT

    @cached_property
    def count(self) -> int:
        return min(self._upto, self.limit)

    @cached_property
    def _upto(self) -> int:
        # A QuerySet counts in the database; a list (already read) has a length. list.count
        # is something else (occurrences of a value).
        if isinstance(self.object_list, list | tuple):
            return len(self.object_list[:self.limit + 1])
        # Unordered: how many rows there are up to the limit does not depend on their order,
        # and sorting them first made the count walk an index and sort (74 ms for 10,001
        # stories by last change, 2 ms without).
        # Only the keys: an annotation of each row (the sources' citation counts) is not worth
        # computing for 10,001 rows that are only counted.
        return self.object_list.order_by().values("pk")[:self.limit + 1].count()

    @property
    def capped(self) -> bool:
        """More rows exist than the pages reach (the count shows the limit)."""
        return self._upto > self.limit


def distinct_values(queryset, field: str, *, limit: int) -> list:
    """The distinct values of an indexed `field`, in order, at most `limit` of them: each found by
    one index lookup (the next value after the last one found: a skip scan), never by a DISTINCT
    that reads every row."""
    values, last = [], None
    while len(values) < limit:
        following = queryset.order_by(field)
        if last is not None:
            following = following.filter(**{f"{field}__gt": last})
        last = following.values_list(field, flat=True).first()
        if last is None:
            break
        values.append(last)
    return values


def page_number(value, *, last: int | None = None) -> int:
    """A page number from a query string value: 1 for anything that is not a positive whole
    number, and never past `last` (the deepest page served)."""
    try:
        number = typed_whole_number(value or "1")  # ASCII digits: "?page=٣" is page 1
    except ValueError:
        return 1
    number = max(1, number)
    return min(number, last) if last else number


@dataclass(frozen=True)
class Window:
    """One page of a list read without counting it: its rows and whether there are more."""

    object_list: list
    number: int
    has_next: bool
    deepest: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]


def window(queryset, number, *, per_page: int, limit: int | None = None) -> Window:
    """Page `number` (clamped to 1..the page holding row `limit`) of an ordered queryset, in
    one query of per_page + 1 rows: the cost of a page never depends on the list's length."""
    deepest = max(1, -(-(limit or LIMIT) // per_page))
    number = page_number(number, last=deepest)
    start = (number - 1) * per_page
    rows = list(queryset[start:start + per_page + 1])
    return Window(object_list=rows[:per_page], number=number,
                  has_next=len(rows) > per_page and number < deepest, deepest=deepest)
