"""The CLI's side of the names rule (``heron.service.names``): an unknown project, key
or sort field is an ``InvalidInput`` from ``heron.Api`` (exit status 2, like a usage
error, through ``cli_error``), and a comparison that can never match is a
``QueryWarning`` the commands print on stderr as a ``warning:`` line."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import click

from heron.service import QueryWarning, did_you_mean
from heron.service.names import filter_fields

__all__ = ["did_you_mean", "filter_fields", "query_warnings"]


@contextmanager
def query_warnings() -> Iterator[None]:
    """The QueryWarnings of the Api calls inside, each as a ``warning: ...`` line on
    stderr; other warnings go on as they were."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QueryWarning)
        yield
    said: set[str] = set()
    for caught_warning in caught:
        if issubclass(caught_warning.category, QueryWarning):
            message = str(caught_warning.message)
            if message not in said:  # the same query asked twice (runs, then count)
                said.add(message)
                click.echo(f"warning: {message}", err=True)
        else:
            warnings.warn_explicit(
                caught_warning.message,
                caught_warning.category,
                caught_warning.filename,
                caught_warning.lineno,
            )
