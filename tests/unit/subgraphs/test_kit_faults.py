"""Transient faults are named for clients (SERVICE_UNAVAILABLE, retryable; a lost
COMMIT OUTCOME_UNKNOWN); anything else stays a defect."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import redis.exceptions
from tortoise.exceptions import OperationalError

from subgraphs.kit._postgres import CommitOutcomeUnknown
from subgraphs.kit.faults import is_transient, translate_fault


def _wrapped(inner: BaseException) -> BaseException:
    # Tortoise wraps what asyncpg raises.
    try:
        try:
            raise inner
        except BaseException as exc:
            raise OperationalError(str(exc)) from exc
    except OperationalError as outer:
        return outer


def test_a_dropped_connection_is_retryable_service_unavailable() -> None:
    for fault in (
        asyncpg.exceptions.ConnectionDoesNotExistError("closed"),
        asyncpg.exceptions.AdminShutdownError("terminating"),
        asyncpg.exceptions.DeadlockDetectedError("deadlock"),
        asyncpg.InterfaceError("connection is closed"),
        ConnectionRefusedError(111, "refused"),
        redis.exceptions.ConnectionError("gone"),
    ):
        error = translate_fault(_wrapped(fault))
        assert error is not None, fault
        assert error.extensions == {"code": "SERVICE_UNAVAILABLE", "retryable": True}


def test_a_lost_commit_is_outcome_unknown_retryable_only_with_a_key() -> None:
    lost = CommitOutcomeUnknown("connection lost during COMMIT")
    keyed = translate_fault(lost, idempotency_key=True)
    bare = translate_fault(lost)
    assert keyed is not None
    assert bare is not None
    assert keyed.extensions == {"code": "OUTCOME_UNKNOWN", "retryable": True}
    assert bare.extensions == {"code": "OUTCOME_UNKNOWN", "retryable": False}


def test_defects_and_deployment_faults_are_not_transient() -> None:
    for defect in (
        RuntimeError("bug"),
        KeyError("x"),
        PermissionError(13, "denied"),
        FileNotFoundError(2, "missing"),
        asyncpg.exceptions.UndefinedTableError("no such table"),
    ):
        assert not is_transient(defect), defect
        assert translate_fault(_wrapped(defect)) is None, defect
