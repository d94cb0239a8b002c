"""The error type for bad input.

Anything wrong with what the user gave us (a file, a line in it, an option) raises an
:class:`InputError` whose message names the file and, where there is one, the line.
The command line prints these without a traceback; anything else is a bug.
"""


class InputError(Exception):
    """Bad input; the message names the file (and line) at fault."""
