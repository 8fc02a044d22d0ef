"""The repository README's Python snippet runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_python_snippet_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python snippet"
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
        # What the snippet made is real: a CA-signed certificate for carol in ops.
        carol = namespace["carol"]
        assert getattr(carol, "subject_common_name") == "carol"
        assert getattr(carol, "organizations") == ["ops"]
