"""The one exception family for problems a user can fix.

Every message says what is wrong and how to fix it. Pages show these with `st.error`, the CLI prints them
and exits 2. Anything that is not a SynthError is a bug and propagates.
"""

from __future__ import annotations


class SynthError(Exception):
    """A problem the user can fix (bad input, missing key, bad setting); the message says how."""


class InputError(SynthError):
    """A file or table of posts that cannot be read or used. The message names the file."""


class ConfigError(SynthError):
    """A setting, option or missing credential that must be changed."""


class ServiceError(SynthError):
    """A server the user pointed synth at (an embedding server...) refused a request or stayed unreachable
    after the retries. The message names the server and what to check."""
