"""The deploy section of invoke.yaml, parsed into typed values; and load_deploy_settings around it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from invoke.config import Config

from migrations_tasks.deploy.config import DEFAULT_SUPABASE_SERVICES, NEVER_SHIPPED, SupabaseSecrets, clean_revision
from migrations_tasks.deploy.parse import merge_environment, parse_deploy_config
from migrations_tasks.deploy.settings import deploy_actor, load_deploy_settings
from migrations_tasks.errors import ConfigError
from migrations_tasks.secret import Secret

CANARY = "canary-Zq8vT3"


def spec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"hosts": [{"name": "web1", "host": "203.0.113.10", "user": "deploy", "path": "/srv/app"}]}
    base.update(overrides)
    return base


def test_a_minimal_section_gets_the_documented_defaults() -> None:
    config = parse_deploy_config(spec())
    host = config.hosts[0]
    assert (host.name, host.address, host.user, host.port, host.path) == (
        "web1",
        "203.0.113.10",
        "deploy",
        None,
        "/srv/app",
    )
    assert config.keep_releases == 5
    assert config.transfer == "auto"
    assert config.exclude == () and NEVER_SHIPPED == (".git", ".env*")
    assert config.ssh.host_key_checking == "yes"
    assert config.ssh.batch_mode and config.ssh.multiplex
    assert not config.health.configured


def test_every_problem_is_reported_at_once_with_the_key_at_fault() -> None:
    bad = {
        "hosts": [
            {"name": "a", "host": "-oProxyCommand=x", "path": "relative/path", "port": 70000},
            {"name": "a", "local": True},
        ],
        "keep_releases": 0,
        "transfer": "ftp",
        "shared_files": ["../etc/passwd"],
        "bogus": 1,
    }
    with pytest.raises(ConfigError) as info:
        parse_deploy_config(bad)
    text = str(info.value)
    for expected in (
        "deploy.hosts[0].host",
        "deploy.hosts[0].path",
        "deploy.hosts[0].port",
        "deploy.hosts[1].name",
        "deploy.hosts[1].path",
        "deploy.keep_releases",
        "deploy.transfer",
        "deploy.shared_files[0]",
        "unknown keys: bogus",
    ):
        assert expected in text


def test_a_host_name_starting_with_a_dash_is_refused_because_ssh_would_read_it_as_an_option() -> None:
    with pytest.raises(ConfigError, match="host name or address"):
        parse_deploy_config(spec(hosts=[{"host": "-oProxyCommand=touch /tmp/x", "path": "/srv/app"}]))


def test_remote_paths_must_be_absolute_and_dedicated() -> None:
    for path in ("~/app", "app", "/", "/srv/../etc"):
        with pytest.raises(ConfigError, match="path"):
            parse_deploy_config(spec(hosts=[{"host": "h", "path": path}]))


@pytest.mark.parametrize("path", ["//", "/./", "//srv/..//", "///", "//.", "/.//./", "/srv/..", " // "])
@pytest.mark.parametrize("local", [False, True])
def test_a_deploy_path_that_normalises_to_the_root_is_refused(path: str, local: bool) -> None:
    host = {"name": "box", "local": True} if local else {"host": "h"}
    with pytest.raises(ConfigError, match=r"deploy.hosts\[0\].path must be a dedicated directory"):
        parse_deploy_config(spec(hosts=[{**host, "path": path}]))


def test_a_deploy_path_is_normalised_before_the_layout_uses_it() -> None:
    for path in ("//srv/app/", "/srv//app", "/srv/./app/.", "/srv/app///"):
        assert parse_deploy_config(spec(hosts=[{"host": "h", "path": path}])).hosts[0].path == "/srv/app"


def test_paths_with_spaces_and_quotes_are_accepted_because_every_path_is_quoted() -> None:
    config = parse_deploy_config(spec(hosts=[{"host": "h", "path": '/srv/my app\'s "dir"'}]))
    assert config.hosts[0].path == '/srv/my app\'s "dir"'


def test_a_local_host_needs_no_address_and_takes_no_user_or_port() -> None:
    config = parse_deploy_config(spec(hosts=[{"name": "box", "local": True, "path": "/tmp/app"}]))
    assert config.hosts[0].local and config.hosts[0].describe() == "box (local)"
    with pytest.raises(ConfigError, match="local"):
        parse_deploy_config(spec(hosts=[{"name": "box", "local": True, "path": "/tmp/app", "port": 22}]))


def test_host_defaults_come_from_the_section_and_hosts_override_them() -> None:
    config = parse_deploy_config(
        {
            "path": "/srv/app",
            "user": "deploy",
            "port": 2222,
            "hosts": ["a.example", {"host": "b.example", "port": 22, "path": "/srv/b"}],
        }
    )
    a, b = config.hosts
    assert (a.name, a.user, a.port, a.path) == ("a.example", "deploy", 2222, "/srv/app")
    assert (b.user, b.port, b.path) == ("deploy", 22, "/srv/b")


def test_host_key_checking_can_never_be_switched_off() -> None:
    with pytest.raises(ConfigError, match="always verified"):
        parse_deploy_config(spec(ssh={"host_key_checking": "no"}))
    for option, value in (("StrictHostKeyChecking", "no"), ("UserKnownHostsFile", "/dev/null")):
        with pytest.raises(ConfigError, match="refused"):
            parse_deploy_config(spec(ssh={"options": {option: value}}))
    assert parse_deploy_config(spec(ssh={"host_key_checking": "accept-new"})).ssh.host_key_checking == "accept-new"
    assert parse_deploy_config(spec(ssh={"host_key_checking": True})).ssh.host_key_checking == "yes"  # YAML yes
    with pytest.raises(ConfigError, match="always verified"):
        parse_deploy_config(spec(ssh={"host_key_checking": False}))  # YAML no


NULL_DEVICES = ["/dev/null", "/dev//null", "//dev/null", "/dev/./null", "/tmp/../dev/null", "/dev/zero", "none", "NUL"]


@pytest.mark.parametrize("path", NULL_DEVICES)
@pytest.mark.parametrize("checking", ["accept-new", "yes"])
def test_a_null_device_as_known_hosts_file_is_refused_however_it_is_written(path: str, checking: str) -> None:
    with pytest.raises(ConfigError, match=r"known_hosts_file\[0\] = .* is a null device"):
        parse_deploy_config(spec(ssh={"host_key_checking": checking, "known_hosts_file": path}))


@pytest.mark.parametrize("value", [*NULL_DEVICES, "/proc/self/fd/0", '~/.ssh/known_hosts "/dev//null"'])
def test_a_null_device_in_the_user_known_hosts_file_option_is_refused(value: str) -> None:
    ssh = {"host_key_checking": "accept-new", "options": {"UserKnownHostsFile": value}}
    with pytest.raises(ConfigError, match=r"options.UserKnownHostsFile = .* is a null device"):
        parse_deploy_config(spec(ssh=ssh))


def test_real_known_hosts_paths_are_accepted_even_under_dev_shm() -> None:
    for path in ("~/.ssh/known_hosts", ".ci/known_hosts", "/dev/shm/known_hosts", "/srv/devices/null"):
        assert parse_deploy_config(spec(ssh={"known_hosts_file": path})).ssh.known_hosts_files == (path,)


def load_ssh(ssh: dict[str, Any], environ: dict[str, str]) -> Any:
    return load_deploy_settings(invoke_config(spec(ssh=ssh)), environ=environ, dotenv_path=None).ssh


def test_a_known_hosts_file_that_links_to_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "known_hosts").symlink_to("/dev/null")
    for ssh in ({"known_hosts_file": str(tmp_path / "known_hosts")}, {"known_hosts_file": str(tmp_path)}):
        with pytest.raises(ConfigError, match="is not a regular file"):
            load_ssh(ssh, {})
    with pytest.raises(ConfigError, match=r"UserKnownHostsFile = .* is not a regular file"):
        load_ssh({"options": {"UserKnownHostsFile": str(tmp_path / "known_hosts")}}, {})


def test_accept_new_in_ci_needs_host_keys_from_the_environment_or_a_file_that_holds_them(tmp_path: Path) -> None:
    accept_new = {"host_key_checking": "accept-new"}
    keys, empty = tmp_path / "keys", tmp_path / "empty"
    keys.write_text("# verified 2025-11-26\n[h]:22 ssh-ed25519 AAAA\n")
    empty.write_text("# nothing yet\n\n")
    refused = [
        (accept_new, {"CI": "true"}),
        (accept_new, {"CI": "1", "DEPLOY_SSH_KNOWN_HOSTS": "  \n"}),
        ({**accept_new, "known_hosts_file": str(empty)}, {"CI": "true"}),
        ({**accept_new, "known_hosts_file": str(tmp_path / "missing")}, {"CI": "true"}),
    ]
    for ssh, environ in refused:
        with pytest.raises(ConfigError, match=r"accept-new in CI .* no host keys are provided") as info:
            load_ssh(ssh, environ)
        assert "DEPLOY_SSH_KNOWN_HOSTS" in str(info.value)
    accepted = [
        (
            {**accept_new, "known_hosts_file": str(empty)},
            {"CI": "true", "DEPLOY_SSH_KNOWN_HOSTS": "[h]:22 ssh-ed25519 A"},
        ),
        ({**accept_new, "known_hosts_file": [str(empty), str(keys)]}, {"CI": "true"}),
        ({**accept_new, "options": {"UserKnownHostsFile": str(keys)}}, {"CI": "true"}),
        (accept_new, {"CI": "false"}),
        (accept_new, {}),
        ({"host_key_checking": "yes"}, {"CI": "true"}),  # unknown keys are refused at connect: safe
    ]
    for ssh, environ in accepted:
        assert load_ssh(ssh, environ).host_key_checking in ("accept-new", "yes")


def test_accept_new_needs_a_known_hosts_file_it_can_write_to_or_create(tmp_path: Path) -> None:
    accept_new = {"host_key_checking": "accept-new"}
    missing_dir = {**accept_new, "known_hosts_file": "/nonexistent/dir/known_hosts"}
    with pytest.raises(ConfigError) as info:
        load_ssh(missing_dir, {})
    assert str(info.value).count("/nonexistent/dir/known_hosts") == 1
    assert "does not exist, nor does its directory /nonexistent/dir" in str(info.value)
    assert load_ssh({**missing_dir, "host_key_checking": "yes"}, {}).known_hosts_files  # yes only reads it
    created_later = {**accept_new, "known_hosts_file": str(tmp_path / "known_hosts")}
    assert load_ssh(created_later, {}).host_key_checking == "accept-new"


def test_accept_new_with_only_deploy_ssh_known_hosts_is_refused_because_it_would_forget_accepted_keys() -> None:
    environ = {"DEPLOY_SSH_KNOWN_HOSTS": "[other]:22 ssh-ed25519 AAAA"}
    for extra in ({}, {"CI": "true"}):
        with pytest.raises(ConfigError, match=r"the only known_hosts is DEPLOY_SSH_KNOWN_HOSTS, copied to a temp"):
            load_ssh({"host_key_checking": "accept-new"}, {**environ, **extra})
    assert load_ssh({"host_key_checking": "yes"}, environ).known_hosts is not None


def test_health_checks_accept_plain_urls_or_expectations_and_per_host_urls() -> None:
    config = parse_deploy_config(
        spec(
            hosts=[{"name": "web1", "host": "h", "path": "/srv/app", "health_urls": ["http://h:8000/health"]}],
            health={
                "urls": [
                    "https://example.com/up",
                    {
                        "url": "https://example.com/health",
                        "status": 204,
                        "body_contains": "ok",
                        "json_field": "db.status",
                        "json_value": "up",
                    },
                ],
                "interval": 0.5,
                "timeout": 2,
                "deadline": 30,
                "healthy_after": 2,
            },
        )
    )
    urls = [(c.url, c.status, c.host) for c in config.health.checks]
    assert urls == [
        ("https://example.com/up", 200, None),
        ("https://example.com/health", 204, None),
        ("http://h:8000/health", 200, "web1"),
    ]
    assert config.health.checks[1].json_field == "db.status"
    assert (config.health.interval, config.health.timeout, config.health.deadline, config.health.healthy_after) == (
        0.5,
        2,
        30,
        2,
    )


def test_health_urls_must_be_http_without_credentials() -> None:
    for url in ("ftp://x/health", "http://user:pw@x/health", "not a url"):
        with pytest.raises(ConfigError, match="health"):
            parse_deploy_config(spec(health={"urls": [url]}))


def test_supabase_health_needs_the_token_and_ref_and_keeps_the_token_out_of_reprs() -> None:
    with pytest.raises(ConfigError, match="SUPABASE_ACCESS_TOKEN and SUPABASE_PROJECT_REF"):
        parse_deploy_config(spec(health={"supabase": True}))
    secrets = SupabaseSecrets(
        project_ref="abcdefghijklmnopqrst", api_url="https://api.supabase.com", token=Secret(CANARY)
    )
    config = parse_deploy_config(spec(health={"supabase": True}), supabase=secrets)
    assert config.health.supabase is not None
    assert config.health.supabase.services == DEFAULT_SUPABASE_SERVICES
    assert CANARY not in repr(config) and CANARY not in repr(secrets)
    with pytest.raises(ConfigError, match="unknown services"):
        parse_deploy_config(spec(health={"supabase": {"services": ["db", "kafka"]}}), supabase=secrets)


def test_a_private_key_never_shows_in_the_config_repr() -> None:
    config = parse_deploy_config(spec(), private_key=Secret(CANARY), known_hosts="h ssh-ed25519 AAAA")
    assert CANARY not in repr(config) and CANARY not in str(config.ssh)


def test_only_keeps_the_named_hosts_and_their_health_urls() -> None:
    config = parse_deploy_config(
        {
            "path": "/srv/app",
            "hosts": [
                {"name": "a", "host": "a", "health_urls": ["http://a/health"]},
                {"name": "b", "host": "b", "health_urls": ["http://b/health"]},
            ],
            "health": {"urls": ["http://lb/health"]},
        }
    )
    only_b = config.only(["b"])
    assert [h.name for h in only_b.hosts] == ["b"]
    assert [c.url for c in only_b.health.checks] == ["http://lb/health", "http://b/health"]
    assert config.only(["a,b"]).hosts == config.hosts
    with pytest.raises(ConfigError, match="Unknown deploy host"):
        config.only(["c"])


def test_an_environment_replaces_the_keys_it_names() -> None:
    section = {"keep_releases": 3, "hosts": ["prod"], "environments": {"staging": {"hosts": ["staging"]}}}
    assert merge_environment(section, None) == {"keep_releases": 3, "hosts": ["prod"]}
    assert merge_environment(section, "staging") == {"keep_releases": 3, "hosts": ["staging"]}
    with pytest.raises(ConfigError, match="no deploy environment 'qa'"):
        merge_environment(section, "qa")


def test_a_git_sha_is_shortened_and_odd_characters_are_dropped_from_revisions() -> None:
    assert clean_revision("0123456789abcdef0123456789abcdef01234567") == "0123456"
    assert clean_revision("v1.2/3 beta") == "v1.23beta"
    assert clean_revision("  ") is None


# -- load_deploy_settings: the only reader of invoke.yaml and the environment --------------------------------


def invoke_config(section: dict[str, Any]) -> Config:
    return Config(overrides={"deploy": section})


def test_load_deploy_settings_reads_the_invoke_config_and_flags_win() -> None:
    config = load_deploy_settings(
        invoke_config(spec(build_dir="dist", keep_releases=3)),
        flags={"build_dir": "out", "keep_releases": 7, "transfer": "tar"},
        environ={},
        dotenv_path=None,
    )
    assert (config.build_dir, config.keep_releases, config.transfer) == ("out", 7, "tar")


def test_secrets_come_only_from_the_environment(tmp_path: Path) -> None:
    key = f"-----BEGIN OPENSSH PRIVATE KEY-----\\n{CANARY}\\n-----END OPENSSH PRIVATE KEY-----"
    config = load_deploy_settings(
        invoke_config(spec()),
        environ={"DEPLOY_SSH_KEY": key, "DEPLOY_SSH_KNOWN_HOSTS": "[h]:22 ssh-ed25519 AAAA\r\n"},
        dotenv_path=None,
    )
    assert config.ssh.private_key is not None and config.ssh.private_key.reveal() == key
    assert config.ssh.known_hosts is not None and config.ssh.known_hosts.reveal() == "[h]:22 ssh-ed25519 AAAA\n"
    assert CANARY not in repr(config)
    with pytest.raises(ConfigError, match="DEPLOY_SSH_KEY does not hold a private key"):
        load_deploy_settings(invoke_config(spec()), environ={"DEPLOY_SSH_KEY": "hunter2"}, dotenv_path=None)


def test_the_supabase_health_check_reuses_the_migrations_settings() -> None:
    config = load_deploy_settings(
        invoke_config(spec()),
        flags={"supabase": True},
        dotenv_path=None,
        environ={
            "SUPABASE_ACCESS_TOKEN": CANARY,
            "SUPABASE_PROJECT_REF": "abcdefghijklmnopqrst",
            "SUPABASE_API_URL": "http://127.0.0.1:9",
        },
    )
    sb = config.health.supabase
    assert sb is not None and sb.url == "http://127.0.0.1:9/v1/projects/abcdefghijklmnopqrst/health"
    assert sb.token.reveal() == CANARY and CANARY not in repr(config)


def test_flags_select_hosts_replace_health_urls_and_can_skip_health() -> None:
    section = {"path": "/srv/app", "hosts": ["a", "b"], "health": {"urls": ["http://lb/health"], "deadline": 9}}
    config = load_deploy_settings(
        invoke_config(section),
        dotenv_path=None,
        environ={},
        flags={"hosts": ["b"], "urls": ["http://b/health"], "deadline": "3", "health": False},
    )
    assert [h.name for h in config.hosts] == ["b"]
    assert [c.url for c in config.health.checks] == ["http://b/health"]
    assert config.health.deadline == 3 and not config.health.enabled


def test_a_missing_deploy_section_says_where_to_start() -> None:
    with pytest.raises(ConfigError, match="no 'deploy' section") as info:
        load_deploy_settings(Config(), environ={}, dotenv_path=None)
    assert "invoke.yaml.example" in str(info.value)


def test_health_urls_from_flags_need_no_deploy_section() -> None:
    config = load_deploy_settings(
        Config(), flags={"urls": ["http://127.0.0.1:1/health"]}, environ={}, dotenv_path=None, require_hosts=False
    )
    assert config.hosts == () and [c.url for c in config.health.checks] == ["http://127.0.0.1:1/health"]


def test_the_environment_flag_and_deploy_env_pick_an_environment() -> None:
    section = {"path": "/srv/app", "hosts": ["prod"], "environments": {"staging": {"hosts": ["stg"]}}}
    by_flag = load_deploy_settings(invoke_config(section), environment="staging", environ={}, dotenv_path=None)
    by_env = load_deploy_settings(invoke_config(section), environ={"DEPLOY_ENV": "staging"}, dotenv_path=None)
    assert [h.name for h in by_flag.hosts] == [h.name for h in by_env.hosts] == ["stg"]


def test_the_actor_names_who_deploys() -> None:
    assert deploy_actor({"DEPLOY_ACTOR": "release-bot"}) == "release-bot"
    assert deploy_actor({"GITHUB_ACTOR": "octocat"}) == "octocat (GitHub Actions)"
    assert deploy_actor({"USER": "alice"}).startswith("alice@")
