"""A Tryton JSON-RPC client on :class:`~connectors.http.HttpClient`.

Tryton encodes values JSON cannot hold as objects with a ``__class__`` key (``Decimal``,
``date``, ``datetime``, ``time``, ``timedelta``, ``bytes``); :func:`decode` and
:func:`encode` translate them. A session comes from ``common.db.login`` and travels as
``Authorization: Session base64(login:user_id:session_key)``.

Sessions expire (trytond's ``[session]`` ``max_age`` and ``timeout``, or an administrator
ending them); the server then refuses every call with 401 before running it. A call refused
that way logs in again once and is sent again; a refusal right after a fresh login is a
:class:`ConfigurationError`, never a loop of logins.

Tryton's JSON-RPC is one POST endpoint, so the HTTP helper cannot tell a read from a write:
every call says whether it is idempotent, and only an idempotent one is repeated after a
failure that may have reached the server (:mod:`connectors.http`). Reads (``search``,
``search_read``, ``read``, ``search_count``, ``fields_get``, ``default_get``,
``get_preferences``), ``common.*`` calls (``login`` included: a second session is
harmless), and a wizard's ``create``, ``delete`` and the execution of its ``start`` state
(which only shows a form) are idempotent; every other model method (``create``, ``write``,
``delete``, buttons such as ``post``) and every other wizard step (a step that books) is
not, unless the caller says so. Such a call is sent once; a failure after it may have
reached the server is :class:`~connectors.errors.OutcomeUnknown`.

Errors map onto the connectors error tree: a refused login or an unknown database is a
:class:`ConfigurationError` naming the setting to fix; connection failures, 5xx and
Tryton's concurrency errors are :class:`TransientError` (the HTTP helper retries the
idempotent calls first; a write whose answer was lost is its subclass ``OutcomeUnknown``);
a ``UserError`` about one record is a :class:`RecordError`. The password is a
``SecretStr`` and reaches neither a log line nor a message.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from connectors.errors import ConfigurationError, RecordError, TransientError
from connectors.http import HttpClient, Unauthorized

__all__ = ["TrytonRpc", "WizardStep", "decode", "encode", "is_idempotent"]

log = logging.getLogger(__name__)

_DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "Decimal": lambda value: Decimal(value["decimal"]),
    "date": lambda value: dt.date(value["year"], value["month"], value["day"]),
    "datetime": lambda value: dt.datetime(
        value["year"],
        value["month"],
        value["day"],
        value["hour"],
        value["minute"],
        value["second"],
        value["microsecond"],
    ),
    "time": lambda value: dt.time(
        value["hour"], value["minute"], value["second"], value["microsecond"]
    ),
    "timedelta": lambda value: dt.timedelta(seconds=value["seconds"]),
    "bytes": lambda value: base64.b64decode(value["base64"]),
}
_USER_ERRORS = frozenset({"UserError", "UserWarning"})
_TRANSIENT_ERRORS = frozenset({"ConcurrencyException", "RateLimitException", "TimeOutException"})
# Model methods that only read: repeating one changes nothing on the server.
_READ_METHODS = frozenset(
    {
        "search",
        "search_read",
        "search_count",
        "read",
        "fields_get",
        "default_get",
        "get_preferences",
        "view_get",
    }
)


def is_idempotent(method: str) -> bool:
    """Whether the JSON-RPC ``method`` may be sent again after a failure that may have
    reached the server, when its caller does not say (see the module docstring)."""
    kind, _, rest = method.partition(".")
    name = rest.rpartition(".")[2]
    if kind == "common":
        return True
    if kind == "wizard":
        return name in {"create", "delete"}
    return kind == "model" and name in _READ_METHODS


@dataclass(frozen=True, slots=True)
class WizardStep:
    """One button of a wizard run (:meth:`TrytonRpc.run_wizard`).

    ``fill`` turns the form Tryton last showed into that form's values, or returns None to
    skip the step when that form was not shown. ``idempotent`` says whether executing the
    button only shows another form (True) or may write (False, the default: a step that
    books is sent once, never repeated after a failure that may have reached the server).
    """

    button: str
    fill: Callable[[dict[str, Any]], dict[str, Any] | None]
    idempotent: bool = False


def decode(value: dict[str, Any]) -> Any:
    """A JSON object from Tryton as the Python value it stands for (``object_hook``)."""
    kind = value.get("__class__")
    decoder = _DECODERS.get(kind) if isinstance(kind, str) else None
    return decoder(value) if decoder is not None else value


def encode(value: Any) -> Any:
    """``value`` in Tryton's JSON form, recursively through lists, tuples and dicts."""
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, bytes):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode()}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        return {
            "__class__": "datetime",
            **{
                part: getattr(moment, part)
                for part in ("year", "month", "day", "hour", "minute", "second", "microsecond")
            },
        }
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    return value


class TrytonRpc:
    """One logged-in JSON-RPC session with one Tryton database."""

    def __init__(
        self,
        http: HttpClient,
        *,
        database: str,
        username: str,
        password: SecretStr,
    ) -> None:
        self._http = http
        self._database = database
        self._username = username
        self._password = password
        self._ids = itertools.count(1)
        self._authorization: str | None = None
        self.context: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"TrytonRpc(database={self._database!r}, username={self._username!r})"

    @property
    def logged_in(self) -> bool:
        return self._authorization is not None

    def login(self) -> int:
        """Open a session and load the user's preferences as the context; the user id."""
        try:
            user_id, session, *_bus = self._post(
                "common.db.login",
                [self._username, {"password": self._password.get_secret_value()}, "en"],
                idempotent=True,
            )
        except ConfigurationError as refused:
            raise ConfigurationError(
                f"Tryton refused the login of user {self._username!r} to database "
                f"{self._database!r} ({refused}): check the connection's `database`, "
                "`username` and the password in its `password_env` variable"
            ) from None
        token = base64.b64encode(f"{self._username}:{user_id}:{session}".encode()).decode()
        self._authorization = f"Session {token}"
        self.context = dict(
            self._fresh("model.res.user.get_preferences", [True, {}], idempotent=True)
        )
        log.info("logged in to Tryton database %s as %s", self._database, self._username)
        return int(user_id)

    def call(
        self,
        method: str,
        *params: Any,
        record_id: str | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """The result of ``method(*params)``; ``record_id`` names the record a UserError
        is about, making it a :class:`RecordError` instead of a configuration problem.
        ``idempotent`` says whether the call may be repeated after a failure that may have
        reached the server; None leaves it to :func:`is_idempotent`.

        Without a session, or with one the server no longer accepts (401), it logs in
        first and sends the call in the new session (see the module docstring).
        """
        repeatable = is_idempotent(method) if idempotent is None else idempotent
        if method.startswith("common."):
            return self._post(method, list(params), record_id=record_id, idempotent=repeatable)
        if self._authorization is not None:
            try:
                return self._post(method, list(params), record_id=record_id, idempotent=repeatable)
            except Unauthorized:
                log.info(
                    "Tryton session of %s on %s has expired; logging in again",
                    self._username,
                    self._database,
                )
                self._authorization = None
        self.login()
        return self._fresh(method, list(params), record_id=record_id, idempotent=repeatable)

    def _fresh(
        self, method: str, params: list[Any], *, record_id: str | None = None, idempotent: bool
    ) -> Any:
        """``_post`` in a session just opened: a 401 now is final, whatever the call."""
        try:
            return self._post(method, params, record_id=record_id, idempotent=idempotent)
        except Unauthorized:
            raise ConfigurationError(
                f"Tryton refused {method} in a session it had just opened for user "
                f"{self._username!r} on database {self._database!r}: check that the user is "
                "active and that the server's [session] settings let sessions last"
            ) from None

    def model(
        self,
        model: str,
        method: str,
        *params: Any,
        record_id: str | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """``model.<model>.<method>(*params, context)`` with the session's context;
        ``idempotent`` as in :meth:`call` (None: only the read methods are)."""
        return self.call(
            f"model.{model}.{method}",
            *params,
            self.context,
            record_id=record_id,
            idempotent=idempotent,
        )

    def search_read(
        self,
        model: str,
        domain: Sequence[Any],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Sequence[tuple[str, str]] = (("id", "ASC"),),
        fields: Sequence[str],
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.model(
            model, "search_read", domain, offset, limit, order, list(fields)
        )
        return rows

    def search(
        self,
        model: str,
        domain: Sequence[Any],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Sequence[tuple[str, str]] = (("id", "ASC"),),
    ) -> list[int]:
        ids: list[int] = self.model(model, "search", domain, offset, limit, order)
        return ids

    def read(self, model: str, ids: Sequence[int], fields: Sequence[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        rows: list[dict[str, Any]] = self.model(model, "read", list(ids), list(fields))
        return rows

    def run_wizard(
        self,
        wizard: str,
        record: tuple[str, int],
        steps: Sequence[WizardStep],
        *,
        record_id: str | None = None,
        active_ids: Sequence[int] | None = None,
        start_idempotent: bool = True,
    ) -> None:
        """Run ``wizard.<wizard>`` on ``record`` (model, id) through ``steps``, then delete it.

        ``active_ids`` are the records it works on (default: ``record``'s id alone).
        The wizard's ``start`` state is executed first, as idempotent: in most wizards it
        only shows a form; for one whose start books (a transition, such as
        ``account.move.reconcile_lines``) pass ``start_idempotent=False``.
        Each :class:`WizardStep` is a button (the state to execute) and a function from the
        form Tryton last showed (``view.defaults``, without the ``x.`` helper keys) to that
        form's values, stored under the name of the form's state, or None to skip the step
        when that form was not shown (a wizard that ends early, as the pay wizard does for a
        full payment). Every execute sends all the values entered so far, as Tryton's client
        does; a step not marked idempotent is sent once (see the module docstring).
        """
        model, active_id = record
        context = {
            **self.context,
            "active_model": model,
            "active_id": active_id,
            "active_ids": list(active_ids) if active_ids is not None else [active_id],
        }
        session, start, _end = self.call(f"wizard.{wizard}.create", self.context)
        try:
            data: dict[str, Any] = {}
            result = self.call(
                f"wizard.{wizard}.execute",
                session,
                data,
                start,
                context,
                record_id=record_id,
                idempotent=start_idempotent,
            )
            for step in steps:
                view = result.get("view") if isinstance(result, dict) else None
                if not view:
                    return
                form = {
                    key: value
                    for key, value in (view.get("defaults") or {}).items()
                    if not key.endswith(".")
                }
                values = step.fill(form)
                if values is None:
                    return
                data[view.get("state") or start] = values
                result = self.call(
                    f"wizard.{wizard}.execute",
                    session,
                    data,
                    step.button,
                    context,
                    record_id=record_id,
                    idempotent=step.idempotent,
                )
        finally:
            self.call(f"wizard.{wizard}.delete", session, self.context)

    def _post(
        self, method: str, params: list[Any], *, record_id: str | None = None, idempotent: bool
    ) -> Any:
        body = {"id": next(self._ids), "method": method, "params": encode(params)}
        headers = {"Authorization": self._authorization} if self._authorization else {}
        response = self._http.post(
            f"/{self._database}/rpc/", json=body, headers=headers, idempotent=idempotent
        )
        try:
            reply = response.json(object_hook=decode)
        except ValueError:
            raise TransientError(
                f"Tryton answered {method} with something that is not JSON",
                status=response.status_code,
            ) from None
        error = reply.get("error") if isinstance(reply, dict) else None
        if error:
            raise _error(method, error, record_id)
        return reply.get("result")


def _error(method: str, error: Any, record_id: str | None) -> Exception:
    """The connectors exception for a JSON-RPC ``error`` member."""
    kind = error[0] if isinstance(error, list) and error else str(error)
    details = error[1] if isinstance(error, list) and len(error) > 1 else None
    if kind in _USER_ERRORS:
        message = details[0] if isinstance(details, list) and details else str(details)
        if record_id is not None:
            return RecordError(record_id, f"Tryton refused {method}: {message}")
        return ConfigurationError(f"Tryton refused {method}: {message}")
    if kind in _TRANSIENT_ERRORS:
        return TransientError(f"Tryton answered {method} with {kind}")
    if kind == "LoginException":
        return ConfigurationError(
            f"Tryton asks for more than a password to log in ({method}): give the "
            "connection's user a password-only login"
        )
    first_line = str(kind).splitlines()[0] if kind else "unknown error"
    return TransientError(f"Tryton failed on {method}: {first_line}")
