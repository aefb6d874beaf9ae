"""Secret: a value that never shows itself."""

from __future__ import annotations

import pickle

import pytest

from migrations_tasks.secret import Secret

CANARY = "sbp_CANARY_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def test_secret_never_shows_its_value() -> None:
    secret = Secret(CANARY)
    assert str(secret) == "***"
    assert repr(secret) == "Secret('***')"
    assert CANARY not in f"{secret} {secret!r} {[secret]} { ({'token': secret}) }"
    assert secret.reveal() == CANARY


def test_secret_compares_by_value_and_hashes() -> None:
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert len({Secret("a"), Secret("a")}) == 1


def test_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(CANARY))
