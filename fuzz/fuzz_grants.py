"""Fuzz the consent messages (docs/consent.md): grants, revocations, disclosures, policies.

The first input byte picks the parser (:data:`SELECTORS`); the rest is the message.
Decoders may refuse only with a PrivbillError (``FormatError``, ``RangeError``...). What
decodes must re-encode to its input (one encoding per message); a grant or revocation
that decodes either verifies under the household key that signed the seeds or raises
BadSignatureError; a presented grant goes through ``HouseholdAgent.disclose``, which may
refuse only with a ConsentError (and logs the refusal); a disclosure that decodes is
checked against the commitments of the fuzz world's store by ``verify_disclosure``; a
policy that loads survives its JSON form.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from _harness import harness, instrumented, run

with instrumented(__name__ == "__main__"):
    from make_corpus import FIRST_DAY, TZ, world

    from privbill.agent import Disclosure, HouseholdAgent, verify_disclosure
    from privbill.audit import AuditLog
    from privbill.consent import (
        PROFILES,
        FixedClock,
        Grant,
        Granularity,
        Request,
        Revocation,
        policy_from_json,
        policy_to_json,
    )
    from privbill.errors import BadSignatureError, PrivbillError
    from privbill.household import Household
    from privbill.keys import SigningKey

SELECTORS = ("grant", "revocation", "disclosure", "policy", "presented_grant")
APP = "third-party:fuzz"
#: 2013-04-03 00:00 UTC: after the fuzz world's two days.
NOW = 1_364_947_200


@dataclass
class Consent:
    key: SigningKey
    agent: HouseholdAgent
    grant: Grant
    revocation: Revocation
    disclosure: Disclosure
    daily: Granularity


@lru_cache(maxsize=1)
def consent() -> Consent:
    """The fuzz world's household behind an agent (strict policy), with a daily grant to
    a third party, one revocation and one disclosure."""
    w = world()
    key = SigningKey.from_bytes(hashlib.sha256(b"privbill/fuzz/consent").digest())
    home = Household(w.meter.meter_id, w.meter.secret)
    home.load(dict(w.home.values()))
    agent = HouseholdAgent(home, key, PROFILES["strict"], AuditLog(), FixedClock(NOW), tz=TZ,
                           tariff=w.tariff)  # fmt: skip
    end = FIRST_DAY + timedelta(days=2)
    grant = agent.grant(APP, "energy-advice", "daily", start=FIRST_DAY, end=end,
                        grant_id=b"\x01" * 16)  # fmt: skip
    other = agent.grant(APP, "research", "daily", start=FIRST_DAY, end=end,
                        grant_id=b"\x02" * 16)  # fmt: skip
    revocation = agent.revoke(other.grant_id)
    daily = Granularity.named("daily", tz=TZ)
    req = Request.for_granularity(APP, "energy-advice", w.meter.meter_id, daily,
                                  w.period.intervals())  # fmt: skip
    disclosure = agent.disclose(req)
    return Consent(key, agent, grant, revocation, disclosure, daily)


def corpus() -> list[bytes]:
    c = consent()
    pick = SELECTORS.index
    return [
        bytes([pick("grant")]) + c.grant.encode(),
        bytes([pick("revocation")]) + c.revocation.encode(),
        bytes([pick("disclosure")]) + c.disclosure.encode(),
        bytes([pick("policy")]) + policy_to_json(PROFILES["strict"]).encode(),
        bytes([pick("policy")]) + policy_to_json(PROFILES["uk-slc47"]).encode(),
        bytes([pick("presented_grant")]) + c.grant.encode(),
    ]


_CALLS = [0]


@harness("grants")
def TestOneInput(data: bytes) -> None:
    if not data:
        return
    kind, msg = SELECTORS[data[0] % len(SELECTORS)], data[1:]
    c = consent()
    w = world()
    try:
        if kind == "grant":
            g = Grant.decode(msg)
            assert g.encode() == msg, "accepted a second encoding of a grant"
            with contextlib.suppress(BadSignatureError):
                g.verify(c.key.verifying_key)
        elif kind == "revocation":
            r = Revocation.decode(msg)
            assert r.encode() == msg, "accepted a second encoding of a revocation"
            with contextlib.suppress(BadSignatureError):
                r.verify(c.key.verifying_key)
        elif kind == "disclosure":
            d = Disclosure.decode(msg)
            assert d.encode() == msg, "accepted a second encoding of a disclosure"
            verify_disclosure(d, w.retailer)
        elif kind == "policy":
            p = policy_from_json(msg)
            assert policy_from_json(policy_to_json(p)) == p, "a policy does not round-trip"
        else:
            _CALLS[0] += 1
            if _CALLS[0] % 5000 == 0:
                consent.cache_clear()  # a fresh agent: its audit log grows with every call
            req = Request.for_granularity(APP, "energy-advice", w.meter.meter_id, c.daily,
                                          w.period.intervals(), grant=msg)  # fmt: skip
            c.agent.disclose(req)
    except PrivbillError:
        pass


if __name__ == "__main__":
    run(TestOneInput)
