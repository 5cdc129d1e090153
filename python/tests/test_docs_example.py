"""The offline example of docs/python.md runs as printed and prints what
the doc says it prints (scripts/check-release.sh runs it too, against the
release wheel in a fresh venv)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"
MARKER = "runs as printed: python/tests/test_docs_example.py"


def blocks_after_marker() -> tuple[str, str]:
    """The example (the ```python block after the marker) and the output the
    doc shows (the next ``` block)."""
    text = DOC.read_text()
    assert MARKER in text, f"{DOC} lost the marked example"
    rest = text[text.index(MARKER) :]
    code = re.search(r"^```python\n(.*?)^```$", rest, re.S | re.M)
    assert code, "no ```python block after the marker"
    shown = re.search(r"^```\n(.*?)^```$", rest[code.end() :], re.S | re.M)
    assert shown, "no output block after the example"
    return code.group(1), shown.group(1)


def test_docs_python_offline_example_runs_as_printed(tmp_path: Path) -> None:
    code, expected = blocks_after_marker()
    script = tmp_path / "example.py"
    script.write_text(code)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAUTHKIT_")}
    env["HOME"] = str(home)
    # from a directory outside the checkout: `import oauthkit` is the installed wheel
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, f"the example failed:\n{run.stdout}\n{run.stderr}"
    assert run.stdout == expected, f"the example printed\n{run.stdout}\nthe doc says\n{expected}"

