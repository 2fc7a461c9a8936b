"""User-facing errors: one base class, one exit code per kind, turned into one message by the CLI.

Every error a user can cause by what they pass (a file, a setting, a parameter) derives from
:class:`KhuyencongError`. The CLI prints ``error: <message>`` and exits with the class's
``exit_code``; it never shows a traceback for these. Each subclass also keeps the built-in base
it had (``ValueError``, ``RuntimeError``) so existing ``except ValueError`` callers still work.

Which to raise: a plain ``ValueError`` means the code was called wrongly (an argument outside its
domain, a package file only a developer edits that is inconsistent): it is a bug, shown with its
traceback (exit 1). Whatever the user can fix — the text or content of a file they supply or edit,
a condition of their dataset that makes an estimate impossible, the machine — is a
:class:`KhuyencongError` subclass (:class:`InputError`, :class:`ConfigurationError`,
:class:`EnvironmentProblem`), shown as one ``error:`` line.

Exit codes (also in the README):

====  ==========================================================
0     success
1     a notebook run failed, or validation found problems
2     bad input: a file, a value, a parameter, a command-line argument or ``reports.yml``,
      or a file over a limit of :mod:`khuyencong.limits`
3     another run holds the reports lock
5     environment: disk full, read-only folder, permission denied, a rename across file
      systems, a runner folder that is a symbolic link, missing program
====  ==========================================================
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3
EXIT_ENVIRONMENT = 5
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


class KhuyencongError(Exception):
    """Base of every error whose message is meant for the user (no traceback)."""

    exit_code = EXIT_BAD_INPUT


class InputError(KhuyencongError, ValueError):
    """A file, value or parameter the user passed cannot be used as it is."""


class ConfigurationError(KhuyencongError, ValueError):
    """A configuration file (``reports.yml``, a mapping) or a command-line filter is wrong."""


class EnvironmentProblem(KhuyencongError, RuntimeError):
    """The machine cannot do what was asked: disk full, read-only folder, missing program."""

    exit_code = EXIT_ENVIRONMENT
