"""The Telegram layer: thin handlers over the domain services, wired in `bot.tg.app`."""
