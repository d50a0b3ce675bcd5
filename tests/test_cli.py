import subprocess
import sys

from synth.cli import SUBCOMMANDS


def test_help_lists_every_subcommand() -> None:
    result = subprocess.run([sys.executable, "-m", "synth", "--help"], capture_output=True, text=True, check=True)
    for name in SUBCOMMANDS:
        assert name in result.stdout
