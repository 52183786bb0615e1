"""What `/healthz` and `/metrics` report: the bot's health, and Prometheus metrics.

Each `Metrics` has a registry of its own, not prometheus-client's global one, so two bots in one
process (the tests) never count into each other. Gauges that describe stored state (the outbox
backlog, requests by state) are read from the database when scraped, not kept up to date.
Nothing here knows Telegram.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.helpdesk.models import STATES
from bot.services import Services
from bot.storage.migrations import MIGRATIONS

logger = logging.getLogger(__name__)

# The answer engine takes about a millisecond; the buckets reach far past any healthy value.
MATCHER_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
# Outbox messages due this long ago and still unsent mean the sender is stuck.
OUTBOX_STUCK_SECONDS = 600


class Metrics:
    """The bot's counters and histograms, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter("bot_updates", "Telegram updates handled", registry=self.registry)
        self.replies = Counter(
            "bot_replies",
            "Replies to residents' questions, by kind and language",
            ["kind", "language"],
            registry=self.registry,
        )
        self.matcher_seconds = Histogram(
            "bot_matcher_seconds",
            "Time the answer engine took to answer one question",
            buckets=MATCHER_BUCKETS,
            registry=self.registry,
        )
        self.too_many_requests = Counter(
            "bot_telegram_429", "429 Too Many Requests answers received", registry=self.registry
        )
        self.outbox_backlog = Gauge(
            "bot_outbox_backlog", "Outbox messages not yet sent", registry=self.registry
        )
        self.notice_process_restarts = Counter(
            "bot_notice_process_restarts",
            "Times the notice process died and another was started",
            registry=self.registry,
        )
        self.requests = Gauge(
            "bot_help_requests", "Help requests by state", ["state"], registry=self.registry
        )
        # When the last update was handled (Unix seconds); 0 before the first.
        self.last_update_at = 0.0

    def update_handled(self, update_id: int) -> None:
        """A processor listener: one more update handled."""
        self.updates.inc()
        self.last_update_at = time.time()

    def reply(self, kind: str, language: str, seconds: float) -> None:
        """One answer to a question: its kind, language and the matcher's time."""
        self.replies.labels(kind=kind, language=language).inc()
        self.matcher_seconds.observe(seconds)

    async def exposition(self, services: Services) -> bytes:
        """Every metric in Prometheus' text format, the stored-state gauges read now."""
        self.outbox_backlog.set(await outbox_backlog(services))
        counts = await requests_by_state(services)
        for state in STATES:
            self.requests.labels(state=state).set(counts.get(state, 0))
        return generate_latest(self.registry)


async def outbox_backlog(services: Services) -> int:
    return int(
        await services.db.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')"
        )
    )


async def requests_by_state(services: Services) -> dict[str, int]:
    rows = await services.db.fetchall("SELECT state, COUNT(*) FROM help_requests GROUP BY state")
    return {str(row[0]): int(row[1]) for row in rows}


@dataclass(frozen=True)
class Health:
    """What `/healthz` answers: `healthy` decides 200 or 503."""

    healthy: bool
    report: dict[str, Any]


async def health(services: Services, last_update_at: float) -> Health:
    """The knowledge base, the database, the outbox and the last update, with a verdict."""
    problems: list[str] = []
    knowledge = services.knowledge
    entries = len(knowledge.responder.kb.entries)
    if not entries:
        problems.append("the knowledge base has no entries")
    report: dict[str, Any] = {
        "knowledge": {
            "entries": entries,
            "loaded_at": _iso(knowledge.loaded_at),
            "load_seconds": round(knowledge.load_seconds, 3),
            "from_snapshot": knowledge.fallback is not None,
        }
    }
    database: dict[str, Any] = {"ok": False}
    try:
        version = int(await services.db.fetchval("PRAGMA user_version"))
        failing = services.db.write_failure
        database = {
            "ok": version == len(MIGRATIONS) and failing is None,
            "schema_version": version,
            "writes": "failing" if failing else "ok",
        }
        if version != len(MIGRATIONS):
            problems.append(f"the database schema is at version {version}")
        if failing:
            problems.append(f"the database cannot be written ({failing})")
        backlog = await outbox_backlog(services)
        oldest = await services.db.fetchval(
            "SELECT MIN(not_before) FROM outbox WHERE state IN ('pending', 'sending')"
        )
        stuck = oldest is not None and time.time() - float(oldest) > OUTBOX_STUCK_SECONDS
        if stuck:
            problems.append("outbox messages are overdue")
        report["outbox"] = {"backlog": backlog, "overdue": stuck}
        stored = await services.db.fetchval("SELECT MAX(received_at) FROM inbox")
    except Exception as exc:  # any failure to read is what this endpoint exists to report
        logger.warning("health check: the database cannot be read (%s)", type(exc).__name__)
        problems.append("the database cannot be read")
        stored = None
    report["database"] = database
    latest = max(last_update_at, float(stored or 0))
    report["last_update_at"] = _iso(latest) if latest else None
    report["problems"] = problems
    report["status"] = "ok" if not problems else "unhealthy"
    return Health(not problems, report)


def _iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))
