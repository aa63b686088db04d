"""Imported first by the fork server that forks the worker processes (Linux), and only there.

When its last client process is gone the server raises ``SystemExit``, and a normal exit
would tear down pandas, scipy and statsmodels module by module: 0.2-0.3 s after the command
itself has finished, while the server still holds the command's stdout and stderr. A shell
pipe or a ``subprocess.run(..., capture_output=True)`` waits for that. The server has
nothing to flush or save, so it leaves at once. Processes forked from it never run atexit
handlers (multiprocessing ends them with ``os._exit``), so this changes nothing for workers.
"""

import atexit
import os

atexit.register(os._exit, 0)
