"""Helpers shared by the sampling suite: the tl_test helpers plus a stress loop."""
import os
import sys

from tl_test import *  # noqa: E402,F403
from tl_test import check, fail  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def line_of(name, marker):
    return source_line(os.path.join(HERE, name), marker)  # noqa: F405


def by_start(rep):
    out = {}
    for leak in rep["leaks"]:
        out.setdefault(leak["start_routine"], []).append(leak)
    return out
