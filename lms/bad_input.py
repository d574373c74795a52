"""Defences against bad input, in one place for every app.

- `BadInputMiddleware` answers a clear 400 page, before any view runs, for characters no
  database column can store (NUL, lone surrogates) in the address, the query string or a form
  field, and for a whole number beyond a signed 64-bit integer in a query string or form field
  (no id, count or amount is that large; SQLite raises OverflowError comparing one); and a 404
  for such an id in the address.
- `unstorable` says whether a text holds such characters, for input that does not come through
  a request (imported files).
- `safe_next_url` is the one reading of a `next` address: on this site, or nothing.
"""

import re

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

# PostgreSQL's bigint, and so any id column.
INT64_MAX = 2**63 - 1
UNSTORABLE_MESSAGE = "This contains characters we can't store. Remove them and try again."
TOO_LARGE_MESSAGE = "A number in this is larger than any we use. Check it and try again."
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_WHOLE_NUMBER = re.compile(r"\s*[+-]?(\d+)\s*")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def unstorable(text: str) -> bool:
    """True if `text` holds a NUL or a lone surrogate: characters no text column can keep."""
    return bool(_UNSTORABLE.search(text))


def huge_number(value: str) -> bool:
    """True if `value` is a whole number beyond a signed 64-bit integer: no id, count or amount
    here is that large, and databases refuse to compare one (SQLite raises OverflowError)."""
    match = _WHOLE_NUMBER.fullmatch(value)
    if not match:
        return False
    digits = match.group(1).lstrip("0")
    return len(digits) > 19 or (len(digits) == 19 and int(digits) > INT64_MAX)


def _first_problem(query_dict) -> str | None:
    for key, values in query_dict.lists():
        if unstorable(key) or any(unstorable(value) for value in values):
            return UNSTORABLE_MESSAGE
        # A password may be any string of digits; it is never looked up as a number.
        if "password" not in key and any(huge_number(value) for value in values):
            return TOO_LARGE_MESSAGE
    return None


def _too_large(value) -> bool:
    return isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX


class BadInputMiddleware:
    """Refuse what no view could store or look up, before the view runs.

    Runs as `process_view`, after `RequestBodyLimitMiddleware` (so an oversized body is never
    read here) and before `CsrfViewMiddleware`. A form's field values are read only for form
    bodies; uploaded files are not looked at.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if any(_too_large(value) for value in (*view_args, *view_kwargs.values())):
            raise Http404("No such record.")
        if unstorable(request.path_info):
            return bad_input_response(request, UNSTORABLE_MESSAGE)
        problem = _first_problem(request.GET)
        if problem is None and request.method == "POST" and request.content_type in _FORM_TYPES:
            problem = _first_problem(request.POST)
        if problem:
            return bad_input_response(request, problem)
        return None


def bad_input_response(request, message: str):
    return render(request, "400.html", {"message": message}, status=400)


def safe_next_url(request, value: str | None) -> str | None:
    """`value` if it is an address on this site (a path starting with one slash), else None.

    A bare word ("abc") is not an address: passed to `redirect()` it would be taken for a view
    name and fail; "//elsewhere" and "/\\elsewhere" leave the site in a browser.
    """
    if (
        value
        and value.startswith("/")
        and not unstorable(value)
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return None


def redirect_to_next(request, value: str | None, fallback: str) -> HttpResponseRedirect:
    """Go to `value` if it is safe (see `safe_next_url`), otherwise to the address `fallback`."""
    return HttpResponseRedirect(safe_next_url(request, value) or fallback)
