"""Progress bars that look right both in JupyterLab and in the built book.

A reader running a notebook sees a live ``tqdm`` bar. A batch execution (the book build and CI,
which set ``DLNOTES_PROGRESS=summary``) prints one line when the loop ends, in tqdm's own format,
because a live bar's many carriage-return updates would each become a line of the static page.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")
ENV = "DLNOTES_PROGRESS"


def _summary_mode() -> bool:
    return os.environ.get(ENV, "").strip().lower() == "summary"


def progress(iterable: Iterable[T], desc: str | None = None, total: int | None = None, **tqdm_kwargs: Any) -> Iterator[T]:
    """Iterate over ``iterable`` with a progress bar (``tqdm``), or a one-line summary in batch builds.

    Parameters
    ----------
    iterable:
        What to loop over.
    desc:
        A short label, e.g. ``"training"``.
    total:
        Number of items, if ``len(iterable)`` does not work.
    **tqdm_kwargs:
        Passed to ``tqdm`` in interactive mode.
    """
    if isinstance(iterable, (str, bytes)) or not isinstance(iterable, Iterable):
        raise TypeError(f"progress: iterable must be an iterable (e.g. range(n)), got {type(iterable).__name__}")
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    if not _summary_mode():
        yield from tqdm(iterable, desc=desc, total=total, mininterval=tqdm_kwargs.pop("mininterval", 0.5), **tqdm_kwargs)
        return
    start, n = time.perf_counter(), 0
    for n, item in enumerate(iterable, start=1):
        yield item
    line = tqdm.format_meter(n, total, time.perf_counter() - start, ncols=80, prefix=desc or "")
    print(line, file=sys.stdout, flush=True)
