"""bench/scale.py: the time ratio of a large site's cold build to a small one's, builds alternating."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_scale_times_both_sites_in_turn_and_prints_the_ratio_of_their_medians(tmp_path: Path) -> None:
    for name, contributions in (("small", "10"), ("large", "40")):
        subprocess.run([sys.executable, str(ROOT / "bench/corpus.py"), str(tmp_path / name), "--consultations", "1",
                        "--proposals", "3", "--contributions", contributions], check=True, capture_output=True)
    done = subprocess.run([sys.executable, str(ROOT / "bench/scale.py"), str(tmp_path / "small"), str(tmp_path / "large"),
                           "--rounds", "1", "--jobs", "1"], check=True, capture_output=True, text=True, cwd=ROOT)
    order = re.findall(r"^\d\d:\d\d:\d\d (\w+): wall", done.stdout, re.M)
    assert order == ["small", "large", "small"]
    rows = dict(re.findall(r"^\| (small|large) \| (\d+) \|", done.stdout, re.M))
    assert rows == {"small": "2", "large": "1"}
    assert (tmp_path / "large/_site/index.html").is_file() and not (tmp_path / "large/_site/pagefind").exists()
    walls = {name: float(value) for name, value in re.findall(r"^\| (small|large) \| \d+ \| ([\d.]+) s", done.stdout, re.M)}
    ratio = float(re.search(r"^\| \*\*ratio\*\* \| \| \*\*([\d.]+)x\*\*", done.stdout, re.M).group(1))  # type: ignore[union-attr]
    assert abs(ratio / (walls["large"] / walls["small"]) - 1) < 0.03  # the table rounds the medians
