"""``privbill consent``: read a policy, manage grants, read the audit log.

::

    privbill consent show --policy strict|uk-slc47|FILE [--home DIR]
    privbill consent init --home DIR --household FILE [--policy P] [--tz TZ]
    privbill consent grant --home DIR --party P --purpose X --granularity G
                           --from DATE --to DATE [--channel import|export]
                           [--months N | --expires DATE] [--combine] [--out FILE]
    privbill consent revoke --home DIR GRANT_ID
    privbill consent opt-out|opt-in --home DIR --party P [--purpose X] [--granularity G]
    privbill consent audit --home DIR

``show`` prints, for a person, who gets what data, at what granularity, when and on what
basis (with ``--home``, also the household's grants and opt-outs). The others keep the
household's consent state in ``--home DIR`` (docs/consent.md, "Files"): ``consent.json``
(the consent key: secret, mode 0600), ``audit.sqlite`` (the signed, hash-chained log, the
source of truth for grants, revocations and opt-outs), ``audit.head`` (the last entry's
number and hash, to detect a truncated log), ``grants/ID.cbor`` and
``revocations/ID.cbor`` (the signed messages, to hand to the party).

Every command takes ``--json``. Errors print one line, ``privbill: <ErrorClass>:
<message>``, and exit with status 2, as the rest of the ``privbill`` command line.
:func:`add_parser` plugs these commands into :mod:`privbill.cli`; :func:`consent_main`
runs them on their own.

>>> consent_main(["show", "--policy", "strict"])       # doctest: +ELLIPSIS
Policy "strict"
...
0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Final, cast

from privbill.agent import HouseholdAgent
from privbill.audit import AuditEntry, AuditLog
from privbill.consent import (
    CHANNEL_NAMES,
    PROFILES,
    Clock,
    Grant,
    Revocation,
    Rule,
    load_policy,
    party_label,
    system_clock,
)
from privbill.errors import FormatError, PrivbillError, RangeError
from privbill.household import Household
from privbill.intervals import check_period, start_of, zone, zone_name
from privbill.keys import HouseholdKey, SigningKey
from privbill.wire import METER_ID_SIZE

__all__ = ["add_parser", "consent_main"]

PROG: Final = "privbill"
_HOME_FORMAT: Final = "privbill-consent-home"
_HEAD_FORMAT: Final = "privbill-audit-head"
_HOUSEHOLD_FORMAT: Final = "privbill-household"

_Handler = Callable[[argparse.Namespace], int]


def _out() -> IO[str]:
    return sys.stdout  # looked up at call time, so tests can capture it


def _say(text: str = "") -> None:
    print(text, file=_out())


def _emit_json(doc: object) -> None:
    print(json.dumps(doc, indent=2, sort_keys=True), file=_out())


# --------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------


def _write_file(path: Path, data: bytes, *, secret: bool = False) -> None:
    """Write atomically (temporary file and rename); secrets readable by the owner only."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_json(path: Path, doc: object, *, secret: bool = False) -> None:
    _write_file(path, (json.dumps(doc, indent=2) + "\n").encode(), secret=secret)


def _read_json(path: Path, fmt: str) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise FormatError(f"{path}: not a {fmt} file (its format field)")
    if doc.get("version") != 1:
        raise FormatError(f"{path}: unsupported version {doc.get('version')!r}")
    return doc


def _hex_field(doc: dict[str, Any], name: str, where: Path, size: int | None = None) -> bytes:
    value = doc.get(name)
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else None
    except ValueError:
        raw = None
    if raw is None or (size is not None and len(raw) != size):
        want = f"{size} bytes of " if size else ""
        raise FormatError(f"{where}: {name} must be {want}hex")
    return raw


def _load_household(path: Path) -> Household:
    """The household file ``privbill keygen`` writes (docs/cli.md)."""
    doc = _read_json(path, _HOUSEHOLD_FORMAT)
    key = HouseholdKey.from_bytes(_hex_field(doc, "household_key", path, 32))
    return Household.pair(
        _hex_field(doc, "meter_id", path, METER_ID_SIZE),
        _hex_field(doc, "sealed_secret", path),
        key,
    )


class _Home:
    """The consent state directory."""

    def __init__(self, path: str) -> None:
        self.dir = Path(path)
        self.config = self.dir / "consent.json"
        self.log = self.dir / "audit.sqlite"
        self.head = self.dir / "audit.head"
        self.grants = self.dir / "grants"
        self.revocations = self.dir / "revocations"
        self._log: AuditLog | None = None

    def __enter__(self) -> _Home:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def open(self, clock: Clock) -> tuple[HouseholdAgent, dict[str, Any]]:
        doc = _read_json(self.config, _HOME_FORMAT)
        key = SigningKey.from_bytes(_hex_field(doc, "signing_key", self.config, 32))
        household_path = doc.get("household")
        policy_name = doc.get("policy")
        tz = doc.get("tz")
        period = doc.get("period")
        if not (
            isinstance(household_path, str)
            and isinstance(policy_name, str)
            and isinstance(tz, str)
            and isinstance(period, int)
        ):
            raise FormatError(f"{self.config}: household, policy, tz and period are required")
        household = _load_household(Path(household_path))
        if household.meter_id != _hex_field(doc, "meter_id", self.config, METER_ID_SIZE):
            raise FormatError(f"{self.config}: the household file is for another meter")
        log = self._log = AuditLog(self.log, clock=clock, signing_key=key)
        agent = HouseholdAgent(
            household, key, load_policy(policy_name), log, clock, tz=tz, period=check_period(period)
        )
        agent.audit(self.anchor())  # a truncated or rewritten log stops everything here
        return agent, doc

    def anchor(self) -> tuple[int, bytes] | None:
        if not self.head.exists():
            return None
        doc = _read_json(self.head, _HEAD_FORMAT)
        seq = doc.get("seq")
        if not isinstance(seq, int) or seq < 0:
            raise FormatError(f"{self.head}: seq must be a non-negative integer")
        return seq, _hex_field(doc, "hash", self.head, 32)

    def save_head(self, log: AuditLog) -> None:
        seq, digest = log.head()
        _write_json(
            self.head, {"format": _HEAD_FORMAT, "version": 1, "seq": seq, "hash": digest.hex()}
        )


# --------------------------------------------------------------------------------------
# show
# --------------------------------------------------------------------------------------

_WHAT: Final = {
    "half-hourly": "every half-hour value",
    "quarter-hourly": "every quarter-hour value",
    "interval": "every interval's value",
    "daily": "one total per day",
    "monthly": "one total per calendar month",
    "bands": "one total per tariff band for each monthly bill",
    "amount": "only the amount of each monthly bill",
}
_CONSENT_TEXT: Final = {
    "none": "no consent needed",
    "opt-out": "allowed unless you opt out",
    "opt-in": "only if you opt in (a grant you sign)",
}


def _channels(rule: Rule) -> str:
    names = {CHANNEL_NAMES.get(c, f"channel {c}") for c in rule.channels}
    if names == {"import", "export"}:
        return "electricity you use and export"
    if names == {"import"}:
        return "electricity you use"
    if names == {"export"}:
        return "electricity you export"
    return ", ".join(sorted(names))


def _when(rule: Rule) -> str:
    if rule.households > 1:
        return "as it is measured"
    if rule.consent == "opt-in":
        return "while your grant lasts (at most its expiry; you can revoke it)"
    if rule.granularity in ("bands", "amount", "monthly"):
        return "once per billing period"
    return "whenever they ask"


def _what(rule: Rule) -> str:
    if rule.households > 1:
        return (
            f"{_WHAT[rule.granularity].replace('every', 'each')} of the {_channels(rule)},"
            f" only added up with at least {rule.households - 1} other homes (never your"
            " home's own values)"
        )
    return f"{_WHAT[rule.granularity]} of the {_channels(rule)}"


def _rule_doc(rule: Rule) -> dict[str, Any]:
    return {
        "party": rule.party,
        "who": party_label(rule.party),
        "purpose": rule.purpose,
        "for": "any purpose" if rule.purpose == "*" else rule.purpose,
        "granularity": rule.granularity,
        "what": _what(rule),
        "when": _when(rule),
        "consent": rule.consent,
        "basis": rule.basis or _CONSENT_TEXT[rule.consent],
        "households": rule.households,
        "channels": [CHANNEL_NAMES.get(c, c) for c in rule.channels],
        "note": rule.note,
    }


def _grant_doc(agent: HouseholdAgent, g: Grant) -> dict[str, Any]:
    return {
        "grant_id": g.grant_id.hex(),
        "status": agent.status(g),
        "party": g.party,
        "purpose": g.purpose,
        "channel": CHANNEL_NAMES.get(g.channel, g.channel),
        "granularity": g.granularity.kind,
        "what": g.granularity.describe(g.period),
        "from": start_of(g.intervals.start, g.period).isoformat(),
        "to": start_of(g.intervals.stop, g.period).isoformat(),
        "issued_at": g.issued_at,
        "expires_at": g.expires_at,
        "summary": g.describe(),
    }


def _show(args: argparse.Namespace, clock: Clock) -> int:
    with _Home(args.home or ".") as home:
        return _show_in(args, home, clock)


def _show_in(args: argparse.Namespace, home: _Home, clock: Clock) -> int:
    agent: HouseholdAgent | None = None
    if args.home:
        agent, _ = home.open(clock)
        policy = load_policy(args.policy) if args.policy else agent.policy
    else:
        if not args.policy:
            raise RangeError("show: give --policy (strict, uk-slc47 or a file) or --home")
        policy = load_policy(args.policy)
    rules = [_rule_doc(r) for r in policy.rules]
    default = (
        f"Anything else, to anyone, for any purpose: only with a grant you sign, for at"
        f" most {policy.max_grant_months} months, which you can revoke at any time."
    )
    if args.json:
        out: dict[str, Any] = {
            "policy": policy.name,
            "description": policy.description,
            "max_grant_months": policy.max_grant_months,
            "rules": rules,
            "otherwise": default,
        }
        if agent is not None:
            out["grants"] = [_grant_doc(agent, g) for g in agent.grants()]
            out["opt_outs"] = [list(o) for o in agent.opt_outs()]
        _emit_json(out)
        return 0
    _say(f'Policy "{policy.name}"')
    if policy.description:
        _say(textwrap.fill(policy.description, 88, initial_indent="  ", subsequent_indent="  "))
    for consent, title in (
        ("none", "Without asking you"),
        ("opt-out", "Unless you opt out"),
        ("opt-in", "Only if you opt in (a grant you sign)"),
    ):
        chosen = [r for r in rules if r["consent"] == consent]
        if not chosen:
            continue
        _say()
        _say(f"{title}:")
        for r in chosen:
            verb = "may receive" if consent == "opt-in" else "receives"
            line = f"{r['who']} {verb} {r['what']}, for {r['for']}."
            _say(textwrap.fill(line, 88, initial_indent="  - ", subsequent_indent="    "))
            _say(f"      when: {r['when']}")
            _say(f"      basis: {r['basis']}")
    _say()
    _say(textwrap.fill(default, 88))
    if agent is not None:
        _say()
        grants = agent.grants()
        _say(f"Your grants ({len(grants)}):" if grants else "You have made no grants.")
        for g in grants:
            _say(f"  {g.grant_id.hex()}  {agent.status(g):8}  {g.describe()}")
        if agent.opt_outs():
            _say("You opted out of:")
            for party, purpose, gran in agent.opt_outs():
                what = _WHAT.get(gran, "any data") if gran != "*" else "any data"
                _say(
                    f"  - {party_label(party)}: {what}, for "
                    f"{'any purpose' if purpose == '*' else purpose}"
                )
    return 0


# --------------------------------------------------------------------------------------
# init, grant, revoke, opt-out, opt-in
# --------------------------------------------------------------------------------------


def _init(args: argparse.Namespace, clock: Clock) -> int:
    home = _Home(args.home)
    if home.config.exists():
        raise RangeError(f"{home.config} exists: this home is already set up")
    household_path = Path(args.household).resolve()
    household = _load_household(household_path)
    policy_ref = args.policy
    if policy_ref not in PROFILES:
        load_policy(policy_ref)  # must load now
        policy_ref = str(Path(policy_ref).resolve())
    zone(args.tz)
    home.dir.mkdir(parents=True, exist_ok=True)
    home.grants.mkdir(exist_ok=True)
    home.revocations.mkdir(exist_ok=True)
    key = SigningKey.generate()
    doc = {
        "format": _HOME_FORMAT,
        "version": 1,
        "meter_id": household.meter_id.hex(),
        "household": str(household_path),
        "signing_key": key.to_bytes().hex(),
        "verifying_key": key.verifying_key.to_bytes().hex(),
        "policy": policy_ref,
        "tz": zone_name(args.tz),
        "period": args.period,
    }
    _write_json(home.config, doc, secret=True)
    with AuditLog(home.log, clock=clock, signing_key=key) as log:
        home.save_head(log)
    home.log.chmod(0o600)  # who was granted what is personal too
    if args.json:
        _emit_json({k: v for k, v in doc.items() if k != "signing_key"})
    else:
        _say(
            f"Consent home {home.dir} set up for meter {household.meter_id.hex()}"
            f" under policy {policy_ref!r}."
        )
        _say(f"Your consent key (public): {key.verifying_key.to_bytes().hex()}")
    return 0


def _local_midnight(day: date, tz: str) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=zone(tz)).timestamp())


def _grant(args: argparse.Namespace, clock: Clock) -> int:
    with _Home(args.home) as home:
        return _grant_in(args, home, clock)


def _grant_in(args: argparse.Namespace, home: _Home, clock: Clock) -> int:
    agent, _ = home.open(clock)
    expires = _local_midnight(args.expires, agent.tz) if args.expires else None
    try:
        g = agent.grant(
            args.party,
            args.purpose,
            args.granularity,
            start=args.start,
            end=args.end,
            channel=_channel_arg(args.channel),
            months=args.months,
            expires_at=expires,
            combine=args.combine,
        )
    finally:
        home.save_head(agent.audit_log)
    data = g.encode()
    home.grants.mkdir(exist_ok=True)
    _write_file(home.grants / f"{g.grant_id.hex()}.cbor", data)
    if args.out:
        _write_file(Path(args.out), data)
    if args.json:
        _emit_json(_grant_doc(agent, g))
    else:
        _say(f"Granted {g.grant_id.hex()}: {g.describe()}.")
        _say(
            f"Signed grant: {home.grants / (g.grant_id.hex() + '.cbor')}"
            f"{' and ' + args.out if args.out else ''}"
        )
    return 0


def _grant_id_arg(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 16:
        raise RangeError(f"grant id {text!r}: expected 32 hex digits")
    return raw


def _revoke(args: argparse.Namespace, clock: Clock) -> int:
    with _Home(args.home) as home:
        return _revoke_in(args, home, clock)


def _revoke_in(args: argparse.Namespace, home: _Home, clock: Clock) -> int:
    agent, _ = home.open(clock)
    gid = _grant_id_arg(args.grant_id)
    try:
        rev = agent.revoke(gid)
    finally:
        home.save_head(agent.audit_log)
    home.revocations.mkdir(exist_ok=True)
    _write_file(home.revocations / f"{gid.hex()}.cbor", rev.encode())
    when = datetime.fromtimestamp(rev.revoked_at, zone(agent.tz))
    if args.json:
        _emit_json({"grant_id": gid.hex(), "revoked_at": rev.revoked_at})
    else:
        _say(f"Revoked {gid.hex()} at {when:%Y-%m-%d %H:%M %Z}.")
        _say(f"Signed revocation: {home.revocations / (gid.hex() + '.cbor')}")
    return 0


def _opt(args: argparse.Namespace, clock: Clock) -> int:
    with _Home(args.home) as home:
        return _opt_in(args, home, clock)


def _opt_in(args: argparse.Namespace, home: _Home, clock: Clock) -> int:
    agent, _ = home.open(clock)
    try:
        if args.consent_command == "opt-out":
            agent.opt_out(args.party, args.purpose, args.granularity)
        else:
            agent.opt_in(args.party, args.purpose, args.granularity)
    finally:
        home.save_head(agent.audit_log)
    if args.json:
        _emit_json({"opt_outs": [list(o) for o in agent.opt_outs()]})
    else:
        verb = "Opted out of" if args.consent_command == "opt-out" else "Withdrew the opt-out of"
        what = "any data" if args.granularity == "*" else f"{args.granularity} data"
        purpose = "any purpose" if args.purpose == "*" else args.purpose
        _say(f"{verb} {what} for {purpose} to {party_label(args.party)}.")
    return 0


# --------------------------------------------------------------------------------------
# audit
# --------------------------------------------------------------------------------------


def _entry_doc(e: AuditEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {"seq": e.seq, "at": e.at, "kind": e.kind, "hash": e.hash.hex()}
    f = e.fields
    if e.kind == "decision":
        req = f["request"]
        doc.update(
            {
                "outcome": f["outcome"],
                "party": req[0],
                "purpose": req[1],
                "meter_id": req[2].hex(),
                "channel": req[3],
                "period": req[4],
                "from": req[5],
                "to": req[6],
                "households": req[7],
                "queries": len(req[8]),
                "grant_id": f["grant_id"].hex(),
                "rule": f["rule"],
                "error": f["error"],
                "reason": f["reason"],
            }
        )
    elif e.kind in ("grant", "revocation"):
        doc[e.kind] = f[e.kind].hex()
        if e.kind == "grant":
            doc["grant_id"] = Grant.decode(f["grant"]).grant_id.hex()
    else:
        doc.update(f)
    return doc


def _entry_line(e: AuditEntry) -> str:
    head = f"#{e.seq:<4} {e.when:%Y-%m-%d %H:%M:%S} UTC  "
    f = e.fields
    if e.kind == "decision":
        req = f["request"]
        period, n = req[4], len(req[8])
        first, stop = start_of(req[5], period), start_of(req[6], period)
        span = f"{first:%Y-%m-%d %H:%M}..{stop:%Y-%m-%d %H:%M} UTC"
        what = f"{req[0]} / {req[1]}: {n} quer{'y' if n == 1 else 'ies'} over {span}"
        if f["outcome"] == "allowed":
            return f"{head}ALLOWED  {what}; {f['reason']}"
        return f"{head}REFUSED  {what}; {f['error']}: {f['reason']}"
    if e.kind == "grant":
        return f"{head}GRANT    {Grant.decode(f['grant']).describe()}"
    if e.kind == "revocation":
        return f"{head}REVOKE   grant {Revocation.decode(f['revocation']).grant_id.hex()}"
    return f"{head}{e.kind.upper():8} {f['party']} / {f['purpose']} / {f['granularity']}"


def _audit(args: argparse.Namespace, clock: Clock) -> int:
    with _Home(args.home) as home:
        return _audit_in(args, home, clock)


def _audit_in(args: argparse.Namespace, home: _Home, clock: Clock) -> int:
    agent, _ = home.open(clock)  # verifies the log against audit.head
    entries = agent.audit(home.anchor())
    if args.json:
        _emit_json({"verified": True, "entries": [_entry_doc(e) for e in entries]})
        return 0
    _say(f"Audit log {home.log}: {len(entries)} entries, hash chain and signatures verified.")
    for e in entries:
        _say(_entry_line(e))
    return 0


# --------------------------------------------------------------------------------------
# the parser
# --------------------------------------------------------------------------------------


def _date_arg(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def _channel_arg(text: str) -> int:
    for number, name in CHANNEL_NAMES.items():
        if text == name:
            return number
    raise RangeError(f"channel {text!r}: expected import or export")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def add_parser(sub: Any, common: argparse.ArgumentParser, clock: Clock | None = None) -> None:
    """Add ``consent`` and its subcommands to ``privbill``'s subparsers (the
    :data:`privbill.cli.EXTENSIONS` entry point ``privbill.consent_cli:add_parser``)."""
    tick = clock if clock is not None else system_clock

    def bind(fn: Callable[[argparse.Namespace, Clock], int]) -> _Handler:
        return lambda args: fn(args, tick)

    p = sub.add_parser(
        "consent",
        help="consent: policies, grants, the audit log",
        description="Read a consent policy for a person, manage the household's signed"
        " grants, revocations and opt-outs, and read its audit log (docs/consent.md).",
    )
    cmds = p.add_subparsers(dest="consent_command", metavar="SUBCOMMAND", required=True)

    s = cmds.add_parser(
        "show", parents=[common], help="who gets what data, at what granularity, when and why"
    )
    s.add_argument(
        "--policy",
        metavar="strict|uk-slc47|FILE",
        help="a built-in profile or a policy file (default: the home's)",
    )
    s.add_argument("--home", metavar="DIR", help="also list this household's grants")
    s.set_defaults(handler=bind(_show))

    i = cmds.add_parser("init", parents=[common], help="set up a household's consent home")
    i.add_argument("--home", required=True, metavar="DIR")
    i.add_argument(
        "--household",
        required=True,
        metavar="FILE",
        help="the household file from 'privbill keygen'",
    )
    i.add_argument("--policy", default="strict", metavar="strict|uk-slc47|FILE")
    i.add_argument("--tz", default="Europe/London", help="the household's time zone")
    i.add_argument("--period", type=int, choices=(1800, 900), default=1800)
    i.set_defaults(handler=bind(_init))

    g = cmds.add_parser("grant", parents=[common], help="sign a grant to a party")
    g.add_argument("--home", required=True, metavar="DIR")
    g.add_argument(
        "--party", required=True, help="retailer, network-operator, settlement or third-party:NAME"
    )
    g.add_argument("--purpose", required=True, help="e.g. energy-advice, research")
    g.add_argument(
        "--granularity",
        required=True,
        choices=("half-hourly", "quarter-hourly", "daily", "monthly"),
    )
    g.add_argument(
        "--from",
        dest="start",
        required=True,
        type=_date_arg,
        metavar="DATE",
        help="first local day of data (YYYY-MM-DD)",
    )
    g.add_argument(
        "--to",
        dest="end",
        required=True,
        type=_date_arg,
        metavar="DATE",
        help="local day after the last day of data (exclusive)",
    )
    g.add_argument("--channel", default="import", choices=("import", "export"))
    length = g.add_mutually_exclusive_group()
    length.add_argument("--months", type=_positive, help="validity from now (default: 12)")
    length.add_argument(
        "--expires", type=_date_arg, metavar="DATE", help="expiry at local midnight starting DATE"
    )
    g.add_argument(
        "--combine",
        action="store_true",
        help="grant even if it combines with another grant to something finer",
    )
    g.add_argument("--out", metavar="FILE", help="also write the signed grant here")
    g.set_defaults(handler=bind(_grant))

    r = cmds.add_parser("revoke", parents=[common], help="revoke a grant, now")
    r.add_argument("--home", required=True, metavar="DIR")
    r.add_argument("grant_id", metavar="GRANT_ID")
    r.set_defaults(handler=bind(_revoke))

    for name, text in (
        ("opt-out", "object to an opt-out policy allowance"),
        ("opt-in", "withdraw an opt-out"),
    ):
        o = cmds.add_parser(name, parents=[common], help=text)
        o.add_argument("--home", required=True, metavar="DIR")
        o.add_argument("--party", required=True)
        o.add_argument("--purpose", default="*")
        o.add_argument("--granularity", default="*")
        o.set_defaults(handler=bind(_opt))

    a = cmds.add_parser("audit", parents=[common], help="verify and print the audit log")
    a.add_argument("--home", required=True, metavar="DIR")
    a.set_defaults(handler=bind(_audit))


def _error_line(exc: BaseException) -> None:
    message = " ".join(str(exc).split()) or "failed"
    print(f"{PROG}: {type(exc).__name__}: {message}", file=sys.stderr)


def consent_main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Run ``privbill consent`` with ``argv`` (the arguments after ``consent``); return
    the exit status. ``clock`` (whole Unix seconds) replaces the system clock."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="one JSON document on stdout")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    parser = argparse.ArgumentParser(prog=PROG)
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub, common, clock)
    try:
        args = parser.parse_args(["consent", *(sys.argv[1:] if argv is None else argv)])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    handler = cast(_Handler, args.handler)
    try:
        return handler(args)
    except (PrivbillError, OSError) as exc:
        _error_line(exc)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
