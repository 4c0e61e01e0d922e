import os
from pathlib import Path

import pytest

_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "data"
SHARED = Path(os.environ.get("TOWNSQUARE_SHARED_DATA", _DEFAULT))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"no labelled data at {SHARED} (set TOWNSQUARE_SHARED_DATA): quality floors skipped")
    return SHARED
