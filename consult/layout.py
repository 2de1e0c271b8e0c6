"""Where everything is: the site's files and folders, page URLs, output paths, reserved slugs.

One module, so that the build, the handler, pull and the moderation commands agree on
every path by construction (ARCHITECTURE.md, "Contracts between stages", lists them).
Pure: names and string arithmetic, no disk access.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

CONFIG_FILE = "site.yaml"


def skeleton_dir() -> Path:
    """The packaged site `consult init` copies (consult/skeleton/)."""
    with as_file(files("consult.skeleton")) as path:
        return Path(path)
