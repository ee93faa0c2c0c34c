"""Scenarios: the proposed data use to decide, validated and resolved to term ids.

Built from the JSON contract (a dict) or keyword arguments. Unknown fields and unknown terms
are input errors with a suggestion; they are never decided.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from attrs import field, frozen

from coopcheck.dsl.errors import CoopcheckError, Diagnostic, did_you_mean

from coopcheck.core.vocabulary import UnknownTerm, Vocabulary, quote

ACTIONS = ("use", "collect", "share", "publish")
FIELDS = ("coop", "action", "subject", "data", "recipient", "purpose", "consent", "exception")


@frozen
class Scenario:
    """A proposed data use, every term resolved to its id."""

    action: str
    items: tuple[str, ...]
    purpose: str
    subject: str = "member"
    recipient: str | None = None
    consent: bool = False
    exception: str | None = None
    coop: str | None = None
    #: what decides it, as one plain tuple (hashed in C): the key of the fast path's memo
    key: tuple = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problem = _shape_problem(self)
        if problem is not None:
            raise _input_error("E404", f"field `{problem[0]}` {problem[1]}",
                               "build scenarios with coopcheck.make_scenario(policy, ...) or a dict in the JSON "
                               "contract", field=problem[0])
        object.__setattr__(self, "key", (self.action, self.subject, self.items, self.recipient, self.purpose,
                                         self.consent, self.exception))

    def with_consent(self) -> "Scenario":
        """The same scenario with consent given."""
        return Scenario(self.action, self.items, self.purpose, self.subject, self.recipient,
                        True, self.exception, self.coop)

    def only(self, item: str) -> "Scenario":
        """The same scenario about one item."""
        return Scenario(self.action, (item,), self.purpose, self.subject, self.recipient,
                        self.consent, self.exception, self.coop)

    def to_json(self) -> dict:
        """The JSON contract form, with ids."""
        return {"coop": self.coop, "action": self.action, "subject": self.subject,
                "data": list(self.items), "recipient": self.recipient, "purpose": self.purpose,
                "consent": self.consent, "exception": self.exception}


def _shape_problem(sc: "Scenario") -> tuple[str, str] | None:
    """What is wrong with the types of a scenario's fields (ids are checked against the policy
    that decides it), or None."""
    if not isinstance(sc.action, str) or sc.action not in ACTIONS:
        return "action", "must be one of " + ", ".join(ACTIONS)
    if type(sc.items) is not tuple or not sc.items or not all(isinstance(i, str) and i for i in sc.items):
        return "data", "must be a non-empty tuple of data item ids"
    for name in ("purpose", "subject"):
        value = getattr(sc, name)
        if not isinstance(value, str) or not value:
            return name, "must be a term id"
    for name in ("recipient", "exception", "coop"):
        value = getattr(sc, name)
        if value is not None and (not isinstance(value, str) or not value):
            return name, "must be a term id or None"
    if type(sc.consent) is not bool:
        return "consent", "must be True or False"
    return None


def _input_error(code: str, message: str, help: str | None = None, field: str | None = None) -> CoopcheckError:
    return CoopcheckError([Diagnostic(code, message, None, help)], field=field)


def scenario_from_dict(data: Mapping[str, Any], vocab: Vocabulary, *, coop: str | None = None,
                       resolve: Callable[[str, str], str] | None = None) -> Scenario:
    """Validate a scenario in the JSON contract and resolve its terms (with ``resolve``, a
    remembering stand-in for ``vocab.resolve``, when given).

    >>> from coopcheck.core.api import load_policy
    >>> v = load_policy("aizu").vocabulary
    >>> s = scenario_from_dict({"action": "share", "data": ["購買履歴"], "recipient": "日本生協連",
    ...                         "purpose": "delivery"}, v)
    >>> s.items, s.recipient, s.subject, s.consent
    (('purchase_history',), 'jccu', 'member', False)
    """
    if not isinstance(data, Mapping):
        raise _input_error("E404", "a scenario must be a JSON object",
                           'e.g. {"action": "use", "data": ["name"], "purpose": "delivery"}')
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        name = quote(str(unknown[0]))
        raise _input_error("E401", f"unknown field `{name}`",
                           did_you_mean(name, FIELDS) or "fields: " + ", ".join(FIELDS), field=name)

    def text_field(name: str, required: bool) -> str | None:
        value = data.get(name)
        if value is None:
            if required:
                raise _input_error("E403", f"missing field `{name}`", None, field=name)
            return None
        if not isinstance(value, str) or not value.strip():
            raise _input_error("E404", f"field `{name}` must be a non-empty string", None, field=name)
        return value

    lookup = resolve or vocab.resolve

    def term(name: str, value: str, kind: str) -> str:
        try:
            return lookup(value, kind)
        except UnknownTerm as err:
            raise _input_error("E402", err.message, err.help, field=name) from None

    action = text_field("action", True)
    action_key = action.strip().lower()
    if action_key not in ACTIONS:
        raise _input_error("E402", f"unknown action `{quote(action)}`",
                           did_you_mean(quote(action_key), ACTIONS) or "actions: " + ", ".join(ACTIONS),
                           field="action")
    raw_items = data.get("data")
    if raw_items is None:
        raise _input_error("E403", "missing field `data`", 'give the data items, e.g. ["name"]', field="data")
    if isinstance(raw_items, str):
        raw_items = [raw_items]
    if not isinstance(raw_items, list) or not raw_items or not all(isinstance(i, str) and i.strip() for i in raw_items):
        raise _input_error("E404", "field `data` must be a non-empty list of data items", None, field="data")
    items = tuple(dict.fromkeys(term("data", i, "item") for i in raw_items))
    purpose = term("purpose", text_field("purpose", True), "purpose")
    subject_name = text_field("subject", False)
    subject = term("subject", subject_name, "subject") if subject_name else "member"
    recipient_name = text_field("recipient", False)
    if action_key == "share":
        if recipient_name is None:
            raise _input_error("E403", "missing field `recipient`: sharing needs a recipient", None,
                               field="recipient")
        recipient = term("recipient", recipient_name, "party")
    elif action_key == "publish":
        recipient = term("recipient", recipient_name, "party") if recipient_name else "public"
        if recipient != "public":
            raise _input_error("E405", f"publishing goes to `public`, not `{recipient}`",
                               "use action `share` to give data to a recipient", field="recipient")
    else:
        if recipient_name is not None:
            raise _input_error("E405", f"action `{action_key}` takes no recipient",
                               "use action `share` to give data to a recipient", field="recipient")
        recipient = None
    consent = data.get("consent", False)
    if consent is None:
        consent = False
    if not isinstance(consent, bool):
        raise _input_error("E404", "field `consent` must be true or false", None, field="consent")
    exc_name = data.get("exception")
    if exc_name is not None and (not isinstance(exc_name, str) or not exc_name.strip()):
        raise _input_error("E404", "field `exception` must be null or a legal-exception id", None,
                           field="exception")
    exception = term("exception", exc_name, "exception") if exc_name else None
    coop_name = data.get("coop", coop)
    if coop_name is not None and not isinstance(coop_name, str):
        raise _input_error("E404", "field `coop` must be a policy id", None, field="coop")
    return Scenario(action_key, items, purpose, subject, recipient, consent, exception, coop_name)


@frozen
class CoopRequest:
    """Which policy a JSON scenario asks: the name it gives (or the surface's default) and
    whether the scenario gave it itself, with its other fields (see :func:`coop_request`)."""

    name: str
    own: bool
    body: dict


def coop_request(obj: Any, default: str | None, where_default: str) -> CoopRequest:
    """The one reading of a JSON scenario's ``coop`` field for every surface that reads JSON
    (``check``/``explain --json``, ``coopcheck serve``): the object must be a JSON object
    (E404); ``coop`` when present must be a non-blank string (E404, field ``coop``); without it
    the surface's ``default`` applies, and without that it is missing (E403, the help naming
    ``where_default``: how the surface sets a default). Each surface then resolves the name
    against the policies it has (docs/input.md)."""
    if not isinstance(obj, dict):
        raise _input_error("E404", "a scenario must be a JSON object")
    own = obj.get("coop")
    if own is None:
        if default is None:
            raise _input_error("E403", "missing field `coop`",
                               f"give `coop` in the scenario (a policy id or `all`), or {where_default}")
        return CoopRequest(default, False, {k: v for k, v in obj.items() if k != "coop"})
    if not isinstance(own, str) or not own.strip():
        raise _input_error("E404", "field `coop` must be a policy id or `all`", 'e.g. "coop": "aizu"', "coop")
    return CoopRequest(own, True, {k: v for k, v in obj.items() if k != "coop"})
