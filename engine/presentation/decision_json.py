"""Decisions as JSON: the decision contract, with the reasons in English or Japanese.

:func:`decision_json` gives the contract's dict for one decision. A :class:`DecisionWriter`
writes the same as lines of JSON text for a stream of decisions. It turns a decision into a
*line template*: the line's fixed text with a slot for each term the scenario names (its
items, subject, recipient, purpose and legal exception: their ids, and their labels inside
the reasons' sentences), and fills the slots. Decisions read from the same decision-table
cells (:meth:`coopcheck.core.evaluator.Evaluator.table_cells`) differ only in those terms, so
:meth:`DecisionWriter.table_line` keeps one template per set of cells and answers a scenario
whose cells it has seen with a few look-ups and one join, without building the decision. Cells
of different tables often say the same (same effect, rules, reasons, obligations), so it also
numbers what each cell contributes and keeps templates per set of those contents: a new set of
cells whose contents it has met is answered by look-ups as well.
"""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Iterable

from coopcheck.core.decision import CONSENT_WOULD_PERMIT, Decision, ItemDecision
from coopcheck.core.evaluator import NOT_FILLED
from coopcheck.core.kinds import Effect
from coopcheck.core.scenario import Scenario
from coopcheck.presentation.wording import reason_texts, render_reason, sentence_template, template_parts, term_text

#: How many sentence templates, encoded terms and item entries a :class:`DecisionWriter` remembers.
SENTENCE_LIMIT = 1 << 16
#: How many sets of decision-table cells a :class:`DecisionWriter` remembers the line template of
#: (about 0.3 kB each: the templates are shared; a 1M-line golden stream asks about 150 000). A set
#: past the bound is answered through its cells' contents (:data:`COMPOSED_LIMIT`), a few
#: look-ups more: this bound is what keeps ``check --json`` under 200 MB on 10M lines.
LINE_LIMIT = 1 << 15
#: How many line templates per set of cell contents a :class:`DecisionWriter` remembers (a 1M-line
#: golden stream makes about 38 000).
COMPOSED_LIMIT = 1 << 17
#: The scenario fields with a slot in every line template, in slot order; each item follows
#: (:func:`slot_of`).
SLOT_FIELDS = ("subject", "recipient", "purpose", "exception")


def item_json(item: ItemDecision) -> dict:
    """The per-item entry of the decision JSON."""
    return {"item": item.item, "decision": str(item.decision), "basis": str(item.basis),
            "rule": item.rules[0] if item.rules else None, "rules": list(item.rules),
            "citations": list(item.citations)}


def decision_json(decision: Decision, lang: str = "en", reasons: list[str] | None = None) -> dict:
    """The decision contract (docs/semantics.md §6): ``coop``, ``decision``, ``basis``,
    ``obligations``, ``citations``, ``reasons`` (sentences in ``lang``),
    ``would_permit_with_consent``, ``items``, ``rules`` and the resolved ``scenario``.

    >>> from coopcheck.core.api import decide, load_policy
    >>> d = decide(load_policy("aizu"), {"action": "use", "data": ["name"], "purpose": "delivery"})
    >>> out = decision_json(d)
    >>> out["decision"], out["basis"], out["items"][0]["item"]
    ('permit', 'purpose', 'name')
    """
    return {
        "coop": decision.coop,
        "decision": str(decision.decision),
        "basis": str(decision.basis),
        "obligations": list(decision.obligations),
        "citations": list(decision.citations),
        "reasons": reason_texts(decision, lang) if reasons is None else reasons,
        "would_permit_with_consent": decision.would_permit_with_consent,
        "items": [item_json(i) for i in decision.items],
        "rules": list(decision.rules),
        "scenario": decision.scenario.to_json(),
    }


def slot_of(field: str | int, shown: bool = False) -> int:
    """The slot of a scenario field (or of its ``k``-th item, given ``k``) in a line template's
    values: its JSON text, or (``shown``) its display text as it reads inside a JSON string."""
    index = len(SLOT_FIELDS) + field if isinstance(field, int) else SLOT_FIELDS.index(field)
    return 2 * index + shown


_SUBJECT, _RECIPIENT, _PURPOSE, _EXCEPTION = (slot_of(f) for f in SLOT_FIELDS)
_ITEM = slot_of(0)  # the first item's slots, and the first slot of any item


def merged(pieces) -> tuple:
    """Pieces with each run of fixed texts joined into one."""
    out: list = []
    run: list[str] = []
    for piece in pieces:
        if piece.__class__ is int:
            if run:
                out.append("".join(run))
                run = []
            out.append(piece)
        else:
            run.append(piece)
    if run:
        out.append("".join(run))
    return tuple(out)


def compile_template(pieces: list, values: int, encode=str.encode) -> tuple[list, tuple]:
    """A line template from its pieces in order — fixed texts (str) and slots (int) — for
    lines with ``values`` slot values: its fixed texts, each as ``encode`` gives it (UTF-8),
    and the order in which to pick, from a line's slot values followed by those texts, every
    piece of the line (for an :func:`~operator.itemgetter`, so at least two). The texts are
    the pieces themselves, not joined: templates share the sentences they have in common."""
    texts = [encode(p) for p in pieces if p.__class__ is not int]
    order = []
    n = values
    for piece in pieces:
        if piece.__class__ is int:
            order.append(piece)
        else:
            order.append(n)
            n += 1
    if len(order) < 2:  # a getter of one index would give the piece, not a tuple of it
        order.append(n)
        texts.append(b"")
    return texts, tuple(order)


class DecisionWriter:
    """Writes decisions as JSON lines in one language: each line is exactly
    ``json.dumps(decision_json(d, lang), ensure_ascii=False)``, filled in from a line template
    (see the module's help). It remembers, each table up to :data:`SENTENCE_LIMIT` entries,
    the split sentence template of each reason, the encoded form of terms and lists of ids,
    the pieces of each item decision's reasons and entry, and the texts and getters line
    templates share, and each cell's numbered content; up to :data:`LINE_LIMIT` line
    templates, one per set of decision-table cells that :meth:`table_line` was asked, and up
    to :data:`COMPOSED_LIMIT` per set of cell contents. Not shared between threads."""

    __slots__ = ("lang", "_sentences", "_encoded", "_items", "_shown", "_shapes", "_lines", "_texts", "_utf8", "_getters", "_encode",
                 "_contents", "_cell_contents", "_composed")

    def __init__(self, lang: str = "en"):
        self.lang = lang
        self._sentences: dict[tuple, tuple] = {}  # (reason, vocabulary, action) -> split sentence template
        self._encoded: dict = {}  # a term or a tuple of ids -> its JSON text
        self._items: dict[tuple, tuple] = {}  # an item decision (its explanation by identity) -> its pieces
        self._shapes: dict[tuple, tuple] = {}  # an item decision (its explanation's shape: _shape) -> its pieces
        self._shown: dict[int, tuple] = {}  # id(vocabulary) -> (vocabulary, {term id: (JSON, display text)})
        self._lines: dict[tuple, tuple] = {}  # (action, exception given, cells) -> (template, permitted)
        self._texts: dict[str, str] = {}  # a line template's own texts, one copy each
        self._utf8: dict[str, bytes] = {}  # a line template's text -> its UTF-8 bytes, one copy each
        self._getters: dict[tuple, itemgetter] = {}  # a line template's order -> its getter
        self._encode = json.JSONEncoder(ensure_ascii=False).encode
        # what an item contributes to a line (its pieces, entry and obligations) -> a number
        self._contents: dict[tuple, int] = {}
        self._cell_contents: dict[tuple, int] = {}  # a table cell -> its content's number
        # _composed_key -> (template, permitted): the line templates of cells with the same
        # contents are the same
        self._composed: dict[tuple, tuple] = {}

    # ---- lines -------------------------------------------------------------------------------
    def line(self, decision: Decision) -> str:
        """One decision as a line of JSON (no newline)."""
        return self.line_bytes(decision).decode()

    def line_bytes(self, decision: Decision) -> bytes:
        """One decision as a line of JSON in UTF-8 (no newline)."""
        sc = decision.scenario
        template = self._template(decision)
        if template is None:
            return self._encode(decision_json(decision, self.lang)).encode()
        return _fill(template, self._values(decision.vocabulary, (sc.subject, sc.recipient, sc.purpose,
                                                                  sc.exception, *sc.items)))

    def table_line(self, evaluator, scenario: dict, fill: bool = False) -> tuple[bytes, bool] | None:
        """The line (in UTF-8, as :meth:`line_bytes` writes it) of a scenario dict decided by
        ``evaluator`` (for its co-op, whatever the
        dict's ``coop``: :meth:`~coopcheck.core.evaluator.Evaluator.table_cells`), and whether
        it is a permit — read from the decision tables when every cell it needs is filled, or
        (``fill``) once the evaluator has filled them
        (:meth:`~coopcheck.core.evaluator.Evaluator.table_cells`), through the line template
        of those cells; None otherwise (decide it and write :meth:`line`). The line is the
        one :meth:`line_bytes` writes for ``evaluator.decide(evaluator.scenario(scenario))`` with the
        scenario's ``coop`` left out."""
        found = evaluator.table_cells(scenario, fill)
        if found is None:
            return None
        fields, cells = found
        action, items, purpose, subject, recipient, _, exception, _ = fields
        key = (action, exception is None, cells)
        entry = self._lines.get(key)
        if entry is None:
            entry = self._by_contents(evaluator, fields, cells)
            if entry is None:
                decision = evaluator.decide(Scenario(*fields))
                contents: list = []
                template = self._template(decision, contents)
                if template is None:
                    return self.line_bytes(decision), decision.permitted
                entry = (template, decision.permitted)
                self._remember_contents(fields, cells, contents, decision.would_permit_with_consent, entry)
            if len(self._lines) < LINE_LIMIT:
                self._lines[key] = entry
        values = self._values(evaluator.ruleset.vocabulary, (subject, recipient, purpose, exception, *items))
        return _fill(entry[0], values), entry[1]

    def _by_contents(self, evaluator, fields: tuple, cells: tuple) -> tuple | None:
        """The line template and effect of a scenario whose every cell's content is known, when
        a line of cells with the same contents (and the same co-op, action, consent, legal
        exception given or not, and ``would_permit_with_consent``) was templated before; None
        otherwise. Cells of different keys often decide and read alike (a 1M-line golden stream
        fills about 28 000 cells with about 1 200 contents), so this answers most first
        sightings of a set of cells."""
        known = self._cell_contents
        numbers = []
        for cell in cells:
            number = known.get(cell)
            if number is None:
                return None
            numbers.append(number)
        would = evaluator.table_would_permit_with_consent(cells, fields[5])
        if would is NOT_FILLED:
            return None
        return self._composed.get(_composed_key(fields, numbers, would))

    def _remember_contents(self, fields: tuple, cells: tuple, contents: list, would, entry: tuple) -> None:
        """Remember the content of each cell of a line just templated, and the line's template
        under its cells' contents (:meth:`_by_contents`)."""
        numbers = []
        for cell, content in zip(cells, contents):
            number = self._contents.get(content)
            if number is None:
                number = len(self._contents)
                if number >= SENTENCE_LIMIT:
                    return
                self._contents[content] = number
            numbers.append(number)
            if len(self._cell_contents) < SENTENCE_LIMIT:
                self._cell_contents[cell] = number
        if len(self._composed) < COMPOSED_LIMIT:
            self._composed[_composed_key(fields, numbers, would)] = entry

    def lines(self, decisions: Iterable[Decision]) -> Iterable[str]:
        """Each decision as a line of JSON."""
        return (self.line(d) for d in decisions)

    # ---- slot values -------------------------------------------------------------------------
    def _values(self, vocab, terms: tuple) -> list[bytes]:
        """A line's slot values (:func:`slot_of`) for the terms of its scenario: subject,
        recipient, purpose, legal exception, then each item."""
        entry = self._shown.get(id(vocab))
        if entry is None or entry[0] is not vocab:
            entry = (vocab, {})
            if len(self._shown) < 64:
                self._shown[id(vocab)] = entry
        known = entry[1]
        out = []
        for tid in terms:
            pair = known.get(tid)
            if pair is None:
                pair = self._term_pair(vocab, tid)
                if len(known) < SENTENCE_LIMIT:
                    known[tid] = pair
            out += pair
        return out

    def _term_pair(self, vocab, tid: str | None) -> tuple[bytes, bytes]:
        """A term's JSON text and its display text inside a JSON string, as UTF-8."""
        return self._encode(tid).encode(), self._encode(term_text(vocab, tid, self.lang))[1:-1].encode()

    # ---- templates ---------------------------------------------------------------------------
    def _template(self, decision: Decision, contents: list | None = None) -> tuple[list, itemgetter] | None:
        """The line template of a decision, or None when its reasons are not told in its
        scenario's terms (a decision built by hand: write it whole). ``contents``, when given,
        gets what each item contributes to the line: its reasons' pieces and entry (told as
        for the first item), its obligations, and whether it is permitted."""
        sc = decision.scenario
        items = decision.items
        if tuple(i.item for i in items) != sc.items:
            return None
        would = decision.would_permit_with_consent
        text = self._text
        pieces = [text('{"coop": ', self._term(decision.coop), ', "decision": "', decision.decision.value,
                       '", "basis": "', decision.basis.value, '", "obligations": ', self._ids(decision.obligations),
                       ', "citations": ', self._ids(decision.citations), ', "reasons": [')]
        entries: list = []
        slots = [slot_of(k) for k in range(len(items))]
        said = False  # a sentence is written (the next one follows a comma)
        for k, item in enumerate(items):
            if item.told_for is None and not all(_told_in_own_terms(r, item.item, sc) for r in item.explanation):
                return None
            reasons, rest, _ = self._item_pieces(item, decision)
            if contents is not None:
                contents.append((reasons, rest, item.obligations, item.decision == Effect.PERMIT))
            if reasons:
                if k:  # the pieces are told for the first item: move its slots to item k's
                    shift = slots[k] - _ITEM
                    reasons = [p + shift if p.__class__ is int and p >= _ITEM else p for p in reasons]
                pieces += (", ", *reasons) if said else reasons
                said = True
            entries += (', {"item": ' if k else '{"item": ', slots[k], rest)
        if would:
            pieces += (", " if said else "", self._would(decision))
        pieces.append(text('], "would_permit_with_consent": ', "null" if would is None else "true" if would
                           else "false", ', "items": ['))
        pieces += entries
        pieces.append(text('], "rules": ', self._ids(decision.rules), ', "scenario": {"coop": ', self._term(sc.coop),
                           ', "action": ', self._term(sc.action), ', "subject": '))
        pieces += (_SUBJECT, ', "data": [')
        for k, slot in enumerate(slots):
            pieces += (", ", slot) if k else (slot,)
        pieces += ('], "recipient": ', _RECIPIENT, ', "purpose": ', _PURPOSE,
                   ', "consent": true, "exception": ' if sc.consent else ', "consent": false, "exception": ',
                   _EXCEPTION, "}}")
        texts, order = compile_template(pieces, 2 * (len(SLOT_FIELDS) + len(items)), self._utf8_of)
        getter = self._getters.get(order)
        if getter is None:
            getter = itemgetter(*order)
            if len(self._getters) < SENTENCE_LIMIT:
                self._getters[order] = getter
        return texts, getter

    def _utf8_of(self, text: str) -> bytes:
        """A template text's UTF-8 bytes, the one copy of them kept (line templates share them)."""
        found = self._utf8.get(text)
        if found is None:
            found = text.encode()
            if len(self._utf8) < SENTENCE_LIMIT:
                self._utf8[text] = found
        return found

    def _text(self, *texts: str) -> str:
        """Texts joined, the one copy of that text kept (line templates share them)."""
        joined = "".join(texts)
        found = self._texts.get(joined)
        if found is None:
            found = joined
            if len(self._texts) < SENTENCE_LIMIT:
                self._texts[joined] = joined
        return found

    def _item_pieces(self, item: ItemDecision, decision: Decision) -> tuple:
        """The pieces of an item's reasons (its sentences, quoted, comma-separated), told as
        for the scenario's first item, and of its ``items`` entry after its id, remembered
        (with the explanation)."""
        # the explanation by identity (a decision table's cell shares it with every decision
        # read from it; kept in the entry, so its id is not reused meanwhile)
        explanation = item.explanation
        key = (id(explanation), item.decision, item.basis, item.rules, item.citations, decision.scenario.action,
               id(decision.vocabulary))
        found = self._items.get(key)
        if found is None or found[2] is not explanation:
            # explanations of other cells that read alike (told for their own terms) share pieces
            shape = (tuple(_shape(r) for r in explanation), *key[1:])
            pieces = self._shapes.get(shape)
            if pieces is None:
                reasons: list = []
                for reason in explanation:
                    reasons += ('"',) if not reasons else (', "',)
                    reasons += self._sentence(reason, decision)
                    reasons.append('"')
                entry = item_json(item)
                del entry["item"]
                pieces = (merged(reasons), ", " + self._encode(entry)[1:])
                if len(self._shapes) < SENTENCE_LIMIT:
                    self._shapes[shape] = pieces
            found = (*pieces, explanation)
            if len(self._items) < SENTENCE_LIMIT:
                self._items[key] = found
        return found

    def _would(self, decision: Decision) -> str:
        """The quoted sentence that consent would permit the decision."""
        found = self._encoded.get(CONSENT_WOULD_PERMIT)  # names nothing of the scenario
        if found is None:
            found = self._encoded[CONSENT_WOULD_PERMIT] = self._encode(
                render_reason(CONSENT_WOULD_PERMIT, decision, self.lang))
        return found

    def _sentence(self, reason, decision: Decision) -> list:
        """The pieces of a reason's sentence, told as for the first item of the decision's
        scenario, inside its quotes."""
        action = decision.scenario.action
        key = (reason, id(decision.vocabulary), action)
        parts = self._sentences.get(key)
        if parts is None:
            split = template_parts(sentence_template(reason, decision, self.lang), self.lang, action)
            parts = tuple(self._encode(p)[1:-1] if i % 2 == 0 else p for i, p in enumerate(split))
            if len(self._sentences) < SENTENCE_LIMIT:
                self._sentences[key] = parts
        told = reason.told_field
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(part)
            elif part == "item" and reason.item is None:
                out.append("—")
            elif part == "item" or (part == "value" and told == "item"):
                out.append(_ITEM + 1)
            elif part == "value" and told is None:
                out.append(self._encode(term_text(decision.vocabulary, reason.value, self.lang))[1:-1])
            else:
                out.append(slot_of(told if part == "value" else part, True))
        return out

    def _ids(self, value: tuple) -> str:
        """The JSON text of a tuple of ids, remembered."""
        found = self._encoded.get(value)
        if found is None:
            found = self._encode(list(value))
            if len(self._encoded) < SENTENCE_LIMIT:
                self._encoded[value] = found
        return found

    def _term(self, value: str | None) -> str:
        """The JSON text of a term id (or null), remembered."""
        found = self._encoded.get(value)
        if found is None:
            found = self._encode(value)
            if len(self._encoded) < SENTENCE_LIMIT:
                self._encoded[value] = found
        return found


def _fill(template: tuple[list, itemgetter], values: list[bytes]) -> bytes:
    """A line, as UTF-8: a template (:func:`compile_template`) filled with its slot values."""
    return b"".join(template[1](values + template[0]))


def _composed_key(fields: tuple, numbers: list, would) -> tuple:
    """What a line template depends on besides its cells' contents (``numbers``): the co-op,
    action, consent, whether a legal exception is given, and ``would_permit_with_consent``."""
    return fields[7], fields[0], fields[5], fields[6] is None, tuple(numbers), would


#: Stand-ins for a scenario's terms, no term's id: a reason told for them (:func:`_shape`).
_ANY_TERMS = ("\0item", "\0subject", "\0recipient", "\0purpose", "\0exception")


def _shape(reason) -> tuple:
    """What a reason's sentence pieces (:meth:`DecisionWriter._sentence`) depend on: the
    reason told for stand-in terms (:meth:`~coopcheck.core.decision.Reason.told_for`, which
    replaces the item and the told field's value, as the pieces' slots do), and whether its
    own value was none."""
    return reason.told_for(*_ANY_TERMS), reason.value is None


def _told_in_own_terms(reason, item: str, sc: Scenario) -> bool:
    """Whether a reason worked out for ``item`` of ``sc`` names the scenario's own terms where
    its sentence, told for another scenario, would name that scenario's."""
    told = reason.told_field
    if reason.item is not None and reason.item != item:
        return False
    if told is None:
        return True
    return reason.value == (item if told == "item" else getattr(sc, told))
