"""What every command a user runs shares: one clear line and a non-zero exit on bad input, never a traceback.

A command raises :class:`UsageError` (exit 2) for what the user typed and :class:`CommandError` (exit 1) for what
it found; :func:`run` turns those, and the AWS and file errors a user can cause (no credentials, no region, access
denied, a missing stack, a missing or unreadable file), into one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)


class CommandError(Exception):
    """Something the command found (a stack without the output, an empty dataset): exit 1."""


class UsageError(CommandError):
    """Something the user typed (a missing argument, a path that is not a file): exit 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line naming the command, not the usage block and the error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def session(factory: Callable[..., Any] | None = None) -> Any:
    """A boto3 session in the region the user chose: AWS_REGION (what the AWS CLI v2 and SDKs honour) or
    AWS_DEFAULT_REGION; botocore alone reads only the latter."""
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    return (factory or boto3.session.Session)(region_name=region)


def describe(error: BaseException) -> tuple[str, int]:
    """(the one line, the exit code) for an error a user can cause."""
    if isinstance(error, UsageError):
        return str(error), 2
    if isinstance(error, CommandError):
        return str(error), 1
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return "no AWS credentials found: set AWS_PROFILE or run `aws configure` / `aws sso login`", 1
    if isinstance(error, NoRegionError):
        return "no AWS region set: export AWS_REGION=<region> (the region the stack is deployed in)", 1
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach AWS: {error}", 1
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "Error")
        message = error.response.get("Error", {}).get("Message", "")
        operation = getattr(error, "operation_name", "the call")
        return f"AWS refused {operation}: {code}: {message}".rstrip(": "), 1
    if isinstance(error, BotoCoreError):
        return f"AWS error: {error}", 1
    if isinstance(error, FileNotFoundError):
        return f"no such file: {error.filename}", 2
    if isinstance(error, IsADirectoryError):
        return f"is a directory, not a file: {error.filename}", 2
    if isinstance(error, PermissionError):
        return f"permission denied: {error.filename}", 1
    if isinstance(error, UnicodeDecodeError):
        return "not a text file (UTF-8): is it a binary file?", 2
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename or ''}", 1
    raise error


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Run a command's ``main``; an error a user can cause becomes ``error: <line>`` on stderr and its exit code."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (CommandError, BotoCoreError, ClientError, OSError, UnicodeDecodeError) as error:
        line, code = describe(error)
        print(f"error: {' '.join(line.split())}", file=sys.stderr)
        return code
