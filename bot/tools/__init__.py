"""Tools around the bot, not the bot itself: the terminal chat mode, its renderer, and the
benchmarks. They use the bot's layers and nothing uses them."""
