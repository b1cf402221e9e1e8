import os

import pytest

from helpers import blobs

os.environ.setdefault("MPLBACKEND", "Agg")

@pytest.fixture(params=[0, 1, 2], ids=lambda s: f"data{s}")
def seeded_data(request):
    shift = {0: 0.0, 1: 100.0, 2: -3.0}[request.param]
    return blobs(seed=request.param, shift=shift)
