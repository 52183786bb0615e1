"""Flood control: one notice per burst, and other residents are not slowed."""

from __future__ import annotations

from bot.tg.flood import FloodGuard, FloodVerdict


def test_burst_gets_one_notice_then_silence() -> None:
    guard = FloodGuard(limit=3, seconds=10)
    verdicts = [guard.check(1, at=0.1 * n) for n in range(6)]
    assert verdicts == [
        FloodVerdict.ALLOW,
        FloodVerdict.ALLOW,
        FloodVerdict.ALLOW,
        FloodVerdict.WARN,
        FloodVerdict.DROP,
        FloodVerdict.DROP,
    ]


def test_other_residents_are_not_affected() -> None:
    guard = FloodGuard(limit=2, seconds=10)
    for n in range(5):
        guard.check(1, at=n * 0.01)
    assert guard.check(2, at=0.1) is FloodVerdict.ALLOW


def test_window_slides() -> None:
    guard = FloodGuard(limit=2, seconds=10)
    guard.check(1, at=0)
    guard.check(1, at=1)
    assert guard.check(1, at=2) is FloodVerdict.WARN
    assert guard.check(1, at=11) is FloodVerdict.ALLOW


def test_quiet_users_are_forgotten() -> None:
    guard = FloodGuard(limit=2, seconds=10)
    for user in range(1000):
        guard.check(user, at=0)
    guard.check(1, at=100)
    assert len(guard._windows) == 1
