import sys
import pytest
from tests.support import running_server
def test_dead_server_fails_with_log(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="boom exited \\(3\\):\n.*oops"):
        with running_server([sys.executable, "-c", "print('oops'); raise SystemExit(3)"], ready=lambda: False,
                            log_path=tmp_path / "log", timeout_s=10, name="boom"):
            pass
