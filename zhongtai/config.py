"""Settings: every database URL, port and upstream, from ``zhongtai.toml`` plus ``ZHONGTAI_*``.

Precedence, lowest first: built-in defaults, the config file, environment variables, then the
``--workspace`` CLI option. The config file is ``$ZHONGTAI_CONFIG`` or ``./zhongtai.toml``.
Environment variables are named ``ZHONGTAI_<SECTION>_<KEY>``, for example
``ZHONGTAI_DATABASES_LEGACY`` or ``ZHONGTAI_SERVE_PROXY_PORT``. Database URLs may use the
``{workspace}`` placeholder; SQLite files live in the workspace by default.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from zhongtai.errors import ConfigError

DEFAULT_WORKSPACE = ".zhongtai"
CONFIG_FILE = "zhongtai.toml"
CENTERS = ("store", "product", "member", "order", "payment")
DATABASES = ("legacy", "state", *CENTERS)


class Secret(str):
    """A string that masks itself when printed or logged."""

    def __repr__(self) -> str:
        return "Secret('****')" if self else "Secret('')"

    def __str__(self) -> str:
        return "****" if self else ""

    def reveal(self) -> str:
        return str.__str__(self)


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, safe to print or log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"
    proxy_port: int = 8000
    legacy_port: int = 8001
    platform_port: int = 8002
    channel_port: int = 8009


@dataclass(frozen=True)
class LegacySettings:
    # Largest request body the legacy app accepts, in bytes (bigger bodies get 413).
    max_body_bytes: int = 1_048_576
    # The simulated channel API the compensation pull calls; empty means serve.host:channel_port.
    channel_api: str = ""


@dataclass(frozen=True)
class ProxySettings:
    # Largest request body the strangler proxy forwards, in bytes (bigger bodies get 413).
    max_body_bytes: int = 1_048_576
    # Largest upstream response body the proxy buffers (to compare it and key on it), in bytes;
    # a bigger one gets 502. Also the most a chunked request body is buffered before its 413.
    max_response_bytes: int = 67_108_864
    # Shadow copies in flight per proxy process; beyond that they are dropped and counted.
    shadow_concurrency: int = 64
    # How long a shadow copy or a canary platform read may take, in milliseconds.
    upstream_timeout_ms: int = 5_000
    # Add X-Zhongtai-Served-By: legacy|platform to every proxied response.
    served_by_header: bool = True
    # Percent of shadowed reads also sent to legacy twice (A/A noise), unless a route sets aa_rate.
    aa_percent: int = 5
    # How often proxies look for route changes in the state database, in milliseconds.
    reload_ms: int = 500
    # Route file seeded into the state database the first time; empty: the shipped table.
    routes_file: str = ""
    # Path of the Prometheus text endpoint on the proxy port; empty turns it off.
    metrics_path: str = "/_zhongtai/metrics"
    # Shadow comparison records older than this are deleted by the proxies (0 keeps them all).
    shadow_retention_hours: int = 72


@dataclass(frozen=True)
class MigrateSettings:
    # Agreed states (the row both systems last held, kept by sync to merge concurrent writes)
    # not renewed for this many days are deleted by sync (0 keeps them all).
    agreed_retention_days: int = 14


@dataclass(frozen=True)
class Settings:
    workspace: Path
    databases: Mapping[str, str]
    serve: ServeSettings = field(default_factory=ServeSettings)
    legacy: LegacySettings = field(default_factory=LegacySettings)
    proxy: ProxySettings = field(default_factory=ProxySettings)
    migrate: MigrateSettings = field(default_factory=MigrateSettings)
    operator_key: Secret = field(default_factory=lambda: Secret(""))
    config_file: Path | None = None

    def database(self, name: str) -> str:
        try:
            return self.databases[name]
        except KeyError:
            raise ConfigError(
                f"unknown database {name!r}", hint=f"choose one of: {', '.join(DATABASES)}"
            ) from None

    def url_for(self, service: str) -> str:
        """Base HTTP URL of a served component: legacy, platform, proxy or channel."""
        port = getattr(self.serve, f"{service}_port", None)
        if port is None:
            raise ConfigError(
                f"unknown service {service!r}", hint="legacy, platform, proxy, channel"
            )
        return f"http://{self.serve.host}:{port}"

    @property
    def channel_api(self) -> str:
        return self.legacy.channel_api or self.url_for("channel")

    def masked_databases(self) -> dict[str, str]:
        return {name: mask_url(url) for name, url in self.databases.items()}


def _coerce(section: str, key: str, value: object, default: object) -> object:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{section}.{key} must be true or false, got {value!r}")
    if isinstance(default, int):
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(f"{section}.{key} must be an integer, got {value!r}") from None
    return str(value)


def _read_file(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist", hint="run `zhongtai init` to write one"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _section(
    name: str, defaults: object, file_values: Mapping, env: Mapping[str, str]
) -> dict[str, object]:
    values: dict[str, object] = {}
    unknown = set(file_values) - set(vars(defaults))
    if unknown:
        raise ConfigError(
            f"unknown setting(s) in [{name}]: {', '.join(sorted(unknown))}",
            hint=f"known: {', '.join(vars(defaults))}",
        )
    for key, default in vars(defaults).items():
        raw = env.get(f"ZHONGTAI_{name.upper()}_{key.upper()}", file_values.get(key))
        if raw is not None:
            values[key] = _coerce(name, key, raw, default)
    return values


def load_settings(
    workspace: Path | str | None = None,
    *,
    config_file: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build the settings for this process. Pure apart from reading the config file."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    path: Path | None = None
    if config_file or env.get("ZHONGTAI_CONFIG"):
        path = Path(config_file or env["ZHONGTAI_CONFIG"])
    elif (cwd / CONFIG_FILE).is_file():
        path = cwd / CONFIG_FILE
    data = _read_file(path) if path else {}
    known = {"workspace", "databases", "serve", "legacy", "proxy", "migrate", "security"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(
            f"unknown section(s) in {path}: {', '.join(sorted(unknown))}",
            hint=f"known: {', '.join(sorted(known))}",
        )

    ws = Path(
        workspace or env.get("ZHONGTAI_WORKSPACE") or data.get("workspace") or DEFAULT_WORKSPACE
    )
    if not ws.is_absolute():
        ws = (cwd / ws).resolve()

    file_dbs = data.get("databases", {})
    unknown_dbs = set(file_dbs) - set(DATABASES)
    if unknown_dbs:
        raise ConfigError(
            f"unknown database(s) in [databases]: {', '.join(sorted(unknown_dbs))}",
            hint=f"known: {', '.join(DATABASES)}",
        )
    databases: dict[str, str] = {}
    for name in DATABASES:
        url = env.get(f"ZHONGTAI_DATABASES_{name.upper()}") or file_dbs.get(name)
        url = (url or f"sqlite:///{{workspace}}/{name}.db").replace("{workspace}", str(ws))
        try:
            make_url(url)
        except (ArgumentError, ValueError):
            raise ConfigError(
                f"database URL for {name!r} is not a SQLAlchemy URL: {mask_url(url)}",
                hint="use e.g. sqlite:///path.db, postgresql+psycopg://user@host/db "
                "or mysql+pymysql://user@host/db",
            ) from None
        databases[name] = url

    serve = ServeSettings(**_section("serve", ServeSettings(), data.get("serve", {}), env))
    legacy = LegacySettings(**_section("legacy", LegacySettings(), data.get("legacy", {}), env))
    proxy = ProxySettings(**_section("proxy", ProxySettings(), data.get("proxy", {}), env))
    migrate = MigrateSettings(
        **_section("migrate", MigrateSettings(), data.get("migrate", {}), env)
    )
    if migrate.agreed_retention_days < 0:
        raise ConfigError(
            f"migrate.agreed_retention_days must be 0 or more, got {migrate.agreed_retention_days}",
            hint="0 keeps every agreed state; 14 (the default) forgets those quiet for 14 days",
        )
    security = data.get("security", {})
    key = env.get("ZHONGTAI_SECURITY_OPERATOR_KEY", security.get("operator_key", ""))
    return Settings(
        workspace=ws,
        databases=databases,
        serve=serve,
        legacy=legacy,
        proxy=proxy,
        migrate=migrate,
        operator_key=Secret(key),
        config_file=path,
    )


CONFIG_TEMPLATE = """\
# zhongtai.toml: settings for the zhongtai toolkit.
# Every value can also be set with an environment variable ZHONGTAI_<SECTION>_<KEY>,
# for example ZHONGTAI_DATABASES_LEGACY or ZHONGTAI_SERVE_PROXY_PORT.

# Folder for SQLite files, logs, the traffic log and reports (or --workspace / ZHONGTAI_WORKSPACE).
workspace = ".zhongtai"

[databases]
# Any SQLAlchemy URL. {workspace} expands to the workspace folder.
# A realistic pair: legacy on MariaDB, centers on PostgreSQL, e.g.
#   legacy = "mysql+pymysql://root@127.0.0.1:3306/o2o?charset=utf8mb4"
#   order  = "postgresql+psycopg://postgres@127.0.0.1:5432/order_db"
legacy  = "sqlite:///{workspace}/legacy.db"    # the monolith's one database
state   = "sqlite:///{workspace}/state.db"     # the toolkit's own: routes, audit, checkpoints
store   = "sqlite:///{workspace}/store.db"     # 门店中心 store center
product = "sqlite:///{workspace}/product.db"   # 商品中心 product center
member  = "sqlite:///{workspace}/member.db"    # 会员中心 member center
order   = "sqlite:///{workspace}/order.db"     # 订单中心 order center
payment = "sqlite:///{workspace}/payment.db"   # 支付中心 payment center

[serve]
host = "127.0.0.1"
proxy_port = 8000      # the strangler proxy clients talk to
legacy_port = 8001     # the legacy monolith
platform_port = 8002   # the middle platform's application layer
channel_port = 8009    # the simulated Meituan/Eleme open API (for compensation pulls)

[legacy]
max_body_bytes = 1048576   # larger request bodies are refused with 413
# channel_api = "http://127.0.0.1:8009"   # where the compensation pull asks for missed orders

[proxy]
max_body_bytes = 1048576   # larger request bodies get 413 from the strangler proxy
max_response_bytes = 67108864  # larger upstream responses get 502 (the proxy buffers bodies)
shadow_concurrency = 64    # shadow copies in flight per proxy process; more are dropped, counted
served_by_header = true    # X-Zhongtai-Served-By: legacy|platform on every proxied response
aa_percent = 5             # % of shadowed reads sent to legacy twice to measure field noise

[migrate]
agreed_retention_days = 14 # sync forgets an order's agreed state after this many quiet days

[security]
# Signs operator control headers (forced side, dry-run marker). Prefer the environment:
#   export ZHONGTAI_SECURITY_OPERATOR_KEY=...
operator_key = ""
"""
