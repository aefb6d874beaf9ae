"""Named targets and groups of invoke.yaml: read into Target values, validated all at once, selected by --target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrations_tasks.config.settings import Settings, load_settings
from migrations_tasks.errors import ConfigError

REF_A, REF_B, REF_C = "a" * 20, "b" * 20, "c" * 20
ENV = {
    "SUPABASE_ACCESS_TOKEN": "sbp_default",
    "SUPABASE_ACCESS_TOKEN_EU": "sbp_eu",
    "LOCAL_DB_URL": "postgresql://u@localhost/db",
}


def settings(section: dict[str, Any], env: dict[str, str] | None = None, **flags: Any) -> Settings:
    return load_settings({"migrations": section}, flags=flags, environ=ENV if env is None else env, dotenv_path=None)


def test_targets_and_groups_select_where_each_goes_with_its_own_policy(tmp_path: Path) -> None:
    tenants = tmp_path / "tenants.txt"
    tenants.write_text(f"# tenants\n{REF_C}\nstaging\n\n", encoding="utf-8")
    s = settings(
        {
            "lock_timeout": "3s",
            "targets": {
                "staging": {"project_ref": REF_A},
                "prod-eu": {"project_ref": REF_B, "token_env": "SUPABASE_ACCESS_TOKEN_EU", "lock_timeout": "5s"},
                "local": {"transport": "postgres", "db_url_env": "LOCAL_DB_URL"},
            },
            "target_groups": {"prod": ["prod-eu"], "tenants": {"file": str(tenants)}},
        },
        target="prod,tenants,local",
    )
    chosen = s.select("prod,tenants,local")
    assert [c.target.label for c in chosen] == ["prod-eu", REF_C, "staging", "local"]
    eu, tenant, staging, local = chosen
    assert (eu.project_ref, eu.access_token and eu.access_token.reveal(), eu.lock_timeout) == (REF_B, "sbp_eu", "5s")
    assert (tenant.project_ref, tenant.access_token and tenant.access_token.reveal()) == (REF_C, "sbp_default")
    assert (staging.project_ref, staging.lock_timeout) == (REF_A, "3s")
    assert local.transport == "postgres" and local.db_url is not None and local.access_token is None
    assert "sbp_eu" in eu.secrets() and "sbp_eu" not in repr(eu)


def test_every_bad_target_entry_is_listed_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(
            {
                "targets": {
                    "bad-ref": {"project_ref": "nope"},
                    "odd": {"project_ref": REF_A, "colour": "red", "batch_size": 0},
                    "pg": {"transport": "postgres"},
                    "secret-in-place": {"project_ref": REF_B, "token_env": "sbp-a-real-token!"},
                },
                "target_groups": {"g": ["ghost"], "f": {"file": str(tmp_path / "missing.txt")}},
            }
        )
    text = str(caught.value)
    for expected in (
        "targets.bad-ref.project_ref",
        "unknown keys: colour",
        "targets.odd.batch_size",
        "no db_url_env",
        "token_env must name an environment variable",
        "unknown targets: ghost",
        "cannot be read",
    ):
        assert expected in text, expected
    assert caught.value.exit_code == 3


def test_selecting_unknown_names_and_targets_without_secrets_names_all_of_them() -> None:
    s = settings({"targets": {"eu": {"project_ref": REF_B, "token_env": "TOKEN_EU"}}}, env={}, target="eu")
    with pytest.raises(ConfigError) as caught:
        s.select("eu,nowhere")
    assert "TOKEN_EU (the access token of target eu)" in str(caught.value)
    assert "'nowhere' is neither a target, a group nor a project ref (known: eu)" in str(caught.value)


def test_a_bare_project_ref_is_a_target_with_the_default_token() -> None:
    (only,) = settings({}, target=REF_A).select(REF_A)
    assert (only.project_ref, only.transport, only.target.name) == (REF_A, "api", REF_A)
