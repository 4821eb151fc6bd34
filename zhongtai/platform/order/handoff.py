"""Handoff of an order to a back-office system and the reference it returns (pure).

This is the center's answer to "where does the POS pull/ack state live". Lecture 8 keeps
fulfilment details out of the order center but lets it store *external reference numbers*
(the POS receipt number, the OMS order id, the delivery order id). The pull/ack state is the
life of exactly that reference — "handed to the POS, not yet numbered", "numbered 0042" — so it
lives on the ``external_refs`` row of that system, not in the main status (it is no business
state: an ACCEPTED order is accepted whichever terminal pulled it) and not in the sub-status
(that is free text owned by one application and overwritten by others). One row per
(order, system) keeps it generic: e-voucher orders hand off to ``OMS`` the same way.

No row means "not handed off yet"; a puller claims orders by creating or moving the row to
PULLED, which the repository does atomically so that two terminals never get the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from zhongtai.platform.errors import InvalidInput
from zhongtai.platform.order.status import IllegalTransition

SYSTEM = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")
REF_NO_MAX = 40
ERROR_MAX = 255


class HandoffState(StrEnum):
    PENDING = "PENDING"  # waiting to be pulled (explicitly queued or re-queued)
    PULLED = "PULLED"  # a terminal took it; no reference yet
    ACKED = "ACKED"  # the system confirmed it and gave its reference number
    FAILED = "FAILED"  # the system refused it (legacy POS "入单失败")
    NOT_NEEDED = "NOT_NEEDED"  # this order never goes to this system


H = HandoffState
HANDOFF_TRANSITIONS: dict[HandoffState | None, frozenset[HandoffState]] = {
    None: frozenset(HandoffState),
    H.PENDING: frozenset({H.PULLED, H.ACKED, H.FAILED, H.NOT_NEEDED}),
    H.PULLED: frozenset({H.ACKED, H.FAILED, H.PENDING}),
    H.FAILED: frozenset({H.PENDING, H.PULLED, H.ACKED}),
    H.NOT_NEEDED: frozenset({H.PENDING}),
    H.ACKED: frozenset(),
}
# States a puller may claim from ("not yet pulled").
CLAIMABLE = frozenset({H.PENDING})


def check_system(system: str) -> str:
    if not isinstance(system, str) or not SYSTEM.match(system):
        raise InvalidInput(
            f"external system {system!r} must be 2–16 capitals, digits or _",
            code="INVALID_SYSTEM",
            hint="e.g. POS, OMS, DELIVERY",
        )
    return system


@dataclass(eq=False)
class ExternalRef:
    system: str
    state: HandoffState | None = None
    ref_no: str | None = None
    pulled_at: datetime | None = None
    acked_at: datetime | None = None
    attempts: int = 0  # how many times it was pulled
    error: str | None = None
    updated_at: datetime | None = None

    def move(
        self,
        target: HandoffState,
        *,
        now: datetime,
        ref_no: str | None = None,
        error: str | None = None,
    ) -> None:
        """Move to ``target``; ACKED needs the system's reference number."""
        check_system(self.system)
        allowed = HANDOFF_TRANSITIONS[self.state]
        if target not in allowed:
            raise IllegalTransition(f"{self.system} handoff", self.state, target, allowed)
        if target is H.ACKED:
            if not (ref_no or "").strip() or len(ref_no) > REF_NO_MAX:
                raise InvalidInput(
                    f"acknowledging a {self.system} handoff needs ref_no (1..{REF_NO_MAX} "
                    f"characters), got {ref_no!r}",
                    code="INVALID_REF_NO",
                )
            self.ref_no, self.acked_at, self.error = ref_no, now, None
        elif ref_no is not None:
            raise InvalidInput(
                f"ref_no is only recorded when the state becomes {H.ACKED}",
                code="INVALID_REF_NO",
            )
        if target is H.PULLED:
            self.pulled_at, self.attempts = now, self.attempts + 1
        if target is H.FAILED:
            self.error = (error or "")[:ERROR_MAX] or None
        self.state, self.updated_at = target, now
