import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load():
    # The verifier is a stand-alone script, not a package of the project: load it by path.
    spec = importlib.util.spec_from_file_location("newsroom_verify",
                                                  ROOT / "verifier" / "newsroom_verify.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["newsroom_verify"] = module
    spec.loader.exec_module(module)
    return module


VERIFY = _load()


@pytest.fixture
def run(tmp_path, capsys):
    """Run the verifier's command line on a story; (exit code, stdout, stderr)."""
    state = tmp_path / "verifier-state.json"

    def go(url, *extra):
        code = VERIFY.main([url, "--state", str(state), *extra])
        out = capsys.readouterr()
        return code, out.out, out.err

    go.state = state
    return go
