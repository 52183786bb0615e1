"""Urgent notices to residents who asked for them: subscriptions, the notices staff write, and
the per-recipient record that lets a notice reach each subscriber at most once.

Domain code: no Telegram. The Telegram layer (bot/tg/notices.py, bot/tg/handlers/notices.py)
sends what `Notices.claim` hands it and reports back with `Notices.record`.
"""
