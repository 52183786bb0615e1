"""The staff console: a web view of what residents ask, what the bot could not answer, and the
help desk's queue, served by the bot itself. No Telegram imports: the Telegram layer hands it
what it needs (who is staff, the outbox's wake-up)."""
